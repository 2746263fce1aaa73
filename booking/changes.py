"""Patient-initiated changes: cancel and reschedule, honouring the cancellation notice.

Cancel: the appointment is released here and in the EMR; a paid deposit is refunded in
full when the patient cancels at least ``cancellation_notice_hours`` before the start, and
kept (the patient is told so) when later. Reschedule: the new slot is held and booked
*before* the old appointment is cancelled, so a failure never leaves the patient with
nothing; a paid deposit moves to the new appointment. Staff are notified of both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy import select

from app.db import Database
from booking.deposits import refund_key
from booking.holds import HoldFailed, confirm_appointment, hold_offer, release_appointment
from booking.models import ACTIVE_STATUSES, Appointment, Deposit, SlotOffer
from booking.notify import tell_staff
from booking.terms import ClinicTerms, format_when
from emr.base import EMRClient
from payments.base import DepositProvider, PaymentError
from payments.money import format_money

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class UpcomingAppointment:
    """An active appointment as the patient sees it."""

    appointment_id: int
    service_id: str
    service: str
    provider: str
    when: str
    status: str
    start: dt.datetime
    deposit_paid_cents: int


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
                    Deposit.appointment_id.in_([r.id for r in rows]), Deposit.status == "paid"
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
        )
        for r in rows
    ]


@dataclass(frozen=True)
class CancelOutcome:
    """What a cancellation did with the deposit: refunded | kept | none | refund_failed."""

    appointment_id: int
    when: str
    service: str
    deposit: str
    amount_cents: int
    late: bool


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

    Returns:
        :class:`CancelOutcome`; ``late`` when inside the clinic's notice window.

    Raises:
        ValueError: the appointment is not active.
    """
    with db.session() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.status not in ACTIVE_STATUSES:
            raise ValueError(f"appointment {appointment_id} is not active")
        notice = dt.timedelta(hours=clinic.cancellation_notice_hours)
        late = appt.start_at - now < notice
        deposit = (
            session.execute(
                select(Deposit).where(
                    Deposit.appointment_id == appointment_id, Deposit.status == "paid"
                )
            )
            .scalars()
            .first()
        )
        paid = (
            (deposit.id, deposit.payment_id or "", deposit.amount_cents, deposit.idempotency_key)
            if deposit
            else None
        )
        when, service = format_when(appt.start_at, appt.timezone), appt.service_name
        if deposit is not None and not late:
            deposit.status = "refunding"  # row first, then the provider call
        unpaid = (
            session.execute(
                select(Deposit).where(
                    Deposit.appointment_id == appointment_id,
                    Deposit.status.in_(("open", "creating")),
                )
            )
            .scalars()
            .all()
        )
        for link in unpaid:  # an unpaid hold's link must not take money any more
            link.status = "cancelled"
        link_ids = [d.payment_link_id for d in unpaid if d.payment_link_id]
    release_appointment(db, emr, appointment_id, status="cancelled", now=now)
    for link_id in link_ids:
        try:
            provider.cancel_link(link_id)
        except PaymentError as exc:
            log.warning("cancel_link_failed", error=str(exc)[:200])
    outcome = "none"
    amount = 0
    if paid is not None:
        deposit_id, payment_id, amount, key = paid
        outcome = (
            "kept" if late else _refund(db, provider, clinic, deposit_id, payment_id, amount, key)
        )
    with db.session() as session:
        policy = {
            "refunded": f"deposit {format_money(amount)} refunded",
            "kept": f"late cancellation, deposit {format_money(amount)} kept",
            "refund_failed": f"REFUND FAILED for {format_money(amount)}, please refund by hand",
            "none": "no deposit",
        }[outcome]
        tell_staff(
            session,
            clinic,
            kind="alert" if outcome == "refund_failed" else "notice",
            reason="cancelled",
            now=now,
            conversation_id=_conversation(db, appointment_id),
            summary=f"Cancelled by patient: {service}, {when} ({policy}).",
        )
    return CancelOutcome(appointment_id, when, service, outcome, amount, late)


