"""Patient-initiated changes: cancel and reschedule, honouring the cancellation notice.

Cancel: the appointment is released here and in the EMR; a paid deposit is refunded in
full when the patient cancels at least ``cancellation_notice_hours`` before the start, and
kept (the patient is told so) when later. Reschedule: the new slot is held and booked
*before* the old appointment is cancelled, so a failure never leaves the patient with
nothing; a paid deposit moves to the new appointment. Staff are notified of both.

A reschedule inside the notice window is a late change. The clinic's policy asks for the
notice "to cancel or reschedule" and forfeits the deposit with less, so moving a booking
with less notice cannot buy back a refund: the new appointment carries the late change
(``Appointment.late_change_at``, kept through further moves), and cancelling it later keeps
the deposit however far out it now is (:func:`cancels_late`). A move made with enough notice
leaves the new appointment judged by its own start, as any booking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from booking import copy
from booking.deposits import cancel_links, close_unpaid_links, refund_key
from booking.funnel import CANCELLED, continue_steps
from booking.holds import (
    HeldSlot,
    HoldFailed,
    confirm_appointment,
    hold_offer,
    release_appointment,
)
from booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Deposit,
    DepositStatus,
    SlotOffer,
    get_row,
)
from booking.notify import tell_staff
from booking.terms import ClinicTerms, format_when
from emr.base import EMRClient
from messaging.models import AlertKind
from payments.base import DepositProvider, PaymentError
from payments.money import format_money

log = structlog.get_logger(__name__)


def cancels_late(
    start_at: dt.datetime, *, moved_late: bool, now: dt.datetime, notice_hours: int
) -> bool:
    """Whether cancelling now is a late cancellation, whose paid deposit is kept.

    Args:
        start_at: the appointment's start (aware).
        moved_late: the booking was already changed inside the notice window (a late
            reschedule of it, or of an appointment it replaced: ``late_change_at`` is set).
        now: the current instant (aware).
        notice_hours: the clinic's ``cancellation_notice_hours``.

    Returns:
        True when ``moved_late``, or when fewer than ``notice_hours`` remain before the start.
    """
    return moved_late or start_at - now < dt.timedelta(hours=notice_hours)


@dataclass(frozen=True)
class UpcomingAppointment:
    """An active appointment as the patient sees it; ``moved_late``: it was rescheduled inside
    the notice window (see :func:`cancels_late`)."""

    appointment_id: int
    service_id: str
    service: str
    provider: str
    when: str
    status: str
    start: dt.datetime
    deposit_paid_cents: int
    moved_late: bool = False


def upcoming(
    db: Database, patient_phone: str, clinic_id: str, now: dt.datetime
) -> list[UpcomingAppointment]:
    """The patient's active appointments that have not started, soonest first."""
    with db.session() as session:
        rows = (
            session.execute(
                select(Appointment)
                .where(
                    Appointment.patient_phone == patient_phone,
                    Appointment.clinic_id == clinic_id,
                    Appointment.status.in_(ACTIVE_STATUSES),
                    Appointment.start_at > now,
                )
                .order_by(Appointment.start_at)
            )
            .scalars()
            .all()
        )
        paid = {
            d.appointment_id: d.amount_cents
            for d in session.execute(
                select(Deposit).where(
                    Deposit.appointment_id.in_([r.id for r in rows]),
                    Deposit.status == DepositStatus.PAID,
                )
            ).scalars()
        }
    return [
        UpcomingAppointment(
            appointment_id=r.id,
            service_id=r.service_id,
            service=r.service_name,
            provider=r.provider_name,
            when=format_when(r.start_at, r.timezone),
            status=r.status,
            start=r.start_at,
            deposit_paid_cents=paid.get(r.id, 0),
            moved_late=r.late_change_at is not None,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class CancelOutcome:
    """What a cancellation did with the deposit: refunded | kept | none | refund_failed.

    ``late``: a late cancellation (:func:`cancels_late`); ``moved_late``: late because the
    booking had been rescheduled inside the notice window.
    """

    appointment_id: int
    when: str
    service: str
    deposit: str
    amount_cents: int
    late: bool
    moved_late: bool = False


def cancel_by_patient(
    db: Database,
    emr: EMRClient,
    provider: DepositProvider,
    *,
    clinic: ClinicTerms,
    appointment_id: int,
    now: dt.datetime,
) -> CancelOutcome:
    """Cancel an active appointment at the patient's request.

    Args:
        db, emr: our database and the clinic's EMR.
        provider: the clinic's payment provider (refunds, unpaid links cancelled).
        clinic: the clinic's booking terms (its cancellation notice).
        appointment_id: the active appointment.
        now: the current instant.

    Returns:
        :class:`CancelOutcome`; ``late`` when inside the clinic's notice window, or when the
        booking was rescheduled inside it before (:func:`cancels_late`).

    Raises:
        ValueError: the appointment is not active.
    """
    with db.session() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.status not in ACTIVE_STATUSES:
            raise ValueError(f"appointment {appointment_id} is not active")
        moved_late = appt.late_change_at is not None
        late = cancels_late(
            appt.start_at,
            moved_late=moved_late,
            now=now,
            notice_hours=clinic.cancellation_notice_hours,
        )
        when, service = format_when(appt.start_at, appt.timezone), appt.service_name
        paid = _paid_deposit(session, appointment_id, refunding=not late)
        link_ids = close_unpaid_links(session, appointment_id, DepositStatus.CANCELLED)
    release_appointment(
        db, emr, appointment_id, status=AppointmentStatus.CANCELLED, now=now, funnel_step=CANCELLED
    )
    cancel_links(provider, link_ids)
    outcome, amount = "none", 0
    if paid is not None:
        deposit_id, payment_id, amount, key = paid
        outcome = (
            "kept" if late else _refund(db, provider, clinic, deposit_id, payment_id, amount, key)
        )
    with db.session() as session:
        tell_staff(
            session,
            clinic,
            kind=AlertKind.ALERT if outcome == "refund_failed" else AlertKind.NOTICE,
            reason="cancelled",
            now=now,
            conversation_id=_conversation(db, appointment_id),
            summary=copy.staff_cancelled(service, when, outcome, format_money(amount)),
        )
    return CancelOutcome(appointment_id, when, service, outcome, amount, late, moved_late)


def _paid_deposit(
    session: Session, appointment_id: int, *, refunding: bool
) -> tuple[int, str, int, str] | None:
    """The appointment's paid deposit as (id, payment id, amount, idempotency key), or None.

    With ``refunding`` the row is marked ``refunding`` first (a row first, then the provider
    call).
    """
    deposit = (
        session.execute(
            select(Deposit).where(
                Deposit.appointment_id == appointment_id, Deposit.status == DepositStatus.PAID
            )
        )
        .scalars()
        .first()
    )
    if deposit is None:
        return None
    if refunding:
        deposit.status = DepositStatus.REFUNDING
    return deposit.id, deposit.payment_id or "", deposit.amount_cents, deposit.idempotency_key


def _conversation(db: Database, appointment_id: int) -> int | None:
    """The conversation of an appointment, if any."""
    with db.session() as session:
        appt = session.get(Appointment, appointment_id)
        return appt.conversation_id if appt else None


def _refund(
    db: Database,
    provider: DepositProvider,
    clinic: ClinicTerms,
    deposit_id: int,
    payment_id: str,
    amount: int,
    deposit_key: str,
) -> str:
    """Refund a deposit in full after a timely cancellation.

    Returns:
        ``refunded``, or ``refund_failed`` (the deposit stays ``paid`` with the error stored).
    """
    try:
        refund = provider.refund(
            idempotency_key=refund_key(deposit_key),
            payment_id=payment_id,
            amount_cents=amount,
            currency=clinic.currency,
            reason=copy.REFUND_REASON_CANCELLED_WITH_NOTICE,
        )
    except PaymentError as exc:
        with db.session() as session:
            row = get_row(session, Deposit, deposit_id)
            row.status = DepositStatus.PAID
            row.error = f"refund: {exc}"[:500]
        log.warning("refund_failed", deposit_id=deposit_id)
        return "refund_failed"
    with db.session() as session:
        row = get_row(session, Deposit, deposit_id)
        row.status = DepositStatus.REFUNDED
        row.refund_id = refund.id
    return "refunded"


@dataclass(frozen=True)
class RescheduleOutcome:
    """The moved appointment: its new id and both times; ``late_change``: the move was made
    inside the notice window (or the booking had been moved so before), so a paid deposit is
    kept if the new appointment is cancelled."""

    old_appointment_id: int
    new_appointment_id: int
    old_when: str
    new_when: str
    service: str
    provider: str
    status: str
    deposit_paid_cents: int = 0
    late_change: bool = False


def reschedule(
    db: Database,
    emr: EMRClient,
    *,
    clinic: ClinicTerms,
    appointment_id: int,
    offer: SlotOffer,
    provider_name: str,
    now: dt.datetime,
) -> RescheduleOutcome:
    """Move an active appointment to ``offer``: book the new slot, then cancel the old one.

    A paid deposit moves to the new appointment, confirmed at once; an unpaid one keeps
    waiting (the link already sent still pays it). A move inside the notice window is a late
    change that the new appointment keeps (module docstring, :func:`cancels_late`).

    Args:
        db, emr: our database and the clinic's EMR.
        clinic: the clinic's booking terms.
        appointment_id: the active appointment to move.
        offer: the saved offer to move it to (same service).
        provider_name: the new slot's provider, as the patient was shown.
        now: the current instant.

    Returns:
        :class:`RescheduleOutcome`.

    Raises:
        ValueError: the appointment is not active or ``offer`` is another service.
        HoldFailed: the new slot could not be held (the old appointment is untouched).
    """
    old = _movable(db, appointment_id, offer)
    old_when = format_when(old.start_at, old.timezone)
    late_at = _late_change(old, clinic, now)
    held = _hold_for(db, emr, clinic, offer, old, provider_name, now)
    with db.session() as session:
        paid_cents = _move_deposits(session, old, held.appointment_id)
        get_row(session, Appointment, held.appointment_id).late_change_at = late_at
    if paid_cents or old.deposit_cents == 0 or old.status == AppointmentStatus.BOOKED:
        confirm_appointment(db, emr, held.appointment_id, now, reminders=clinic.reminders)
    with db.session() as session:  # one booking moved: not a second hold or booking
        continue_steps(session, appointment_id, held.appointment_id)
    release_appointment(
        db, emr, appointment_id, status=AppointmentStatus.CANCELLED, now=now, source="reschedule"
    )
    new_when = format_when(offer.start_at, clinic.timezone)
    summary = copy.staff_rescheduled(
        old.service_name, old_when, new_when, provider_name, late=late_at is not None
    )
    status = _notice_moved(db, clinic, held.appointment_id, offer.conversation_id, summary, now)
    return RescheduleOutcome(
        appointment_id,
        held.appointment_id,
        old_when,
        new_when,
        old.service_name,
        provider_name,
        status,
        deposit_paid_cents=paid_cents,
        late_change=late_at is not None,
    )


def _notice_moved(
    db: Database,
    clinic: ClinicTerms,
    appointment_id: int,
    conversation_id: int,
    summary: str,
    now: dt.datetime,
) -> str:
    """Tell staff of a reschedule (``summary``); the new appointment's status."""
    with db.session() as session:
        tell_staff(
            session,
            clinic,
            kind=AlertKind.NOTICE,
            reason="rescheduled",
            now=now,
            conversation_id=conversation_id,
            summary=summary,
        )
        return get_row(session, Appointment, appointment_id).status


def _late_change(old: Appointment, clinic: ClinicTerms, now: dt.datetime) -> dt.datetime | None:
    """When the booking moving away from ``old`` became a late change: ``old``'s own mark, or
    ``now`` when this move is inside the notice window; None for a timely move."""
    if old.late_change_at is not None:
        return old.late_change_at
    if cancels_late(
        old.start_at, moved_late=False, now=now, notice_hours=clinic.cancellation_notice_hours
    ):
        return now
    return None


def _hold_for(
    db: Database,
    emr: EMRClient,
    clinic: ClinicTerms,
    offer: SlotOffer,
    old: Appointment,
    provider_name: str,
    now: dt.datetime,
) -> HeldSlot:
    """Hold ``offer`` for the patient of ``old``, with its deposit (raises ``HoldFailed``)."""
    return hold_offer(
        db,
        emr,
        clinic=clinic,
        offer=offer,
        patient_phone=old.patient_phone,
        service_name=old.service_name,
        provider_name=provider_name,
        deposit_cents=old.deposit_cents,
        now=now,
        patient_name=old.patient_name,
    )


def _movable(db: Database, appointment_id: int, offer: SlotOffer) -> Appointment:
    """The appointment to reschedule, detached (its fields as they were read).

    Raises:
        ValueError: it is not active, or ``offer`` is another service.
    """
    with db.session() as session:
        old = session.get(Appointment, appointment_id)
    if old is None or old.status not in ACTIVE_STATUSES:
        raise ValueError(f"appointment {appointment_id} is not active")
    if old.service_id != offer.service_id:
        raise ValueError("a reschedule keeps the same service")
    return old


def _move_deposits(session: Session, old: Appointment, new_id: int) -> int:
    """Move every deposit of ``old`` to the new appointment; an unpaid one that was awaiting its
    deposit keeps awaiting it, until the old hold's expiry.

    Returns:
        The cents already paid (0 when nothing was paid).
    """
    deposits = (
        session.execute(select(Deposit).where(Deposit.appointment_id == old.id)).scalars().all()
    )
    paid_cents = sum(d.amount_cents for d in deposits if d.status == DepositStatus.PAID)
    paid = any(d.status == DepositStatus.PAID for d in deposits)
    for d in deposits:
        d.appointment_id = new_id
    if not paid and old.status == AppointmentStatus.AWAITING_DEPOSIT:
        new = get_row(session, Appointment, new_id)
        new.status = AppointmentStatus.AWAITING_DEPOSIT
        new.hold_expires_at = old.hold_expires_at
    return paid_cents


__all__ = ["HoldFailed", "cancel_by_patient", "reschedule", "upcoming"]
