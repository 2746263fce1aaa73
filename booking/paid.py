"""A deposit payment arrives: check it is the deposit's, then book, late-book or refund.

A payment is matched to its deposit by ``order_id`` and books only when it is exactly that
deposit: the same provider that issued the link, the same amount in the same currency. Any
other payment books nothing: the deposit row keeps its state and notes the payment, and staff
are alerted to review it (the provider's own records, and Square's stored event, keep the
rest). A repeat of one payment changes nothing. A payment that arrives after its hold lapsed
books the slot if it is still free, else is refunded, the patient told and staff alerted:
never silently kept (DESIGN.md §2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import Database
from booking import copy
from booking.deposits import announce_booking, refund_key
from booking.funnel import DEPOSIT_PAID, record_step
from booking.holds import confirm_appointment, release_appointment
from booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Deposit,
    DepositStatus,
    get_row,
)
from booking.notify import tell_patient, tell_staff
from booking.patients import patient_for
from booking.terms import ClinicTerms, format_when
from emr.base import EMRClient, EMRError, Slot
from messaging.models import AlertKind
from payments.base import DepositProvider, PaymentError
from payments.money import format_money

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReceivedPayment:
    """A completed payment as the provider that took it reports it.

    Attributes:
        provider: the ``DepositProvider.name`` that took it: ``"square"`` (a verified
            ``payment.updated`` webhook) or ``"local"`` (the local test checkout).
        payment_id: the provider's payment id.
        amount_cents: the amount taken in the currency's smallest unit (Square's
            ``amount_money.amount``); None when the provider did not say.
        currency: ISO 4217 code (Square's ``amount_money.currency``); None when not said.
    """

    provider: str
    payment_id: str
    amount_cents: int | None
    currency: str | None


@dataclass(frozen=True)
class PaymentOutcome:
    """What a payment did: booked | late_booked | refunded | duplicate | unknown_order |
    mismatch (not the deposit's amount, currency or provider: nothing booked, staff alerted)."""

    result: str
    appointment_id: int | None = None


def record_payment(
    db: Database,
    emr: EMRClient,
    provider: DepositProvider,
    *,
    clinic: ClinicTerms,
    order_id: str,
    payment: ReceivedPayment,
    now: dt.datetime,
) -> PaymentOutcome:
    """Apply a completed payment for ``order_id`` (Square ``payment.updated`` COMPLETED, or the
    local checkout).

    Args:
        db, emr: our database and the clinic's EMR.
        provider: the clinic's payment provider (for a refund when the payment cannot book).
        clinic: the clinic's booking terms.
        order_id: the provider's order the payment belongs to.
        payment: what was paid, and through which provider.
        now: the current instant.

    Returns:
        :class:`PaymentOutcome`. Idempotent: the same payment twice gives ``duplicate``; a
        payment that is not exactly the deposit gives ``mismatch`` (staff alerted once).
    """
    with db.session() as session:
        deposit = session.execute(
            select(Deposit).where(Deposit.order_id == order_id).with_for_update()
        ).scalar_one_or_none()
        if deposit is None:
            return PaymentOutcome("unknown_order")
        if deposit.status in _SETTLED:
            return PaymentOutcome("duplicate", deposit.appointment_id)
        if (problem := payment_mismatch(deposit, payment)) is not None:
            _hold_for_review(session, clinic, deposit, payment, problem, now)
            return PaymentOutcome("mismatch", deposit.appointment_id)
        deposit.status = DepositStatus.PAID
        deposit.payment_id = payment.payment_id
        deposit.paid_at = now
        record_step(
            session,
            deposit.clinic_id,
            DEPOSIT_PAID,
            f"deposit:{deposit.id}",
            now,
            amount_cents=deposit.amount_cents,
        )
        appt = get_row(session, Appointment, deposit.appointment_id)
        appointment_id, was_active = appt.id, appt.status in ACTIVE_STATUSES
        was_cancelled = appt.status == AppointmentStatus.CANCELLED
        deposit_id = deposit.id
    if was_active:
        booked = confirm_appointment(db, emr, appointment_id, now, reminders=clinic.reminders)
        announce_booking(db, clinic, booked, now, deposit_paid=True)
        return PaymentOutcome("booked", appointment_id)
    if not was_cancelled and _rebook_lapsed(db, emr, appointment_id, now):
        booked = confirm_appointment(db, emr, appointment_id, now, reminders=clinic.reminders)
        announce_booking(db, clinic, booked, now, deposit_paid=True)
        return PaymentOutcome("late_booked", appointment_id)
    _refund_late(db, provider, clinic, deposit_id, now, cancelled=was_cancelled)
    return PaymentOutcome("refunded", appointment_id)


def payment_mismatch(deposit: Deposit, payment: ReceivedPayment) -> str | None:
    """How ``payment`` differs from what ``deposit`` asked for, or None when it is exactly it.

    Compared: the provider (a Square payment never pays a local-checkout deposit, nor the
    reverse), the currency (ISO 4217, case-insensitive) and the amount in the smallest unit.
    A provider that did not report the amount or currency does not match.

    Returns:
        Staff-readable words, e.g. ``"square paid $1.00 USD; the deposit is $50.00 USD by
        square"``; None when everything matches.
    """
    paid_currency = (payment.currency or "").upper()
    if (
        payment.provider == deposit.provider
        and paid_currency == deposit.currency.upper()
        and payment.amount_cents == deposit.amount_cents
    ):
        return None
    return copy.payment_mismatch(
        paid_by=payment.provider,
        paid=_money(payment.amount_cents, paid_currency),
        expected_by=deposit.provider,
        expected=_money(deposit.amount_cents, deposit.currency),
    )


def _money(amount_cents: int | None, currency: str) -> str:
    """``"$50.00 USD"``, or ``"an unreported amount"`` when the provider gave none."""
    if amount_cents is None or not currency:
        return "an unreported amount"
    return f"{format_money(amount_cents, currency)} {currency.upper()}"


def _hold_for_review(
    session: Session,
    clinic: ClinicTerms,
    deposit: Deposit,
    payment: ReceivedPayment,
    problem: str,
    now: dt.datetime,
) -> None:
    """Keep a payment that is not the deposit's for staff: nothing is booked or refunded, the
    deposit keeps its status and notes the payment (``error``), and staff are alerted once per
    payment (a redelivered or updated event of the same payment alerts no more)."""
    note = f"payment_mismatch {payment.provider}:{payment.payment_id}: {problem}"[:500]
    log.warning("payment_mismatch", deposit_id=deposit.id, provider=payment.provider)
    if deposit.error == note:
        return
    deposit.error = note
    appt = get_row(session, Appointment, deposit.appointment_id)
    tell_staff(
        session,
        clinic,
        kind=AlertKind.ALERT,
        reason="payment_mismatch",
        now=now,
        conversation_id=appt.conversation_id,
        summary=copy.staff_payment_mismatch(
            appt.service_name, format_when(appt.start_at, appt.timezone), problem
        ),
    )


#: Deposit statuses a repeated payment event finds: nothing more to do.
_SETTLED = (DepositStatus.PAID, DepositStatus.REFUNDED, DepositStatus.REFUNDING)
#: How long a lapsed hold revived by a late payment is held while it is booked.
_REVIVED_HOLD = dt.timedelta(minutes=5)


def _rebook_lapsed(db: Database, emr: EMRClient, appointment_id: int, now: dt.datetime) -> bool:
    """Re-activate an expired hold if its time is still free, here and in the EMR."""
    try:
        with db.session() as session:
            appt = get_row(session, Appointment, appointment_id)
            if appt.status not in (AppointmentStatus.EXPIRED, AppointmentStatus.RELEASED):
                return False
            appt.status = AppointmentStatus.HELD
            appt.hold_expires_at = now + _REVIVED_HOLD
            appt.updated_at = now
            session.flush()
            slot = Slot(
                appt.service_id, appt.provider_id, appt.start_at, appt.end_at, appt.slot_token or ""
            )
            patient_id = appt.emr_patient_id
    except IntegrityError:
        return False
    if appt.start_at <= now:
        release_appointment(db, emr, appointment_id, status=AppointmentStatus.EXPIRED, now=now)
        return False
    try:
        if patient_id is None:
            patient_id = patient_for(emr, appt.patient_phone, appt.patient_name).id
        emr_appt = emr.book(slot, patient_id)
    except EMRError:
        with db.session() as session:
            get_row(session, Appointment, appointment_id).status = AppointmentStatus.EXPIRED
        return False
    with db.session() as session:
        back = get_row(session, Appointment, appointment_id)
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
        deposit = get_row(session, Deposit, deposit_id)
        deposit.status = DepositStatus.REFUNDING
        payment_id, amount = deposit.payment_id or "", deposit.amount_cents
        deposit_key = deposit.idempotency_key
        appt = get_row(session, Appointment, deposit.appointment_id)
    try:
        refund = provider.refund(
            idempotency_key=refund_key(deposit_key),
            payment_id=payment_id,
            amount_cents=amount,
            currency=clinic.currency,
            reason=copy.REFUND_REASON_CANCELLED_BEFORE_PAYMENT
            if cancelled
            else copy.REFUND_REASON_HOLD_TAKEN,
        )
    except PaymentError as exc:
        with db.session() as session:
            get_row(session, Deposit, deposit_id).error = f"refund: {exc}"[:500]
            tell_staff(
                session,
                clinic,
                kind=AlertKind.ALERT,
                reason="refund_failed",
                now=now,
                conversation_id=appt.conversation_id,
                summary=copy.staff_late_refund_failed(format_money(amount), appt.service_name),
            )
        return
    with db.session() as session:
        deposit = get_row(session, Deposit, deposit_id)
        deposit.status = DepositStatus.REFUNDED
        deposit.refund_id = refund.id
        _tell_late_refund(session, clinic, appt, format_money(amount), now, cancelled=cancelled)


def _tell_late_refund(
    session: Session,
    clinic: ClinicTerms,
    appt: Appointment,
    amount: str,
    now: dt.datetime,
    *,
    cancelled: bool,
) -> None:
    """Tell the patient and staff that a late deposit was refunded."""
    when = format_when(appt.start_at, appt.timezone)
    tell_patient(
        session,
        appt.conversation_id,
        now=now,
        kind="refund",
        body=copy.late_payment_refunded(amount, when, cancelled=cancelled),
    )
    tell_staff(
        session,
        clinic,
        kind=AlertKind.ALERT,
        reason="late_payment_refund",
        now=now,
        conversation_id=appt.conversation_id,
        summary=copy.staff_late_refunded(appt.service_name, when, amount, cancelled=cancelled),
    )
