"""Holding an offered slot and turning a hold into a booked appointment.

Every step saves our row before the EMR is called and stores the EMR's answer after, each in
its own transaction, so a crash between the two leaves a row that says what was attempted:
    1. insert the appointment as ``held`` (the database refuses an overlap: one winner);
    2. match or create the patient in the EMR, write the appointment there as proposed;
    3. store the EMR ids, or release the hold when the EMR says the slot is gone.

One conversation holds one pick at a time: the agent holds through
:func:`booking.deposits.hold_replacing`, which releases the conversation's earlier unpaid
hold; a group pick (one slot per person) holds all its slots at once through
:func:`booking.group.hold_group`, which releases the earlier holds the same way. A reschedule
holds with :func:`hold_offer` directly and ends the old appointment itself
(:mod:`booking.changes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.db import Database
from booking.funnel import BOOKED, HOLD, record_appointment_step
from booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, SlotOffer, get_row
from booking.patients import patient_for
from booking.reminders import cancel_pending, schedule_texts
from booking.terms import ClinicTerms, ReminderPlan
from booking.waitlist import record_opening
from emr.base import EMRClient, EMRError, NotCancellable, Slot, SlotUnavailable

log = structlog.get_logger(__name__)


class HoldFailed(Exception):
    """The slot could not be held. ``reason``: taken | expired_offer | emr_error."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class HeldSlot:
    """A successful hold: our appointment id and when the hold lapses unpaid."""

    appointment_id: int
    expires_at: dt.datetime


def hold_offer(
    db: Database,
    emr: EMRClient,
    *,
    clinic: ClinicTerms,
    offer: SlotOffer,
    patient_phone: str,
    service_name: str,
    provider_name: str,
    deposit_cents: int,
    now: dt.datetime,
    patient_name: str | None = None,
) -> HeldSlot:
    """Hold ``offer`` for ``patient_phone`` for ``clinic.hold_minutes``.

    One slot, nothing more: a patient's pick goes through
    :func:`booking.deposits.hold_replacing` (one hold per conversation; a group's holds go
    through :func:`booking.group.hold_group`).

    Args:
        db, emr: our database and the clinic's EMR.
        clinic: the clinic's booking terms.
        offer: a saved :class:`SlotOffer` (its EMR token is used; no new search).
        patient_phone, patient_name: who the hold is for.
        service_name, provider_name: the words the patient was shown, kept on the row.
        deposit_cents: the deposit the booking will need (0: none).
        now: the current instant.

    Returns:
        :class:`HeldSlot`.

    Raises:
        HoldFailed: ``taken`` (another hold or appointment overlaps, or the EMR refused the
        slot) or ``emr_error`` (the EMR failed otherwise; the hold is released).
    """
    expires = now + dt.timedelta(minutes=clinic.hold_minutes)
    names = (service_name, provider_name)
    appointment = hold_row(clinic, offer, patient_phone, names, deposit_cents, expires, now)
    appointment.patient_name = patient_name  # None for most: the EMR chart gives it later
    (appointment_id,) = insert_holds(db, [appointment])
    slot = Slot(offer.service_id, offer.provider_id, offer.start_at, offer.end_at, offer.token)
    book_hold_in_emr(db, emr, appointment_id, slot, patient_phone, now, patient_name)
    return HeldSlot(appointment_id=appointment_id, expires_at=expires)


def hold_row(
    clinic: ClinicTerms,
    offer: SlotOffer,
    patient_phone: str,
    names: tuple[str, str],
    deposit_cents: int,
    expires: dt.datetime,
    now: dt.datetime,
) -> Appointment:
    """A new ``held`` appointment row for ``offer`` (not yet saved: :func:`insert_holds`).

    Args:
        names: (service name, provider name) as the patient was shown them.
        expires: when the hold lapses unpaid; ``now``: the current instant.
    """
    return Appointment(
        clinic_id=clinic.clinic_id,
        conversation_id=offer.conversation_id,
        patient_phone=patient_phone,
        service_id=offer.service_id,
        provider_id=offer.provider_id,
        service_name=names[0],
        provider_name=names[1],
        timezone=clinic.timezone,
        start_at=offer.start_at,
        end_at=offer.end_at,
        status=AppointmentStatus.HELD,
        hold_expires_at=expires,
        deposit_cents=deposit_cents,
        slot_token=offer.token,
        created_at=now,
        updated_at=now,
    )


