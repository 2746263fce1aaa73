"""The offline model's group flow: "me and my friend", "can you fit two of us", "3 of us".

A group request is read with :func:`agent.nlu.party.party_of` (a number of people is a
quantity, never a pick). While a group is open, the flow searches openings for everyone
(``find_group_slots``), takes a pick of one of its numbered group options (``hold_group``:
one hold per person and the deposit links, in one reply), asks how many when the text does
not say, asks the service when none is known yet, and drops back to a one-person search on
"just me". Everything else (questions, prices, changes to a booked visit) is left to
:class:`agent.offline.policy.Policy`.

Like the rest of the offline model it keeps no memory: :func:`group_state` reads the group's
standing from the stored dialog state (:attr:`agent.dialog.ConversationState.group`, written
by the group tools), and :meth:`GroupFlow.party_update` adds to the model's update of the turn
how many people the patient's text said are coming.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from agent import copy, copy_group
from agent.dialog import Asked, ConversationState, StateUpdate
from agent.models.base import ChatResponse
from agent.nlu.intents import Intents, detect_intents, yes_no
from agent.nlu.party import Party, count_word, party_of
from agent.nlu.picks import Option, parse_pick
from agent.nlu.providers import match_provider
from agent.nlu.services import match_services
from agent.nlu.when import parse_when
from agent.offline.parser import ToolResult, option
from agent.offline.state import DialogState, asks
from agent.offline.steps import call, refine, say, slot_args
from agent.tools_group import MAX_PARTY
from knowledge.clinic_file import ClinicFile

#: Words that ask to fit people in without naming a service or a day ("can you fit us in").
_FIT = re.compile(r"\b(?:fit|squeeze|room for|space for|take|book|get)\b")
#: A pick that names its number ("2", "option 1", "the 3rd"), clear even inside a question.
_NUMBERED = re.compile(r"^\W*(?:#|option |number |no\.? )?\d\b|\b\d(?:st|nd|rd|th)\b|\boption \d\b")
_LATER = {"later"}
_EARLIER = {"earlier", "sooner"}
_BARE_COUNT = re.compile(r"^\s*(?:(?:we(?:'re| are|re)?|its|it's|just)\s+)?(\w+)(?:\s+of us)?\W*$")


@dataclass
class GroupState:
    """Where a group request stands, as the flow reads it from the stored state.

    Attributes:
        active: a group request is open (no hold made for it yet, no "just me").
        size: its people, the texter included (None: not said yet).
        offers: the standing group options (``find_group_slots`` group views).
        args: the arguments of the latest group search.
        asked_count: the assistant's last reply asked how many are coming.
    """

    active: bool = False
    size: int | None = None
    offers: list[dict[str, Any]] = field(default_factory=list)
    args: dict[str, Any] = field(default_factory=dict)
    asked_count: bool = False


def group_state(stored: ConversationState) -> GroupState:
    """The :class:`GroupState` of the ``stored`` dialog state."""
    asked = stored.question is not None and stored.question.asked == Asked.COUNT
    group = stored.group
    if group is None:
        return GroupState(asked_count=asked)
    return GroupState(
        active=True,
        size=group.size,
        offers=[o.view() for o in group.offers],
        args=dict(group.search),
        asked_count=asked,
    )


def _bare_count(text: str) -> Party | None:
    """A count given alone after "how many of you?" ("3", "we're 4", "two of us")."""
    m = _BARE_COUNT.match(text.lower())
    n = count_word(m.group(1)) if m else None
    return Party(n) if n else None


class GroupFlow:
    """Group decisions for one call of the offline model.

    Args:
        clinic: the clinic's records.
        now_local: the turn's instant in the clinic's zone.
        stored: the stored dialog state when the turn began.
        state: the booking state the main policy reads (service, wish, provider).
    """

    def __init__(
        self,
        clinic: ClinicFile,
        now_local: dt.datetime,
        stored: ConversationState,
        state: DialogState,
    ) -> None:
        self.clinic = clinic
        self.now_local = now_local
        self.state = state
        self.group = group_state(stored)

    @property
    def offers_stand(self) -> bool:
        """Group options are open for picking (one-person offers then are not)."""
        return bool(self.group.offers)

    def party(self, text: str) -> Party | None:
        """The people ``text`` says are coming ("me and my friend"), or a bare count ("3")
        answering "how many of you?"; None when it says neither."""
        return party_of(text) or (_bare_count(text) if self.group.asked_count else None)

    def party_update(self, update: StateUpdate, text: str, ran: set[str]) -> None:
        """Add to the turn's ``update`` how many people ``text`` said are coming, unless a tool
        of this turn (``ran``: their names) already recorded the group or closed it."""
        party = self.party(text)
        if party is None:
            return
        if party.size == 1 or not ran & {"find_group_slots", "hold_group", "hold_slot"}:
            update.party_size = party.size

    def on_text(self, text: str) -> ChatResponse | None:
        """The group step for a new patient text, or None when the text is not about a group."""
        intents = detect_intents(text)
        g = self.group
        party = self.party(text)
        if party is not None and party.size == 1:  # "just me, she can't make it"
            return self._just_one() if g.active else None
        if (
            intents.wants_human
            or intents.wants_cancel
            or intents.wants_reschedule
            or intents.asks_my_appointment
            or (intents.defers and not intents.wants_booking)
        ):
            return None
        if party is None and not g.active:
            return None
        if party is None and g.offers:
            # a question is not a commitment: "what about thursday?" searches, "2" holds
            if not intents.is_question or _NUMBERED.search(text.lower()):
                pick = self._pick(text)
                if pick is not None:
                    return call("hold_group", option=pick)
            shifted = self._shifted(text)
            if shifted is not None:
                return shifted
        if party is None and intents.asks_price and self.state.service_id:
            service = self.clinic.service(self.state.service_id)
            if not match_services(text, self.clinic.services):
                return say(copy.price(service, self.clinic.deposit_cents(service)))
        return self._search(text, intents, party)

    def _shifted(self, text: str) -> ChatResponse | None:
        """ "anything later?" / "something earlier": the group's search again, after the
        latest (before the earliest) option offered, on the same days."""
        words = set(re.findall(r"[a-z]+", text.lower()))
        later, earlier = bool(words & _LATER), bool(words & _EARLIER)
        if later == earlier or not self.group.args:
            return None
        starts = [dt.datetime.fromisoformat(g["slots"][0]["start"]) for g in self.group.offers]
        args = dict(self.group.args)
        if later:
            args["after"] = (max(starts) + dt.timedelta(minutes=1)).strftime("%H:%M")
            args.pop("before", None)
        else:
            args["before"] = min(starts).strftime("%H:%M")
            args.pop("after", None)
        return call("find_group_slots", **args)

    def _pick(self, text: str) -> int | None:
        """The group option a text picks, if it picks one."""
        if match_services(text, self.clinic.services):
            return None
        options = [_option(g) for g in self.group.offers]
        pick = parse_pick(text, options)
        if pick is None and yes_no(text) is True and len(options) == 1:
            pick = options[0].position
        return pick

    def _search(self, text: str, intents: Intents, party: Party | None) -> ChatResponse | None:
        """A group search for the text's service and wish (or the question still missing)."""
        when = parse_when(text, self.now_local)
        matches = match_services(text, self.clinic.services)
        if party is None and when is None and not matches and not self.state.asked_service:
            return None  # a question or a remark while the group is open: the main policy
        if intents.asks_price and not intents.wants_booking and when is None:
            return None  # "how much would it be for both of us": a price, not yet a visit
        booking_context = (
            intents.wants_booking
            or bool(matches or when)
            or bool(self.state.service_id or self.state.offers or self.group.active)
            or bool(_FIT.search(text.lower()))
        )
        if not booking_context:
            return None
        size = party.size if party is not None else self.group.size
        if size is None:
            return say(copy_group.HOW_MANY, asks(Asked.COUNT))
        if size > MAX_PARTY:
            return call("handoff_to_staff", reason="other", summary=_too_many(size))
        service_id = matches[0].service_id if matches else self.state.service_id
        if service_id is None:
            return say(copy.ask_service(self.clinic), asks(Asked.SERVICE))
        service = self.clinic.service(service_id)
        preference = refine(when, self.state.preference) if when else self.state.preference
        provider = match_provider(text, self.clinic.providers) or self.state.provider_id
        return call("find_group_slots", party_size=size, **slot_args(service, preference, provider))

    def _just_one(self) -> ChatResponse:
        """ "just me": the group's search again, for one person."""
        args = {k: v for k, v in self.group.args.items() if k != "party_size"}
        if not args and self.state.service_id:
            service = self.clinic.service(self.state.service_id)
            args = slot_args(service, self.state.preference, self.state.provider_id)
        if not args:
            return say(copy.ask_service(self.clinic), asks(Asked.SERVICE))
        return call("find_slots", **args)

    def after_tools(self, text: str, results: list[ToolResult]) -> ChatResponse | None:
        """The reply after a group tool ran this turn, or None for any other tool."""
        name, args, result = results[-1]
        if name == "handoff_to_staff" and _TOO_MANY_MARK in args.get("summary", ""):
            return say(copy_group.TOO_MANY)
        if name not in ("find_group_slots", "hold_group"):
            return None
        if "error" in result:
            return say(copy.tool_error(str(result["error"])))
        max_days = self.clinic.clinic.booking.max_days_ahead
        if name == "find_group_slots":
            return say(copy_group.group_offers(result, args, max_days))
        if result.get("held"):
            return say(copy_group.group_held(result, self.clinic.clinic.name))
        return say(copy_group.group_taken(result, args, max_days))


def _option(group: dict[str, Any]) -> Option:
    """A group option as a pick option (its first slot's start and provider)."""
    return option({**group["slots"][0], "option": group["option"]})


#: Marks the staff summary of a group too large to book by text (its reply differs).
_TOO_MANY_MARK = "too many to book by text"


def _too_many(size: int) -> str:
    """Staff's summary for a group larger than the tools book."""
    return f"A group of {size} asked to book together ({_TOO_MANY_MARK}); please set it up."
