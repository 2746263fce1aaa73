"""The deposit lifecycle: ask for it, take the payment, expire unpaid holds (DESIGN.md §2).

A deposit row is saved (``creating``) before the payment provider is called, and the link or
the error is stored after. A payment is matched by ``order_id``; a repeat of one payment
changes nothing. A payment that arrives after its hold lapsed books the slot if it is still
free, else is refunded, the patient told and staff alerted: never silently kept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import Database
from booking.holds import confirm_appointment, release_appointment
from booking.models import ACTIVE_STATUSES, Appointment, Deposit
from booking.notify import tell_patient, tell_staff
from booking.terms import ClinicTerms, format_when
from emr.base import EMRClient, EMRError, Slot
from payments.base import DepositProvider, PaymentError
from payments.money import format_money

log = structlog.get_logger(__name__)


def refund_key(deposit_key: str) -> str:
    """The refund's idempotency key, derived from the deposit's own unique key (so a retried
    refund of one deposit is one refund)."""
    return "refund-" + deposit_key.removeprefix("dep-")


@dataclass(frozen=True)
class DepositRequest:
    """A payment link ready for the patient: our deposit id, the URL and the amount."""

    deposit_id: int
    url: str
    amount_cents: int


def request_deposit(
    db: Database,
    provider: DepositProvider,
    *,
    clinic: ClinicTerms,
    appointment_id: int,
    now: dt.datetime,
) -> DepositRequest:
    """Create (or return the existing) payment link for a held appointment's deposit.

    Returns:
        :class:`DepositRequest`; asking twice for one appointment returns the same link.

    Raises:
        ValueError: the appointment is not held or needs no deposit.
        PaymentError: the provider failed (recorded on the deposit row as ``failed``).
    """
    with db.session() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.status not in ("held", "awaiting_deposit"):
            raise ValueError(f"appointment {appointment_id} is not held")
        if appt.deposit_cents <= 0:
            raise ValueError("this appointment needs no deposit")
        existing = session.execute(
            select(Deposit).where(
                Deposit.appointment_id == appointment_id, Deposit.status == "open"
            )
        ).scalar_one_or_none()
        if existing is not None and existing.payment_link_url:
            return DepositRequest(existing.id, existing.payment_link_url, existing.amount_cents)
        deposit = Deposit(
            appointment_id=appointment_id,
            clinic_id=clinic.clinic_id,
            amount_cents=appt.deposit_cents,
            currency=clinic.currency,
            provider=provider.name,
            status="creating",
            # Unique across databases and environments sharing one provider account; saved on
            # the row, so every retry of this deposit sends the same key.
            idempotency_key=f"dep-{uuid.uuid4().hex}",
            created_at=now,
        )
        session.add(deposit)
        session.flush()
        deposit_id, key = deposit.id, deposit.idempotency_key
        title = f"{appt.service_name} deposit - {clinic.name}"
        note = f"Deposit for {appt.service_name} on {format_when(appt.start_at, appt.timezone)}"
        amount = appt.deposit_cents
    try:
        link = provider.create_link(
            idempotency_key=key,
            amount_cents=amount,
            currency=clinic.currency,
            title=title[:255],
            note=note[:500],
        )
    except PaymentError as exc:
        with db.session() as session:
            failed = session.get(Deposit, deposit_id)
            assert failed is not None
            failed.status = "failed"
            failed.error = str(exc)[:500]
        raise
    with db.session() as session:
        row = session.get(Deposit, deposit_id)
        appt = session.get(Appointment, appointment_id)
        assert row is not None and appt is not None
        row.status = "open"
        row.payment_link_id = link.id
        row.payment_link_url = link.url
        row.order_id = link.order_id
        if appt.status == "held":
            appt.status = "awaiting_deposit"
            appt.updated_at = now
    return DepositRequest(deposit_id, link.url, amount)


@dataclass(frozen=True)
class PaymentOutcome:
    """What a payment did: booked | late_booked | refunded | duplicate | unknown_order."""

    result: str
    appointment_id: int | None = None


def record_payment(
    db: Database,
    emr: EMRClient,
    provider: DepositProvider,
    *,
    clinic: ClinicTerms,
    order_id: str,
    payment_id: str,
    now: dt.datetime,
) -> PaymentOutcome:
    """Apply a completed payment for ``order_id`` (Square ``payment.updated`` COMPLETED, or the
    local checkout).

    Returns:
        :class:`PaymentOutcome`. Idempotent: the same payment twice gives ``duplicate``.
    """
    with db.session() as session:
        deposit = session.execute(
            select(Deposit).where(Deposit.order_id == order_id).with_for_update()
        ).scalar_one_or_none()
        if deposit is None:
            return PaymentOutcome("unknown_order")
        if deposit.status in ("paid", "refunded", "refunding"):
            return PaymentOutcome("duplicate", deposit.appointment_id)
        deposit.status = "paid"
        deposit.payment_id = payment_id
        deposit.paid_at = now
        appt = session.get(Appointment, deposit.appointment_id)
        assert appt is not None
        appointment_id, was_active = appt.id, appt.status in ACTIVE_STATUSES
        was_cancelled = appt.status == "cancelled"
        deposit_id = deposit.id
    if was_active:
        booked = confirm_appointment(db, emr, appointment_id, now)
        _announce_booking(db, clinic, booked, now, deposit_paid=True)
        return PaymentOutcome("booked", appointment_id)
    if not was_cancelled and _rebook_lapsed(db, emr, appointment_id, now):
        booked = confirm_appointment(db, emr, appointment_id, now)
        _announce_booking(db, clinic, booked, now, deposit_paid=True)
        return PaymentOutcome("late_booked", appointment_id)
    _refund_late(db, provider, clinic, deposit_id, now, cancelled=was_cancelled)
    return PaymentOutcome("refunded", appointment_id)


def _rebook_lapsed(db: Database, emr: EMRClient, appointment_id: int, now: dt.datetime) -> bool:
    """Re-activate an expired hold if its time is still free, here and in the EMR."""
    try:
        with db.session() as session:
            appt = session.get(Appointment, appointment_id)
            assert appt is not None
            if appt.status not in ("expired", "released"):
                return False
            appt.status = "held"
            appt.hold_expires_at = now + dt.timedelta(minutes=5)
            appt.updated_at = now
            session.flush()
            slot = Slot(
                appt.service_id, appt.provider_id, appt.start_at, appt.end_at, appt.slot_token or ""
            )
            patient_id = appt.emr_patient_id
    except IntegrityError:
        return False
    if appt.start_at <= now:
        release_appointment(db, emr, appointment_id, status="expired", now=now)
        return False
    try:
        if patient_id is None:
            found = emr.find_patients(appt.patient_phone)
            patient_id = found[0].id if found else emr.create_patient(appt.patient_phone).id
        emr_appt = emr.book(slot, patient_id)
    except EMRError:
        with db.session() as session:
            back = session.get(Appointment, appointment_id)
            assert back is not None
            back.status = "expired"
        return False
    with db.session() as session:
        back = session.get(Appointment, appointment_id)
        assert back is not None
        back.emr_appointment_id = emr_appt.id
        back.emr_patient_id = patient_id
    return True


def _refund_late(
    db: Database,
    provider: DepositProvider,
    clinic: ClinicTerms,
    deposit_id: int,
    now: dt.datetime,
    *,
    cancelled: bool = False,
) -> None:
    """Refund a payment that can no longer book: its hold lapsed and the time was taken, or
    the appointment was cancelled before the payment arrived (``cancelled``)."""
    with db.session() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        deposit.status = "refunding"
        payment_id, amount = deposit.payment_id or "", deposit.amount_cents
        deposit_key = deposit.idempotency_key
        appt = session.get(Appointment, deposit.appointment_id)
        assert appt is not None
    try:
        refund = provider.refund(
            idempotency_key=refund_key(deposit_key),
            payment_id=payment_id,
            amount_cents=amount,
            currency=clinic.currency,
            reason="Paid after the appointment was cancelled"
            if cancelled
            else "Paid after the hold expired; the time was taken",
        )
    except PaymentError as exc:
        with db.session() as session:
            deposit = session.get(Deposit, deposit_id)
            assert deposit is not None
            deposit.error = f"refund: {exc}"[:500]
            tell_staff(
                session,
                clinic,
                kind="alert",
                reason="refund_failed",
                now=now,
                conversation_id=appt.conversation_id,
                summary=f"Late deposit of {format_money(amount)} could not be refunded "
                f"automatically ({appt.service_name}); please refund it by hand.",
            )
        return
    with db.session() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        deposit.status = "refunded"
        deposit.refund_id = refund.id
        when = format_when(appt.start_at, appt.timezone)
        tell_patient(
            session,
            appt.conversation_id,
            now=now,
            kind="refund",
            body=(
                f"Your {format_money(amount)} deposit arrived after the {when} appointment "
                "was cancelled, so we've refunded it in full. "
                if cancelled
                else f"Your {format_money(amount)} deposit arrived after your hold expired "
                f"and the {when} time was taken, so we've refunded it in full. "
            )
            + "Reply if you'd like to find another time.",
        )
        tell_staff(
            session,
            clinic,
            kind="alert",
            reason="late_payment_refund",
            now=now,
            conversation_id=appt.conversation_id,
            summary=f"Late deposit refunded: {appt.service_name} {when} "
            + ("had been cancelled" if cancelled else "was taken after the hold expired")
            + f"; {format_money(amount)} refunded.",
        )


def _announce_booking(
    db: Database,
    clinic: ClinicTerms,
    appt: Appointment,
    now: dt.datetime,
    *,
    deposit_paid: bool,
    tell_patient_too: bool = True,
) -> None:
    when = format_when(appt.start_at, appt.timezone)
    paid = f" Your {format_money(appt.deposit_cents)} deposit is received." if deposit_paid else ""
    with_whom = f" with {appt.provider_name}" if appt.provider_name else ""
    with db.session() as session:
        if tell_patient_too:
            tell_patient(
                session,
                appt.conversation_id,
                now=now,
                kind="confirmation",
                body=f"You're booked: {appt.service_name}{with_whom} on {when}.{paid} "
                f"Need to change it? Just text us here. - {clinic.name}",
            )
        tell_staff(
            session,
            clinic,
            kind="notice",
            reason="booked",
            now=now,
            conversation_id=appt.conversation_id,
            summary=f"New booking: {appt.service_name}{with_whom}, {when}"
            + (f", deposit {format_money(appt.deposit_cents)} paid" if deposit_paid else ""),
        )


def book_without_deposit(
    db: Database,
    emr: EMRClient,
    *,
    clinic: ClinicTerms,
    appointment_id: int,
    now: dt.datetime,
    tell_patient_too: bool = True,
) -> Appointment:
    """Confirm a held appointment that needs no deposit and tell staff; the patient too unless
    ``tell_patient_too`` is False (the agent's own reply confirms it in the conversation)."""
    booked = confirm_appointment(db, emr, appointment_id, now)
    _announce_booking(
        db, clinic, booked, now, deposit_paid=False, tell_patient_too=tell_patient_too
    )
    return booked


def expire_due_holds(
    db: Database,
    emr: EMRClient,
    provider: DepositProvider,
    *,
    clinic: ClinicTerms,
    now: dt.datetime,
) -> list[int]:
    """Expire every unpaid hold of ``clinic`` whose time ran out: the EMR appointment is
    cancelled, the payment link cancelled, the patient told.

    Returns:
        The ids of the appointments expired by this call.
    """
    with db.session() as session:
        due = list(
            session.execute(
                select(Appointment.id).where(
                    Appointment.clinic_id == clinic.clinic_id,
                    Appointment.status.in_(("held", "awaiting_deposit")),
                    Appointment.hold_expires_at <= now,
                )
            ).scalars()
        )
    expired: list[int] = []
    for appointment_id in due:
        if not release_appointment(db, emr, appointment_id, status="expired", now=now):
            continue
        expired.append(appointment_id)
        with db.session() as session:
            links = list(
                session.execute(
                    select(Deposit).where(
                        Deposit.appointment_id == appointment_id,
                        Deposit.status.in_(("open", "creating")),
                    )
                ).scalars()
            )
            for deposit in links:
                deposit.status = "expired"
            link_ids = [d.payment_link_id for d in links if d.payment_link_id]
            appt = session.get(Appointment, appointment_id)
            assert appt is not None
            tell_patient(
                session,
                appt.conversation_id,
                now=now,
                kind="hold_expired",
                body=f"The hold on {appt.service_name} {format_when(appt.start_at, appt.timezone)} "
                "has lapsed because the deposit wasn't paid, so the time has been "
                "released. Reply anytime and we'll find you another opening.",
            )
        for link_id in link_ids:
            try:
                provider.cancel_link(link_id)
            except PaymentError as exc:
                log.warning("cancel_link_failed", error=str(exc)[:200])
    return expired
