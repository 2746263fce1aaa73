"""Where a booking conversation stands, read from the conversation's stored dialog state.

The offline model keeps no memory of its own: the engine hands it the stored
:class:`agent.dialog.ConversationState` in the turn context, :func:`dialog_state` reads the
booking facts the policy uses out of it, and :func:`turn_update` writes back, on the model's
final response, what only the model knows (the question its reply asks, the wish read from
the patient's text). The question a reply asks is named where the reply is chosen, with
:func:`asks` and the helpers below, never read back out of the reply's wording.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from agent.copy import Appt
from agent.dialog import (
    AppointmentFact,
    Asked,
    Confirmation,
    ConversationState,
    Question,
    StateUpdate,
    Wish,
)
from agent.nlu.providers import match_provider
from agent.nlu.services import match_services
from agent.nlu.when import TimePreference, parse_when
from agent.offline.parser import ToolResult
from knowledge.clinic_file import ClinicFile

#: Tools whose turn starts something new: a move still open after one of them must have
#: been re-announced in that turn's reply.
ACTION_TOOLS = (
    "find_slots",
    "hold_slot",
    "send_deposit_link",
    "my_appointments",
    "cancel_appointment",
    "reschedule_appointment",
    "find_group_slots",
    "hold_group",
)


@dataclass
class DialogState:
    """The booking facts of the stored state, as the policy reads them.

    Attributes:
        service_id: the service last asked about or searched.
        offers: the options of the latest offer still open for picking (none after a hold).
        held: True when a slot is held for the patient.
        preference: the patient's latest stated day/time wish.
        provider_id: a provider the patient asked for.
        asked_service: the assistant last asked which service.
        offered_search: the assistant last offered to look for openings.
    """

    service_id: str | None = None
    offers: list[dict[str, Any]] = field(default_factory=list)
    held: bool = False
    preference: TimePreference | None = None
    provider_id: str | None = None
    asked_service: bool = False
    offered_search: bool = False


def dialog_state(stored: ConversationState, clinic: ClinicFile) -> DialogState:
    """The :class:`DialogState` of the ``stored`` state (offers the patient closed by
    dropping a change are not open; a service or provider the clinic's records no longer
    have, after a re-seed, is forgotten)."""
    asked = stored.question.asked if stored.question else None
    services = {s.id for s in clinic.services}
    providers = {p.id for p in clinic.providers}
    return DialogState(
        service_id=stored.service_id if stored.service_id in services else None,
        offers=[] if stored.change.offers_closed else [o.view() for o in stored.offers],
        held=stored.hold is not None,
        preference=preference(stored.wish),
        provider_id=stored.provider_id if stored.provider_id in providers else None,
        asked_service=asked == Asked.SERVICE,
        offered_search=asked == Asked.SEARCH,
    )


def preference(wish: Wish | None) -> TimePreference | None:
    """A stored wish as the parser's :class:`TimePreference`."""
    if wish is None:
        return None
    return TimePreference(
        wish.date_from,
        wish.date_to,
        frozenset(wish.weekdays),
        wish.after,
        wish.before,
        wish.asap,
        wish.text,
    )


def wish(when: TimePreference) -> Wish:
    """A parsed :class:`TimePreference` as a stored wish."""
    return Wish(
        date_from=when.date_from,
        date_to=when.date_to,
        weekdays=sorted(when.weekdays),
        after=when.after,
        before=when.before,
        asap=when.asap,
        text=when.text,
    )


# --- what a reply asks, named where the reply is chosen --------------------------------------


def asks(question: Asked) -> StateUpdate:
    """A reply that asks ``question`` (which service? shall I search?)."""
    return StateUpdate(question=Question(asked=question))


def asks_which(action: str) -> StateUpdate:
    """A reply that asks which appointment to cancel or to move (``action``)."""
    verb: Literal["cancel", "move"] = "cancel" if action == "cancel" else "move"
    return StateUpdate(question=Question(asked=Asked.APPOINTMENT, action=verb))


def confirms_cancel(appt: Appt) -> StateUpdate:
    """A reply that asks the patient to confirm cancelling ``appt``."""
    return StateUpdate(confirm=Confirmation(appointment=AppointmentFact.model_validate(appt)))


def asks_new_time(appt: Appt | None) -> StateUpdate:
    """A reply about moving ``appt`` (what new time? which of these openings?)."""
    update = StateUpdate(question=Question(asked=Asked.NEW_TIME))
    if appt is not None:
        update.moving = AppointmentFact.model_validate(appt)
    return update


def keeps() -> StateUpdate:
    """A reply saying nothing was changed: the change is dropped and its offers closed."""
    return StateUpdate(moving=None, move_offers=False, offers_closed=True)


# --- the model's update at the end of a turn ---------------------------------------------------


def turn_update(
    clinic: ClinicFile,
    stored: ConversationState,
    text: str,
    tools: list[ToolResult],
    said: StateUpdate | None,
    now_local: dt.datetime,
) -> StateUpdate:
    """What the offline model's final reply adds to the stored state.

    Args:
        clinic: the clinic's records (service and provider names).
        stored: the state when the turn began.
        text: the patient's text of this turn.
        tools: this turn's tool exchanges, oldest first.
        said: what the reply asks (:func:`asks` and the helpers above), or None.
        now_local: the turn's instant in the clinic's zone (for "tomorrow").

    Returns:
        The update: the reply's question or confirmation, the service, wish and provider
        the text names, and where a change of appointment stands after this turn.
    """
    update = said.model_copy() if said is not None else StateUpdate()
    matches = match_services(text, clinic.services)
    if matches:
        update.service_id = matches[0].service_id
    when = parse_when(text, now_local)
    if when is not None:
        update.wish = wish(when)
    provider = match_provider(text, clinic.providers)
    if provider:
        update.provider_id = provider
    _change_update(update, stored, text, {name for name, _, _ in tools})
    return update


def _change_update(
    update: StateUpdate, stored: ConversationState, text: str, ran: set[str]
) -> None:
    """Where a change of appointment stands after a reply: the move goes on while replies
    speak of it; a turn that does something else ends it."""
    marked = update.confirm is not None or (
        update.question is not None and update.question.asked in (Asked.APPOINTMENT, Asked.NEW_TIME)
    )
    if marked and not stored.asks_about_change:
        update.request = text  # the text that started this change
    if "offers_closed" in update.model_fields_set:
        return  # the patient dropped the change (:func:`keeps`)
    if update.question is not None and update.question.asked == Asked.NEW_TIME:
        if "find_slots" in ran:
            update.move_offers = True
    elif ran & set(ACTION_TOOLS) or marked:
        update.moving, update.move_offers = None, False