#: Postgres SQLSTATEs that mean "run the transaction again": deadlock_detected and
#: serialization_failure (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})
_INSERT_ATTEMPTS = 10


def insert_holds(db: Database, appointments: list[Appointment]) -> list[int]:
    """Save new ``held`` appointments in one transaction (step 1): all or none, since the
    database refuses an overlap of any of them (with each other or with another patient's).

    Many patients racing for one slot make Postgres check each other's uncommitted rows
    against the exclusion constraint, and it may break such a wait with a deadlock error; the
    victim simply tries again (Postgres' advice for 40P01/40001), and then either wins or
    meets the winner's committed row.

    Returns:
        The new appointment ids, in the order given.

    Raises:
        HoldFailed: ``taken``.
    """
    # One order for every transaction (provider, then start): racing groups that share a
    # slot wait on the same first row instead of each holding the row the other needs.
    ordered = sorted(appointments, key=lambda a: (a.provider_id, a.start_at))
    attempt = 0
    while True:
        attempt += 1
        try:
            with db.session() as session:
                session.add_all(ordered)
                session.flush()
                for held in ordered:
                    record_appointment_step(session, held, HOLD, held.created_at)
                return [a.id for a in appointments]
        except IntegrityError as exc:
            log.info("hold_refused_overlap", holds=len(appointments))
            raise HoldFailed("taken", "another hold or appointment overlaps") from exc
        except OperationalError as exc:
            retry = getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES
            if not retry or attempt >= _INSERT_ATTEMPTS:
                raise
            log.info("hold_insert_retried", attempt=attempt)


def book_hold_in_emr(
    db: Database,
    emr: EMRClient,
    appointment_id: int,
    slot: Slot,
    patient_phone: str,
    now: dt.datetime,
    patient_name: str | None = None,
) -> None:
    """Match or create the patient (:func:`booking.patients.patient_for`: never a guess
    between charts sharing a number) and write the appointment in the EMR (step 2), then
    store the EMR's ids, or release the hold when the EMR fails (step 3).

    Raises:
        HoldFailed: ``taken`` (the EMR no longer offers the slot) or ``emr_error``.
    """
    try:
        patient = patient_for(emr, patient_phone, patient_name)
        emr_appointment = emr.book(slot, patient.id)
    except EMRError as exc:
        with db.session() as session:
            row = get_row(session, Appointment, appointment_id)
            row.status = AppointmentStatus.RELEASED
            row.emr_error = f"{type(exc).__name__}: {exc}"[:500]
            row.updated_at = now
        if isinstance(exc, SlotUnavailable):
            raise HoldFailed("taken", "the EMR no longer offers this slot") from exc
        log.warning("hold_emr_error", error=type(exc).__name__)
        raise HoldFailed("emr_error", type(exc).__name__) from exc
    with db.session() as session:
        row = get_row(session, Appointment, appointment_id)
        row.emr_patient_id = patient.id
        row.emr_appointment_id = emr_appointment.id
        row.updated_at = now


def confirm_appointment(
    db: Database,
    emr: EMRClient,
    appointment_id: int,
    now: dt.datetime,
    *,
    reminders: ReminderPlan | None = None,
) -> Appointment:
    """Mark a held (or awaiting-deposit) appointment booked, here and in the EMR, and
    schedule its reminders, aftercare and review texts (:func:`booking.reminders.schedule_texts`)
    in the same transaction.

    The EMR confirmation is attempted after our row says booked; an EMR failure is stored on
    the row (``emr_error``) for staff and retried by the sweeper (:func:`retry_emr_sync`).

    Args:
        db, emr: our database and the clinic's EMR.
        appointment_id: our appointment.
        now: the current instant.
        reminders: the clinic's plan (``ClinicTerms.reminders``); None schedules nothing.

    Returns:
        The booked appointment (detached; read its fields freely).

    Raises:
        ValueError: the appointment is not active.
    """
    with db.session() as session:
        row = session.get(Appointment, appointment_id)
        if row is None or row.status not in ACTIVE_STATUSES:
            raise ValueError(f"appointment {appointment_id} is not active")
        row.status = AppointmentStatus.BOOKED
        row.hold_expires_at = None
        row.updated_at = now
        record_appointment_step(session, row, BOOKED, now)
        session.flush()
        if reminders is not None:
            schedule_texts(session, row, reminders, now)
        emr_id = row.emr_appointment_id
    if emr_id is not None:
        sync_emr(db, emr, appointment_id, emr_id, "confirm")
    with db.session() as session:
        return get_row(session, Appointment, appointment_id)


