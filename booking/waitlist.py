"""Joining the waitlist, saving the slots that free up, and finding who an opening fits
(DESIGN.md §2, Waitlist).

A slot that frees up (a cancellation, a reschedule, an expired hold, a staff change) becomes
a :class:`~booking.waitlist_models.WaitlistOpening` in the same transaction that ends the
appointment (:func:`record_opening`, called by :func:`booking.holds.release_appointment`);
its id is noted on the session under :data:`PENDING_KEY`, and once the session commits the
app enqueues the job that offers it (:func:`app.flows.waitlist.offer_opening`).

Fair order (:func:`fair_order`): first come, then the narrowest window (the patient who can
come least often is the better match for a slot inside their window), then the entry id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from booking.terms import SlotFilter
from booking.waitlist_models import (
    ACTIVE_ENTRY,
    EntryStatus,
    OfferStatus,
    OpeningStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
)
from emr.base import Slot

#: ``session.info`` key of the opening ids a session saved (offered once it commits).
PENDING_KEY = "frontdesk_waitlist_opening_ids"

#: How an ended appointment's status names the opening's source, unless the caller says.
_SOURCE_OF = {
    AppointmentStatus.CANCELLED: "cancellation",
    AppointmentStatus.EXPIRED: "expired_hold",
}
SOURCES = ("cancellation", "reschedule", "expired_hold", "staff", "closure_lifted")


@dataclass(frozen=True)
class Window:
    """A waiting patient's window, clinic-local.

    Attributes:
        weekdays: allowed weekdays, 0 = Monday (empty: any day).
        after, before: a start at or after ``after`` and strictly before ``before``.
        date_from, date_to: inclusive local dates (None: open on that side).
        text: the window in words, as the patient will read it back.
    """

    weekdays: frozenset[int] = frozenset()
    after: dt.time | None = None
    before: dt.time | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""


class AlreadyWaiting(Exception):
    """The patient already waits for that service (their entry is kept as it is)."""


def join(
    session: Session,
    *,
    clinic_id: str,
    patient_phone: str,
    service_id: str,
    window: Window,
    now: dt.datetime,
    conversation_id: int | None = None,
) -> WaitlistEntry:
    """Put ``patient_phone`` on the waitlist for ``service_id`` in ``window``.

    A patient already waiting for the service gets their window replaced (they keep their
    place: a patient is never pushed back for saying more precisely when they can come).

    Returns:
        The saved entry (new, or the existing one updated).
    """
    existing = session.execute(
        select(WaitlistEntry).where(
            WaitlistEntry.clinic_id == clinic_id,
            WaitlistEntry.patient_phone == patient_phone,
            WaitlistEntry.service_id == service_id,
            WaitlistEntry.status.in_(ACTIVE_ENTRY),
        )
    ).scalar_one_or_none()
    entry = existing or WaitlistEntry(
        clinic_id=clinic_id,
        patient_phone=patient_phone,
        service_id=service_id,
        status=EntryStatus.WAITING,
        created_at=now,
    )
    entry.conversation_id = conversation_id or entry.conversation_id
    entry.weekdays = "".join(str(d) for d in sorted(window.weekdays))
    entry.after = window.after.strftime("%H:%M") if window.after else None
    entry.before = window.before.strftime("%H:%M") if window.before else None
    entry.date_from, entry.date_to = window.date_from, window.date_to
    entry.window_text = window.text[:200]
    entry.updated_at = now
    if existing is None:
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError as exc:  # the same patient joined at the same instant
            raise AlreadyWaiting(service_id) from exc
    session.flush()
    return entry


def leave(session: Session, clinic_id: str, patient_phone: str, now: dt.datetime) -> list[str]:
    """Take ``patient_phone`` off the clinic's waitlist (every service; a pending offer of
    theirs stays until its window ends, when it passes on as any lapse does).

    Returns:
        The service ids they were waiting for (empty: they were on no list).
    """
    entries = session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.clinic_id == clinic_id,
            WaitlistEntry.patient_phone == patient_phone,
            WaitlistEntry.status.in_(ACTIVE_ENTRY),
        )
    ).all()
    for entry in entries:
        entry.status, entry.updated_at = EntryStatus.REMOVED, now
    return [e.service_id for e in entries]


def expire_past_windows(session: Session, zone_of: dict[str, ZoneInfo], now: dt.datetime) -> int:
    """Take off the list every waiting entry whose date range has ended (``date_to`` before
    today in its clinic's zone, ``zone_of``: clinic id -> zone).

    Returns:
        How many entries were taken off.
    """
    rows = session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.status == EntryStatus.WAITING, WaitlistEntry.date_to.is_not(None)
        )
    ).all()
    ended = [
        e
        for e in rows
        if e.clinic_id in zone_of
        and e.date_to is not None
        and e.date_to < now.astimezone(zone_of[e.clinic_id]).date()
    ]
    for entry in ended:
        entry.status, entry.updated_at = EntryStatus.REMOVED, now
    return len(ended)


def window_of(entry: WaitlistEntry) -> Window:
    """The :class:`Window` an entry stores."""
    return _window(
        entry.weekdays,
        entry.after,
        entry.before,
        entry.date_from,
        entry.date_to,
        entry.window_text,
    )


def _window(
    weekdays: str,
    after: str | None,
    before: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    text: str,
) -> Window:
    """A :class:`Window` from an entry's stored columns."""
    return Window(
        weekdays=frozenset(int(d) for d in weekdays),
        after=dt.time.fromisoformat(after) if after else None,
        before=dt.time.fromisoformat(before) if before else None,
        date_from=date_from,
        date_to=date_to,
        text=text,
    )


def fits(window: Window, start: dt.datetime, zone: ZoneInfo) -> bool:
    """True when a slot starting at ``start`` (aware) lies inside ``window`` in ``zone``
    (the same test as a patient's search: :meth:`booking.terms.SlotFilter.accepts`)."""
    wanted = SlotFilter(
        date_from=window.date_from,
        date_to=window.date_to,
        weekdays=window.weekdays,
        after=window.after,
        before=window.before,
    )
    return wanted.accepts(start.astimezone(zone))


def width_minutes(window: Window) -> int:
    """How many minutes a week ``window`` spans (the narrower, the better a match)."""
    days = len(window.weekdays) or 7
    after = window.after.hour * 60 + window.after.minute if window.after else 0
    before = window.before.hour * 60 + window.before.minute if window.before else 24 * 60
    return days * max(before - after, 0)


@dataclass(frozen=True)
class Waiting:
    """A waiting entry as matching reads it (no ORM row: an opening may scan many).

    Attributes:
        entry_id: the :class:`WaitlistEntry` id.
        patient_phone: who waits (E.164).
        created_at: when they joined.
        window: their :class:`Window`.
    """

    entry_id: int
    patient_phone: str
    created_at: dt.datetime
    window: Window


def fair_order(waiting: Sequence[Waiting]) -> list[Waiting]:
    """``waiting`` in the order an opening is offered: first come, then the narrowest window,
    then the entry id."""
    return sorted(waiting, key=lambda w: (w.created_at, width_minutes(w.window), w.entry_id))


def candidates(session: Session, opening: WaitlistOpening, zone: ZoneInfo) -> list[Waiting]:
    """The waiting entries ``opening`` fits and was never offered to, in fair order.

    An entry with a pending offer of another opening is left out (one exclusive offer per
    patient at a time; its place is kept for the next opening), and so is a patient who has
    since booked (or holds) an upcoming visit for that service.
    """
    offered = select(WaitlistOffer.entry_id).where(WaitlistOffer.opening_id == opening.id)
    booked = select(Appointment.patient_phone).where(
        Appointment.clinic_id == opening.clinic_id,
        Appointment.service_id == opening.service_id,
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.start_at > opening.created_at,
    )
    e = WaitlistEntry
    rows = session.execute(
        select(e.id, e.patient_phone, e.created_at, e.weekdays, e.after, e.before)
        .add_columns(e.date_from, e.date_to, e.window_text)
        .where(
            e.clinic_id == opening.clinic_id,
            e.service_id == opening.service_id,
            e.status == EntryStatus.WAITING,
            e.id.not_in(offered),
            e.patient_phone.not_in(booked),
        )
    ).all()
    waiting = [Waiting(r.id, r.patient_phone, r.created_at, _window(*r[3:])) for r in rows]
    return fair_order([w for w in waiting if fits(w.window, opening.start_at, zone)])


def record_opening(
    session: Session,
    appointment: Appointment,
    *,
    source: str | None,
    now: dt.datetime,
) -> WaitlistOpening | None:
    """Save the slot ``appointment`` just gave up as an opening, in the caller's transaction.

    Args:
        session: the transaction that ends the appointment.
        appointment: the ended appointment (cancelled or expired).
        source: one of :data:`SOURCES`; None names it from the appointment's status.
        now: the current instant.

    Returns:
        The new opening, or None for a slot already past or an end that frees nothing for
        others (a hold released to be replaced by the same patient's pick).
    """
    source = source or _SOURCE_OF.get(AppointmentStatus(appointment.status))
    if source is None or appointment.start_at <= now:
        return None
    return _open(
        session,
        Slot(
            appointment.service_id,
            appointment.provider_id,
            appointment.start_at,
            appointment.end_at,
            appointment.slot_token or "",
        ),
        clinic_id=appointment.clinic_id,
        names=(appointment.service_name, appointment.provider_name),
        appointment_id=appointment.id,
        source=source,
        now=now,
    )


def record_free_slot(
    session: Session,
    clinic_id: str,
    slot: Slot,
    *,
    service_name: str,
    provider_name: str,
    source: str,
    now: dt.datetime,
) -> WaitlistOpening | None:
    """Save a free EMR ``slot`` that was not free before (a closure lifted) as an opening, in
    the caller's transaction; None when an open opening already holds that provider and start.

    Args:
        session: the caller's transaction.
        clinic_id: the clinic.
        slot: the free slot (FHIR ``Slot``: provider, start, end, token).
        service_name, provider_name: names for the offer text.
        source: one of :data:`SOURCES` (``closure_lifted``).
        now: the current instant.
    """
    known = session.scalar(
        select(WaitlistOpening.id).where(
            WaitlistOpening.clinic_id == clinic_id,
            WaitlistOpening.provider_id == slot.provider_id,
            WaitlistOpening.start_at == slot.start,
            WaitlistOpening.status == OpeningStatus.OPEN,
        )
    )
    if known is not None or slot.start <= now:
        return None
    return _open(
        session,
        slot,
        clinic_id=clinic_id,
        names=(service_name, provider_name),
        appointment_id=None,
        source=source,
        now=now,
    )


def _open(
    session: Session,
    slot: Slot,
    *,
    clinic_id: str,
    names: tuple[str, str],
    appointment_id: int | None,
    source: str,
    now: dt.datetime,
) -> WaitlistOpening:
    """Add the open opening of ``slot`` and note its id for the offer job after the commit."""
    opening = WaitlistOpening(
        clinic_id=clinic_id,
        provider_id=slot.provider_id,
        service_id=slot.service_id,
        start_at=slot.start,
        end_at=slot.end,
        slot_token=slot.token or None,
        service_name=names[0],
        provider_name=names[1],
        appointment_id=appointment_id,
        source=source,
        status=OpeningStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(opening)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(opening.id)
    return opening


def reserved_slots(
    session: Session, clinic_id: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """``(provider_id, start, end)`` of every opening under a pending exclusive offer between
    ``start`` and ``end``: public search must not offer them to anybody else."""
    rows = session.execute(
        select(WaitlistOpening.provider_id, WaitlistOpening.start_at, WaitlistOpening.end_at)
        .join(WaitlistOffer, WaitlistOffer.opening_id == WaitlistOpening.id)
        .where(
            WaitlistOpening.clinic_id == clinic_id,
            WaitlistOffer.status == OfferStatus.PENDING,
            WaitlistOpening.start_at < end,
            WaitlistOpening.end_at > start,
        )
    ).all()
    return [(p, s, e) for p, s, e in rows]


def slot_free(session: Session, opening: WaitlistOpening) -> bool:
    """True when no active hold or appointment overlaps ``opening`` for its provider."""
    clash = session.execute(
        select(Appointment.id).where(
            Appointment.clinic_id == opening.clinic_id,
            Appointment.provider_id == opening.provider_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < opening.end_at,
            Appointment.end_at > opening.start_at,
        )
    ).first()
    return clash is None
