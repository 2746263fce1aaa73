"""Where a conversation stands, as structured facts stored with it (issue 12).

:class:`ConversationState` is the conversation's memory between turns: the service being
discussed, the open slot offers ("the second one"), the current hold, the patient's day and
time wish, a provider they asked for, the question the assistant's last reply asked and the
confirmation it waits for, the facts of a change to an existing appointment, and a group
request (several people booking together) with its options and holds. Both chat
backends see the same facts: the offline model reads them from the turn context, the GPT
backend from the system prompt (:func:`agent.prompt.state_block`). Nothing is read back out
of reply wording.

Who writes what:

- the tools (:mod:`agent.tools`) write what they did when they succeed: the offers of
  ``find_slots``, the hold of ``hold_slot``, the link of ``send_deposit_link``, the rows of
  ``my_appointments``, a cancel or a move, the group options of ``find_group_slots`` and the
  holds of ``hold_group`` (the methods below named for those events);
- the model writes what only it knows (the question it asked, the confirmation it waits for,
  the wish and the number of people it read in the patient's text) as a :class:`StateUpdate`
  on its final response, applied by the engine at the end of the turn
  (:meth:`ConversationState.after_reply`).

The shape is versioned (:data:`VERSION`): stored JSON of another version is not read (the
conversation starts from an empty state) rather than misread.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The version of the stored shape; bump it (and say how old rows are read) on a change that
#: old JSON would not validate against or would mean something else under.
VERSION = 1


class Asked(enum.StrEnum):
    """The question the assistant's last reply left open."""

    #: Which service would you like to book?
    SERVICE = "service"
    #: Shall I look for openings (for the service just described)?
    SEARCH = "search"
    #: Which of your appointments (to cancel or to move, :attr:`Question.action`)?
    APPOINTMENT = "appointment"
    #: What new day and time for the appointment being moved (or which of its openings)?
    NEW_TIME = "new_time"
    #: How many people are coming (a group request that did not say)?
    COUNT = "count"


class _Open(BaseModel):
    """A record returned by a tool: its known fields typed, any other field kept as is."""

    model_config = ConfigDict(extra="allow")

    def view(self) -> dict[str, Any]:
        """The record as the tool returned it (a plain dict, extra fields included)."""
        return self.model_dump(mode="json")


class Offer(_Open):
    """One numbered opening offered to the patient (a ``find_slots`` slot view).

    Attributes:
        option: the number the patient picks it by (1-based).
        when: its start as the patient read it ("Thu Nov 26 at 4:00 PM CST").
        start: its clinic-local start, ISO 8601 with offset.
        provider_id, provider: who would see the patient.
    """

    option: int
    when: str = ""
    start: str
    provider_id: str = ""
    provider: str = ""


class GroupOffer(_Open):
    """One numbered group option offered (a ``find_group_slots`` group view): a slot per
    person, side by side or back to back.

    Attributes:
        option: the number the patient picks it by (1-based).
        slots: the person-by-person openings, as :class:`Offer` views.
    """

    option: int
    slots: list[Offer]


class GroupFacts(BaseModel):
    """A group request (several people booking together) while it is open.

    Attributes:
        size: its people, the texter included (None: not said yet).
        offers: the group options still open for picking (the latest group search's).
        search: the arguments of the latest group search (``find_group_slots``), as called.
    """

    size: int | None = None
    offers: list[GroupOffer] = Field(default_factory=list)
    search: dict[str, Any] = Field(default_factory=dict)


class AppointmentFact(_Open):
    """One of the patient's upcoming appointments as ``my_appointments`` listed it.

    Attributes:
        appointment_id: the id the cancel and move tools take.
        service_id, service, provider, when, status: what it is and when.
        deposit_paid: the paid deposit as money text ("$50.00"), or None.
        inside_notice_window, moved_late: the cancellation policy's facts when listed.
    """

    appointment_id: int
    service_id: str | None = None
    service: str = ""
    provider: str | None = None
    when: str = ""
    status: str = ""
    deposit_paid: str | None = None
    inside_notice_window: bool = False
    moved_late: bool = False


class Hold(BaseModel):
    """The slot held for the patient while they pay the deposit.

    Attributes:
        appointment_id: the held appointment's row.
        service, provider, when: what is held, as told to the patient.
        expires_at: when the hold lapses (aware), if known.
        link_sent: the deposit link was sent.
    """

    appointment_id: int
    service: str = ""
    provider: str = ""
    when: str = ""
    expires_at: dt.datetime | None = None
    link_sent: bool = False