def release_appointment(
    db: Database,
    emr: EMRClient,
    appointment_id: int,
    *,
    status: str,
    now: dt.datetime,
    source: str | None = None,
    funnel_step: str | None = None,
) -> bool:
    """End an active appointment with ``status`` (expired | cancelled) and cancel it in the EMR.

    The freed slot of a cancelled or expired appointment becomes a waitlist opening in the
    same transaction (:func:`booking.waitlist.record_opening`; ``source`` names why it
    freed, e.g. ``reschedule`` or ``staff``; None: from ``status``).

    Args:
        db, emr: our database and the clinic's EMR.
        appointment_id: our appointment.
        status: an :class:`AppointmentStatus` value that ends it (plain strings accepted).
        now: the current instant.
        funnel_step: a :mod:`booking.funnel` step this end counts as (a patient's or staff's
            cancellation: ``CANCELLED``), recorded in the same transaction; None for a hold
            replaced, moved or lapsed.

    Returns:
        True when this call ended it; False when it was no longer active (idempotent). The
        row is locked while it is read (Postgres ``FOR UPDATE``; SQLite serialises writers),
        so of two processes ending one hold at once exactly one gets True.
    """
    with db.session() as session:
        row = session.get(Appointment, appointment_id, with_for_update=True)
        if row is None or row.status not in ACTIVE_STATUSES:
            return False
        row.status = AppointmentStatus(status)
        row.updated_at = now
        cancel_pending(session, appointment_id, now)
        emr_id = row.emr_appointment_id
        record_opening(session, row, source=source, now=now)
        if funnel_step is not None:
            record_appointment_step(session, row, funnel_step, now)
    if emr_id is not None:
        sync_emr(db, emr, appointment_id, emr_id, "cancel")
    return True


#: The EMR call that tells it an appointment's status (any other ended status: ``cancel``).
_SYNC_ACTIONS = {AppointmentStatus.BOOKED: "confirm", AppointmentStatus.NO_SHOW: "no_show"}


def sync_emr(db: Database, emr: EMRClient, appointment_id: int, emr_id: str, action: str) -> bool:
    """Tell the EMR our row's new state (``confirm`` | ``cancel`` | ``no_show``); on failure record it on the
    row (``emr_error``, prefixed with the action) for :func:`retry_emr_sync`. True on success."""
    calls = {"confirm": emr.confirm, "cancel": emr.cancel, "no_show": emr.no_show}
    try:
        calls[action](emr_id)
    except NotCancellable:
        pass  # already cancelled or gone in the EMR: nothing left to do
    except EMRError as exc:
        with db.session() as session:
            failed = get_row(session, Appointment, appointment_id)
            failed.emr_error = f"{action}: {type(exc).__name__}: {exc}"[:500]
        log.warning("emr_sync_failed", action=action, appointment_id=appointment_id)
        return False
    return True


def retry_emr_sync(db: Database, emr: EMRClient, clinic_id: str) -> int:
    """Retry every EMR confirm/cancel of ``clinic_id`` that failed earlier (the sweeper runs
    this).

    Returns:
        How many now succeeded; their ``emr_error`` is cleared.
    """
    with db.session() as session:
        rows = session.execute(
            select(Appointment.id, Appointment.emr_appointment_id, Appointment.status).where(
                Appointment.clinic_id == clinic_id,
                Appointment.emr_error.is_not(None),
                Appointment.emr_appointment_id.is_not(None),
                Appointment.status.in_(
                    (
                        AppointmentStatus.BOOKED,
                        AppointmentStatus.CANCELLED,
                        AppointmentStatus.EXPIRED,
                        AppointmentStatus.NO_SHOW,
                    )
                ),
            )
        ).all()
    fixed = 0
    for appointment_id, emr_id, status in rows:
        action = _SYNC_ACTIONS.get(status, "cancel")
        if emr_id and sync_emr(db, emr, appointment_id, emr_id, action):
            with db.session() as session:
                get_row(session, Appointment, appointment_id).emr_error = None
            fixed += 1
    return fixed
