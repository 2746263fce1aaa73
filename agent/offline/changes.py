"""The offline model's policy for existing appointments: "when is my appt?", cancel, move.

Flow: the patient asks -> ``my_appointments`` -> none: say so; several and the text does not
single one out: ask which; one: for a question, list it; for a cancel, confirm first with
what happens to the deposit under the notice policy, then ``cancel_appointment`` on "yes";
for a move, ``find_slots`` for that appointment's service with the new wish (or ask for
one), then ``reschedule_appointment`` on a pick. The state of that flow is the stored dialog
state (:mod:`agent.dialog`, read by :func:`change_state`): the rows ``my_appointments``
listed, and what the replies asked, as each reply named it where it was chosen
(:func:`agent.offline.state.asks_which` and its neighbours), never read back from wording.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from agent import copy, copy_times
from agent.copy import Appt
from agent.dialog import Asked, ConversationState
from agent.models.base import ChatResponse
from agent.nlu.intents import Intents, detect_intents
from agent.nlu.picks import Option, parse_pick
from agent.nlu.providers import match_provider
from agent.nlu.relative import Shift, parse_shift
from agent.nlu.services import match_services
from agent.nlu.when import TimePreference, parse_when
from agent.offline import times
from agent.offline.parser import ToolResult, option
from agent.offline.state import asks, asks_new_time, asks_which, confirms_cancel, keeps
from agent.offline.steps import call, say, slot_args
from knowledge.clinic_file import ClinicFile


@dataclass
class ChangeState:
    """Where a change of an existing appointment stands, read from the stored state.

    Attributes:
        appointments: rows of the latest ``my_appointments`` result.
        notice_hours: the clinic's cancellation notice (from that result).
        pending_cancel: the appointment the last reply asked the patient to confirm
            cancelling.
        choosing: "cancel" | "move" when the last reply asked which appointment.
        moving: the appointment being moved (until a turn does something else).
        move_offers: the open slot offers are for ``moving``.
        request: the patient's text that started the change being discussed.
        offers_closed: the patient dropped the move after the latest offer, so its options
            are no longer open for picking.
    """

    appointments: list[Appt] = field(default_factory=list)
    notice_hours: int = 24
    pending_cancel: Appt | None = None
    choosing: str | None = None
    moving: Appt | None = None
    move_offers: bool = False
    request: str = ""
    offers_closed: bool = False


def change_state(stored: ConversationState) -> ChangeState:
    """The :class:`ChangeState` of the ``stored`` dialog state."""
    change, question = stored.change, stored.question
    choosing = None
    if question is not None and question.asked == Asked.APPOINTMENT:
        choosing = question.action or "move"
    return ChangeState(
        appointments=[a.view() for a in change.appointments],
        notice_hours=change.notice_hours,
        pending_cancel=stored.confirm.appointment.view() if stored.confirm else None,
        choosing=choosing,
        moving=change.moving.view() if change.moving else None,
        move_offers=change.move_offers,
        request=change.request,
        offers_closed=change.offers_closed,
    )


def appointment_start(appt: Appt, now_local: dt.datetime) -> dt.datetime | None:
    """The clinic-local start of a ``my_appointments`` row, read from its ``when``
    (``Thu Nov 26 at 4:00 PM CST``; the year is the next one that puts it ahead)."""
    words = str(appt.get("when", "")).split()
    if len(words) < 6:
        return None
    text = " ".join(words[:6])  # drop the zone abbreviation
    for year in (now_local.year, now_local.year + 1):
        try:
            naive = dt.datetime.strptime(f"{text} {year}", "%a %b %d at %I:%M %p %Y")
        except ValueError:
            continue
        if naive.date() >= now_local.date() - dt.timedelta(days=1):
            return naive.replace(tzinfo=now_local.tzinfo)
    return None


def _options(appts: list[Appt], now_local: dt.datetime) -> list[Option]:
    out = []
    for i, a in enumerate(appts, 1):
        start = appointment_start(a, now_local)
        if start is not None:
            provider = str(a.get("provider") or "")
            out.append(Option(i, start, provider, provider))
    return out


class ChangePolicy:
    """Decisions about existing appointments for one call of the offline model."""

    def __init__(
        self,
        clinic: ClinicFile,
        now_local: dt.datetime,
        state: ChangeState,
        offers: list[dict[str, Any]],
    ) -> None:
        self.clinic = clinic
        self.now_local = now_local
        self.state = state
        self.offers = offers
        self.notice_hours = state.notice_hours

    # --- which appointment ----------------------------------------------------------------
    def _pick(self, text: str, appts: list[Appt]) -> Appt | None:
        """The appointment ``text`` picks from a numbered list ("2", "the friday one")."""
        options = _options(appts, self.now_local)
        position = parse_pick(text, options)
        if position is not None:
            return appts[position - 1]
        named = self._by_service(text, appts)
        return named[0] if len(named) == 1 else None

    def _by_service(self, text: str, appts: list[Appt]) -> list[Appt]:
        ids = {m.service_id for m in match_services(text, self.clinic.services)}
        return [a for a in appts if a.get("service_id") in ids]

    def _by_day(self, when: TimePreference | None, appts: list[Appt]) -> list[Appt]:
        if when is None:
            return appts
        out = []
        for a in appts:
            start = appointment_start(a, self.now_local)
            if start is None:
                continue
            day = start.date()
            if when.weekdays and day.weekday() not in when.weekdays:
                continue
            if when.date_from and day < when.date_from:
                continue
            if when.date_to and day > when.date_to:
                continue
            out.append(a)
        return out

    def target(self, appts: list[Appt], text: str, action: str) -> Appt | None:
        """The one appointment the patient means, or None when it is unclear."""
        st = self.state
        if st.choosing:
            picked = self._pick(text, appts)
            if picked is not None:
                return picked
        pool = self._by_service(text, appts) or appts
        if action != "move":  # for a move, the day named is the new one
            pool = self._by_day(parse_when(text, self.now_local), pool) or pool
        if len(pool) > 1:
            focus = st.pending_cancel or st.moving
            focused = [a for a in pool if focus and a["appointment_id"] == focus["appointment_id"]]
            pool = focused or pool
        return pool[0] if len(pool) == 1 else None

    def action(self, intents: Intents) -> str:
        """cancel | move | query: what the patient wants done with their appointment."""
        if intents.wants_reschedule:
            return "move"
        if intents.wants_cancel:
            return "cancel"
        if intents.asks_my_appointment:
            return "query"
        return self.state.choosing or ("move" if self.state.moving else "query")

    # --- a new patient text -------------------------------------------------------------------
    def on_text(self, text: str, intents: Intents, answer: bool | None) -> ChatResponse | None:
        """The next step for a patient text, or None when it is not about their
        appointments (the booking and question flows take it)."""
        st = self.state
        if st.pending_cancel is not None:
            if intents.wants_reschedule:
                return call("my_appointments")
            if answer is True or (intents.wants_cancel and answer is None):
                return call(
                    "cancel_appointment", appointment_id=st.pending_cancel["appointment_id"]
                )
            if answer is False or intents.keeps_as_is:
                return say(copy.kept(st.pending_cancel), keeps())
        if st.choosing:
            if self._pick(text, st.appointments) is not None:
                return call("my_appointments")
            if answer is False or intents.keeps_as_is:
                return say(copy.kept(None, moving=st.choosing == "move"), keeps())
        if st.moving is not None:
            step = self._moving(st.moving, text, intents, answer)
            if step is not None:
                return step
        wants = intents.wants_cancel or intents.wants_reschedule or intents.asks_my_appointment
        open_offers = bool(self.offers) and not st.move_offers
        if wants and (intents.names_change or intents.asks_my_appointment or not open_offers):
            return call("my_appointments")
        return None

    def _moving(
        self, appt: Appt, text: str, intents: Intents, answer: bool | None
    ) -> ChatResponse | None:
        """The next step while ``appt`` is being moved, or None when the text is not about
        the move."""
        st = self.state
        service_ids = [m.service_id for m in match_services(text, self.clinic.services)]
        if service_ids and appt.get("service_id") not in service_ids:
            return None  # another service: a new booking, not this move
        when = parse_when(text, self.now_local)
        dropped = intents.keeps_as_is and not intents.wants_reschedule
        if dropped and answer is not True:
            return say(copy.kept(appt, moving=True), keeps())
        shift = parse_shift(text, self.now_local)
        if shift is not None:  # "or a day earlier?": from the visit, not a pick of the offers
            return self._relative(appt, shift)
        if st.move_offers and self.offers:
            options = [option(o) for o in self.offers]
            pick = parse_pick(text, options)
            if pick is None and answer is True and len(options) == 1:
                pick = options[0].position
            if pick is not None:
                return call(
                    "reschedule_appointment", appointment_id=appt["appointment_id"], option=pick
                )
        if when is not None:
            return self._search(appt, when, text)
        if answer is False:
            return say(copy.move_other_times(appt), asks_new_time(appt))
        return None

    def _search(self, appt: Appt, when: TimePreference | None, text: str) -> ChatResponse:
        try:
            service = self.clinic.service(str(appt.get("service_id")))
        except KeyError:
            return say(copy.ask_when(appt), asks_new_time(appt))
        provider = match_provider(text, self.clinic.providers)
        args = slot_args(service, when, provider)
        offered = [option(o) for o in self.offers] if self.state.move_offers else []
        return call("find_slots", **(times.exact_args(text, args, offered) or args))

    def _relative(self, appt: Appt, shift: Shift) -> ChatResponse:
        """Probe the exact start ``shift`` makes of ``appt``'s ("an hour later")."""
        start = appointment_start(appt, self.now_local)
        try:
            service = self.clinic.service(str(appt.get("service_id")))
        except KeyError:
            return say(copy.ask_when(appt), asks_new_time(appt))
        if start is None:
            return say(copy.ask_when(appt), asks_new_time(appt))
        new = shift.apply(start)
        return call(
            "find_slots", **times.probe_args(slot_args(service, None, None), new.date(), new.time())
        )

    # --- after tool results ---------------------------------------------------------------------
    def after_tools(self, text: str, results: list[ToolResult]) -> ChatResponse | None:
        """The next step after this turn's tools, or None to let the main policy decide (a
        weak change wish such as "another day" from someone with no appointment)."""
        name, args, result = results[-1]
        intents = detect_intents(text)
        if name == "my_appointments":
            return self._after_lookup(text, intents, result)
        if name == "find_slots":
            appt = self._turn_target(text, results, intents)
            if appt is None or appt.get("service_id") != args.get("service_id"):
                return None
            if times.is_probe(args):  # the exact time asked for, alone when free
                if times.found(result):
                    return say(copy_times.move_exact(appt, result), asks_new_time(appt))
                return call("find_slots", **times.nearby_args(args))
            missed = times.missed_probe(results)
            if missed is not None:
                return say(copy_times.move_unavailable(appt, missed, result), asks_new_time(appt))
            wanted = copy.describe(args)
            return say(copy.move_offers(appt, result, wanted), asks_new_time(appt))
        if name == "cancel_appointment":
            return say(copy.cancelled(result, self.notice_hours))
        if name == "reschedule_appointment":
            if result.get("rescheduled") and result.get("status") == "held":
                return call("send_deposit_link")  # held with no link sent yet
            moved = copy.moved(result, self.state.moving, self.clinic.clinic.name)
            taken = not result.get("rescheduled") and self.state.moving is not None
            return say(moved, asks_new_time(self.state.moving) if taken else None)
        return None

    def _turn_target(self, text: str, results: list[ToolResult], intents: Intents) -> Appt | None:
        """The appointment this turn is moving: found by its own lookup, else the one whose
        move was already under way."""
        for name, _args, result in results:
            if name == "my_appointments":
                appts = result.get("appointments") or []
                if self.action(intents) != "move":
                    return None
                return self.target(appts, text, "move") or (appts[0] if len(appts) == 1 else None)
        return self.state.moving

    def _after_lookup(
        self, text: str, intents: Intents, result: dict[str, Any]
    ) -> ChatResponse | None:
        appts: list[Appt] = result.get("appointments") or []
        self.notice_hours = int(result.get("cancellation_notice_hours") or 24)
        action = self.action(intents)
        named = intents.names_change or intents.asks_my_appointment or bool(self.state.choosing)
        if not appts:
            if not (named or self.state.pending_cancel):
                return None
            offers_search = None if action == "cancel" else asks(Asked.SEARCH)
            return say(copy.no_appointments(action), offers_search)
        if action == "query":
            return say(copy.listing(appts))
        appt = self.target(appts, text, action)
        if appt is None and len(appts) == 1:
            appt = appts[0]
        other_service = bool(match_services(text, self.clinic.services)) and not self._by_service(
            text, appts
        )
        if action == "move" and not named and other_service:
            return None  # "filler instead?": another service, not a move
        if appt is None:
            return say(copy.which_appointment(appts, action), asks_which(action))
        if action == "cancel":
            return say(copy.confirm_cancel(appt, self.notice_hours), confirms_cancel(appt))
        shift = parse_shift(text, self.now_local)
        if shift is not None:
            return self._relative(appt, shift)
        when = parse_when(text, self.now_local)
        if when is None and self.state.choosing:
            when = parse_when(self.state.request, self.now_local)
        if when is None:
            return say(copy.ask_when(appt), asks_new_time(appt))
        return self._search(appt, when, text)