class Wish(BaseModel):
    """The patient's day and time wish, clinic-local (the offline parser's reading).

    Attributes:
        date_from, date_to: inclusive local dates (None: open on that side).
        weekdays: allowed weekdays, 0 = Monday (empty: any).
        after, before: a start at or after ``after`` and strictly before ``before``.
        asap: the earliest opening is wanted.
        text: the wish in words ("Thursday after 4:00 PM").
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    weekdays: list[int] = Field(default_factory=list)
    after: dt.time | None = None
    before: dt.time | None = None
    asap: bool = False
    text: str = ""


class Question(BaseModel):
    """The question the last reply asked: what it asked, and for which change."""

    asked: Asked
    #: For :attr:`Asked.APPOINTMENT`: what the chosen appointment is for.
    action: Literal["cancel", "move"] | None = None


class Confirmation(BaseModel):
    """What the last reply asked the patient to confirm: cancelling ``appointment``."""

    action: Literal["cancel"] = "cancel"
    appointment: AppointmentFact


class ChangeFacts(BaseModel):
    """Where a change to an existing appointment stands.

    Attributes:
        appointments: the rows ``my_appointments`` listed last.
        notice_hours: the clinic's cancellation notice, from that listing.
        moving: the appointment being moved, while the move is under way.
        move_offers: the open offers are new times for ``moving``.
        request: the patient's text that started the change being discussed.
        offers_closed: the patient dropped the change after the latest offer, so its options
            are no longer open for picking.
    """

    appointments: list[AppointmentFact] = Field(default_factory=list)
    notice_hours: int = 24
    moving: AppointmentFact | None = None
    move_offers: bool = False
    request: str = ""
    offers_closed: bool = False


class StateUpdate(BaseModel):
    """What the model learned in a turn that no tool knows, set on its final response.

    ``question`` and ``confirm`` describe the reply this update came with, so they always
    replace the stored ones (left out: the reply asks nothing). Every other field changes the
    stored state only when it was set (pydantic's ``model_fields_set``), so an update that
    says nothing about the wish keeps the wish.
    """

    question: Question | None = None
    confirm: Confirmation | None = None
    service_id: str | None = None
    wish: Wish | None = None
    provider_id: str | None = None
    moving: AppointmentFact | None = None
    move_offers: bool = False
    request: str = ""
    offers_closed: bool = False
    #: How many people the patient's text said are coming, when set: 1 (just the texter)
    #: closes a group request; more opens one or changes its size; None opens one of a size
    #: not said yet ("my friends and I").
    party_size: int | None = None

    def merged(self, later: StateUpdate) -> StateUpdate:
        """This update followed by ``later`` (one reply answering several questions): the
        fields ``later`` set win, and its question only when it asks one."""
        data = self.model_dump(exclude_unset=True)
        data.update(later.model_dump(exclude_unset=True))
        if later.question is None and self.question is not None:
            data["question"] = self.question.model_dump()
        if later.confirm is None and self.confirm is not None:
            data["confirm"] = self.confirm.model_dump()
        return StateUpdate.model_validate(data)


#: The fields of :class:`StateUpdate` that belong to :class:`ChangeFacts`.
_CHANGE_FIELDS = ("moving", "move_offers", "request", "offers_closed")


class ConversationState(BaseModel):
    """The stored facts of one conversation (empty for a conversation that has none).

    Attributes:
        version: :data:`VERSION`.
        service_id: the service being discussed (asked about or searched last).
        offers: the options of the latest offer still open for picking (none after a hold).
        hold: the current unpaid hold, or None.
        wish: the patient's latest day and time wish, or None.
        provider_id: a provider the patient asked for, or None.
        question: the question the last reply asked, or None.
        confirm: the confirmation the last reply waits for, or None.
        change: the facts of a cancel or a move.
        group: the open group request, or None.
        group_holds: the holds made for the group last held (one per person).

    The group fields were added within version 1: they default to empty, so a row stored
    before them reads as a conversation with no group, which it is.
    """

    version: Literal[1] = 1
    service_id: str | None = None
    offers: list[Offer] = Field(default_factory=list)
    hold: Hold | None = None
    wish: Wish | None = None
    provider_id: str | None = None
    question: Question | None = None
    confirm: Confirmation | None = None
    change: ChangeFacts = Field(default_factory=ChangeFacts)
    group: GroupFacts | None = None
    group_holds: list[Hold] = Field(default_factory=list)

    # --- written by the tools ---------------------------------------------------------------
    def offered(self, service_id: str, slots: list[dict[str, Any]]) -> None:
        """``find_slots`` offered ``slots`` (slot views) for ``service_id``: they are the open
        offers (none found leaves the earlier offers open)."""
        self.service_id = service_id
        self.change.offers_closed = False
        self._group_offers_end()
        if slots:
            self.offers = [Offer.model_validate(s) for s in slots]

    def held(self, hold: Hold) -> None:
        """``hold_slot`` held an offered slot: the offers are closed, and so is a group
        request (the patient booked for one)."""
        self.hold, self.offers, self.group = hold, [], None

    def taken(self, alternatives: list[dict[str, Any]]) -> None:
        """``hold_slot`` found the slot taken and offered ``alternatives`` instead."""
        self._group_offers_end()
        if alternatives:
            self.offers = [Offer.model_validate(s) for s in alternatives]

    def link_sent(self, appointment_id: int) -> None:
        """``send_deposit_link`` sent the deposit link for the held ``appointment_id``."""
        if self.hold is not None and self.hold.appointment_id == appointment_id:
            self.hold.link_sent = True

    def booked(self, appointment_id: int) -> None:
        """The held ``appointment_id`` was booked (no deposit needed): nothing is held."""
        if self.hold is not None and self.hold.appointment_id == appointment_id:
            self.hold = None

    def listed(self, appointments: list[dict[str, Any]], notice_hours: int) -> None:
        """``my_appointments`` listed ``appointments`` under a ``notice_hours`` policy."""
        self.change.appointments = [AppointmentFact.model_validate(a) for a in appointments]
        self.change.notice_hours = notice_hours

    def cancelled(self, appointment_id: int) -> None:
        """``cancel_appointment`` cancelled ``appointment_id``: it is no longer listed."""
        rows = self.change.appointments
        self.change.appointments = [a for a in rows if a.appointment_id != appointment_id]

    def rescheduled(self) -> None:
        """``reschedule_appointment`` moved an appointment to an offered option: the offers
        are used up."""
        self.offers = []
        self._group_offers_end()

    def group_offered(
        self, service_id: str, search: dict[str, Any], groups: list[dict[str, Any]]
    ) -> None:
        """``find_group_slots`` searched with arguments ``search`` (``party_size`` among them)
        and offered ``groups`` (group views, maybe none) for ``service_id``: they replace the
        group's options."""
        self.service_id = service_id
        self.group = GroupFacts(
            size=int(search.get("party_size") or 2),
            offers=[GroupOffer.model_validate(g) for g in groups],
            search=search,
        )

    def group_taken(self, groups: list[dict[str, Any]]) -> None:
        """``hold_group`` found a slot taken and offered ``groups`` (group views) instead."""
        if self.group is not None:
            self.group.offers = [GroupOffer.model_validate(g) for g in groups]

    def group_held(self, holds: list[Hold]) -> None:
        """``hold_group`` held one slot per person (releasing any earlier unpaid hold): the
        group request is done."""
        self.group, self.group_holds, self.hold = None, holds, None

    def _group_offers_end(self) -> None:
        """A one-person offer, hold or move replaces the group's options."""
        if self.group is not None:
            self.group.offers = []

    def hold_ended(self) -> None:
        """The hold lapsed, was paid or was released: nothing is held any more."""
        self.hold = None

    # --- written by the model ----------------------------------------------------------------
    def after_reply(self, update: StateUpdate | None) -> None:
        """Apply the model's ``update`` of the reply just sent (None: a reply that asks
        nothing, such as a guardrail's or the fallback)."""
        update = update or StateUpdate()
        self.question, self.confirm = update.question, update.confirm
        for name in update.model_fields_set - {"question", "confirm", "party_size"}:
            value = getattr(update, name)
            target = self.change if name in _CHANGE_FIELDS else self
            setattr(target, name, value)
        if "party_size" in update.model_fields_set:
            self._party(update.party_size)

    def _party(self, size: int | None) -> None:
        """The patient said ``size`` people are coming (:attr:`StateUpdate.party_size`): 1
        closes a group request, more (or None, several but not how many) opens one or resizes
        the open one, keeping its options."""
        if size is not None and size < 2:
            self.group = None
        elif self.group is None:
            self.group = GroupFacts(size=size)
        else:
            self.group.size = size

    @property
    def asks_about_change(self) -> bool:
        """The last reply asked which appointment, a move's new time, or to confirm a
        cancel."""
        asked = self.question.asked if self.question else None
        return self.confirm is not None or asked in (Asked.APPOINTMENT, Asked.NEW_TIME)


def parse_state(data: object) -> ConversationState | None:
    """The stored JSON ``data`` as a :class:`ConversationState`, or None when it is of another
    version or does not validate (the caller starts from an empty state)."""
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    try:
        return ConversationState.model_validate(data)
    except ValueError:
        return None