def _conversation(db: Database, appointment_id: int) -> int | None:
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
    try:
        refund = provider.refund(
            idempotency_key=refund_key(deposit_key),
            payment_id=payment_id,
            amount_cents=amount,
            currency=clinic.currency,
            reason="Cancelled with enough notice",
        )
    except PaymentError as exc:
        with db.session() as session:
            row = session.get(Deposit, deposit_id)
            assert row is not None
            row.status = "paid"
            row.error = f"refund: {exc}"[:500]
        log.warning("refund_failed", deposit_id=deposit_id)
        return "refund_failed"
    with db.session() as session:
        row = session.get(Deposit, deposit_id)
        assert row is not None
        row.status = "refunded"
        row.refund_id = refund.id
    return "refunded"


@dataclass(frozen=True)
class RescheduleOutcome:
    """The moved appointment: its new id and both times."""

    old_appointment_id: int
    new_appointment_id: int
    old_when: str
    new_when: str
    service: str
    provider: str
    status: str
    deposit_paid_cents: int = 0


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

    A paid deposit moves to the new appointment, which is confirmed at once; an unpaid one
    keeps waiting for its deposit (the link already sent still pays it).

    Raises:
        ValueError: the appointment is not active or ``offer`` is another service.
        HoldFailed: the new slot could not be held (the old appointment is untouched).
    """
    with db.session() as session:
        old = session.get(Appointment, appointment_id)
        if old is None or old.status not in ACTIVE_STATUSES:
            raise ValueError(f"appointment {appointment_id} is not active")
        if old.service_id != offer.service_id:
            raise ValueError("a reschedule keeps the same service")
        old_when = format_when(old.start_at, old.timezone)
        deposit_cents, patient, name, old_status = (
            old.deposit_cents,
            old.patient_phone,
            old.patient_name,
            old.status,
        )
        service_name = old.service_name
    held = hold_offer(
        db,
        emr,
        clinic=clinic,
        offer=offer,
        patient_phone=patient,
        service_name=service_name,
        provider_name=provider_name,
        deposit_cents=deposit_cents,
        now=now,
        patient_name=name,
    )
    with db.session() as session:
        deposits = (
            session.execute(select(Deposit).where(Deposit.appointment_id == appointment_id))
            .scalars()
            .all()
        )
        paid = any(d.status == "paid" for d in deposits)
        paid_cents = sum(d.amount_cents for d in deposits if d.status == "paid")
        for d in deposits:
            d.appointment_id = held.appointment_id
        if not paid and old_status == "awaiting_deposit":
            new = session.get(Appointment, held.appointment_id)
            assert new is not None
            new.status = "awaiting_deposit"
            new.hold_expires_at = session.get(Appointment, appointment_id).hold_expires_at  # type: ignore[union-attr]
    if paid or deposit_cents == 0 or old_status == "booked":
        confirm_appointment(db, emr, held.appointment_id, now)
    release_appointment(db, emr, appointment_id, status="cancelled", now=now)
    new_when = format_when(offer.start_at, clinic.timezone)
    with db.session() as session:
        status = session.get(Appointment, held.appointment_id).status  # type: ignore[union-attr]
        tell_staff(
            session,
            clinic,
            kind="notice",
            reason="rescheduled",
            now=now,
            conversation_id=offer.conversation_id,
            summary=f"Rescheduled by patient: {service_name} moved from {old_when} to "
            f"{new_when} with {provider_name}.",
        )
    return RescheduleOutcome(
        appointment_id,
        held.appointment_id,
        old_when,
        new_when,
        service_name,
        provider_name,
        status,
        deposit_paid_cents=paid_cents,
    )


__all__ = ["HoldFailed", "cancel_by_patient", "reschedule", "upcoming"]
