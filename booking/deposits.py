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
from sqlalchemy.orm import Session

from app.db import Database
from booking import copy
from booking.holds import confirm_appointment, release_appointment
from booking.models import (
    ACTIVE_STATUSES,
    PENDING_STATUSES,
    UNPAID_LINK_STATUSES,
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
from payments.base import DepositProvider, PaymentError, PaymentLink
from payments.money import format_money

log = structlog.get_logger(__name__)


def refund_key(deposit_key: str) -> str:
    """The refund's idempotency key, derived from the deposit's own unique key (so a retried
    refund of one deposit is one refund).

    Args:
        deposit_key: the deposit's ``idempotency_key`` (``dep-<hex>``).

    Returns:
        ``refund-<hex>``.
    """
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

    Args:
        db: our database.
        provider: the clinic's payment provider.
        clinic: the clinic's booking terms.
        appointment_id: a held (or awaiting-deposit) appointment that needs a deposit.
        now: the current instant.

    Returns:
        :class:`DepositRequest`; asking twice for one appointment returns the same link.

    Raises:
        ValueError: the appointment is not held or needs no deposit.
        PaymentError: the provider failed (recorded on the deposit row as ``failed``).
    """
    with db.session() as session:
        existing = _open_link(session, appointment_id)
        if existing is not None:
            return existing
        deposit, appt = _new_deposit(session, provider, clinic, appointment_id, now)
        session.add(deposit)
        session.flush()
        deposit_id, key, amount = deposit.id, deposit.idempotency_key, deposit.amount_cents
        title = copy.deposit_link_title(appt.service_name, clinic.name)
        note = copy.deposit_link_note(appt.service_name, format_when(appt.start_at, appt.timezone))
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
            failed = get_row(session, Deposit, deposit_id)
            failed.status = DepositStatus.FAILED
            failed.error = str(exc)[:500]
        raise
    with db.session() as session:
        _store_link(session, deposit_id, link, now)
    return DepositRequest(deposit_id, link.url, amount)


def _open_link(session: Session, appointment_id: int) -> DepositRequest | None:
    """The appointment's open payment link, if it already has one.

    Raises:
        ValueError: the appointment is not held or needs no deposit.
    """
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.status not in PENDING_STATUSES:
        raise ValueError(f"appointment {appointment_id} is not held")
    if appt.deposit_cents <= 0:
        raise ValueError("this appointment needs no deposit")
    existing = session.execute(
        select(Deposit).where(
            Deposit.appointment_id == appointment_id, Deposit.status == DepositStatus.OPEN
        )
    ).scalar_one_or_none()
    if existing is not None and existing.payment_link_url:
        return DepositRequest(existing.id, existing.payment_link_url, existing.amount_cents)
    return None


def _new_deposit(
    session: Session,
    provider: DepositProvider,
    clinic: ClinicTerms,
    appointment_id: int,
    now: dt.datetime,
) -> tuple[Deposit, Appointment]:
    """A ``creating`` deposit row for the appointment (not yet added), and the appointment."""
    appt = get_row(session, Appointment, appointment_id)
    deposit = Deposit(
        appointment_id=appointment_id,
        clinic_id=clinic.clinic_id,
        amount_cents=appt.deposit_cents,
        currency=clinic.currency,
        provider=provider.name,
        status=DepositStatus.CREATING,
        # Unique across databases and environments sharing one provider account; saved on
        # the row, so every retry of this deposit sends the same key.
        idempotency_key=f"dep-{uuid.uuid4().hex}",
        created_at=now,
    )
    return deposit, appt


def _store_link(session: Session, deposit_id: int, link: PaymentLink, now: dt.datetime) -> None:
    """Record the provider's link on the deposit; the held appointment now awaits it."""
    row = get_row(session, Deposit, deposit_id)
    row.status = DepositStatus.OPEN
    row.payment_link_id = link.id
    row.payment_link_url = link.url
    row.order_id = link.order_id
    appt = get_row(session, Appointment, row.appointment_id)
    if appt.status == AppointmentStatus.HELD:
        appt.status = AppointmentStatus.AWAITING_DEPOSIT
        appt.updated_at = now


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

    Args:
        db, emr: our database and the clinic's EMR.
        provider: the clinic's payment provider (for a refund when the payment cannot book).
        clinic: the clinic's booking terms.
        order_id: the provider's order the payment belongs to.
        payment_id: the provider's payment id.
        now: the current instant.

    Returns:
        :class:`PaymentOutcome`. Idempotent: the same payment twice gives ``duplicate``.
    """
    with db.session() as session:
        deposit = session.execute(
            select(Deposit).where(Deposit.order_id == order_id).with_for_update()
        ).scalar_one_or_none()
        if deposit is None:
            return PaymentOutcome("unknown_order")
        if deposit.status in _SETTLED:
            return PaymentOutcome("duplicate", deposit.appointment_id)
        deposit.status = DepositStatus.PAID
        deposit.payment_id = payment_id
        deposit.paid_at = now
        appt = get_row(session, Appointment, deposit.appointment_id)
        appointment_id, was_active = appt.id, appt.status in ACTIVE_STATUSES
        was_cancelled = appt.status == AppointmentStatus.CANCELLED
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


def _announce_booking(
    db: Database,
    clinic: ClinicTerms,
    appt: Appointment,
    now: dt.datetime,
    *,
    deposit_paid: bool,
    tell_patient_too: bool = True,
) -> None:
    """Confirm a booking to the patient (unless ``tell_patient_too`` is False) and staff."""
    when = format_when(appt.start_at, appt.timezone)
    paid = format_money(appt.deposit_cents) if deposit_paid else None
    with db.session() as session:
        if tell_patient_too:
            tell_patient(
                session,
                appt.conversation_id,
                now=now,
                kind="confirmation",
                body=copy.booked(
                    appt.service_name, appt.provider_name, when, clinic.name, paid=paid
                ),
            )
        tell_staff(
            session,
            clinic,
            kind=AlertKind.NOTICE,
            reason="booked",
            now=now,
            conversation_id=appt.conversation_id,
            summary=copy.staff_booked(appt.service_name, appt.provider_name, when, paid=paid),
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
    """Confirm a held appointment that needs no deposit and tell staff.

    Args:
        db, emr: our database and the clinic's EMR.
        clinic: the clinic's booking terms.
        appointment_id: the held appointment.
        now: the current instant.
        tell_patient_too: False when the agent's own reply confirms it in the conversation.

    Returns:
        The booked appointment.

    Raises:
        ValueError: the appointment is not active.
    """
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

    Args:
        db, emr: our database and the clinic's EMR.
        provider: the clinic's payment provider (its links are cancelled).
        clinic: the clinic's booking terms.
        now: the current instant.

    Returns:
        The ids of the appointments expired by this call.
    """
    with db.session() as session:
        due = list(
            session.execute(
                select(Appointment.id).where(
                    Appointment.clinic_id == clinic.clinic_id,
                    Appointment.status.in_(PENDING_STATUSES),
                    Appointment.hold_expires_at <= now,
                )
            ).scalars()
        )
    expired: list[int] = []
    for appointment_id in due:
        if not release_appointment(
            db, emr, appointment_id, status=AppointmentStatus.EXPIRED, now=now
        ):
            continue
        expired.append(appointment_id)
        with db.session() as session:
            link_ids = close_unpaid_links(session, appointment_id, DepositStatus.EXPIRED)
            appt = get_row(session, Appointment, appointment_id)
            tell_patient(
                session,
                appt.conversation_id,
                now=now,
                kind="hold_expired",
                body=copy.hold_expired(
                    appt.service_name, format_when(appt.start_at, appt.timezone)
                ),
            )
        cancel_links(provider, link_ids)
    return expired


def close_unpaid_links(session: Session, appointment_id: int, status: DepositStatus) -> list[str]:
    """Mark the appointment's unpaid deposits ``status`` (expired | cancelled) so their links
    no longer take money here.

    Returns:
        The provider link ids to cancel with :func:`cancel_links` once ``session`` commits.
    """
    unpaid = session.execute(
        select(Deposit).where(
            Deposit.appointment_id == appointment_id,
            Deposit.status.in_(UNPAID_LINK_STATUSES),
        )
    ).scalars()
    link_ids: list[str] = []
    for deposit in unpaid:
        deposit.status = status
        if deposit.payment_link_id:
            link_ids.append(deposit.payment_link_id)
    return link_ids


def cancel_links(provider: DepositProvider, link_ids: list[str]) -> None:
    """Cancel payment links with the provider; a failure is logged (the deposit rows already
    refuse payment here)."""
    for link_id in link_ids:
        try:
            provider.cancel_link(link_id)
        except PaymentError as exc:
            log.warning("cancel_link_failed", error=str(exc)[:200])
