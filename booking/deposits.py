"""The deposit lifecycle: ask for it, book what needs none, end unpaid holds (DESIGN.md §2).

A deposit row is saved (``creating``) before the payment provider is called, and the link or
the error is stored after. Unpaid holds end when their time runs out, or when their
conversation holds another slot (one hold per conversation), and their links are closed.
The payment itself arrives through :mod:`booking.paid`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from booking import copy
from booking.holds import HeldSlot, confirm_appointment, hold_offer, release_appointment
from booking.models import (
    PENDING_STATUSES,
    UNPAID_LINK_STATUSES,
    Appointment,
    AppointmentStatus,
    Deposit,
    DepositStatus,
    SlotOffer,
    get_row,
)
from booking.notify import tell_patient, tell_staff
from booking.terms import ClinicTerms, format_when
from emr.base import EMRClient
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


def announce_booking(
    db: Database,
    clinic: ClinicTerms,
    appt: Appointment,
    now: dt.datetime,
    *,
    deposit_paid: bool,
    tell_patient_too: bool = True,
) -> None:
    """Confirm a booking to the patient (unless ``tell_patient_too`` is False) and staff.

    Args:
        db: our database (the texts are queued rows, sent once committed).
        clinic: the clinic's booking terms.
        appt: the booked appointment (detached is fine).
        now: the current instant.
        deposit_paid: the appointment's ``deposit_cents`` was received (named in both texts).
        tell_patient_too: False when the agent's own reply confirms it in the conversation.
    """
    when = format_when(appt.start_at, appt.timezone)
    paid = format_money(appt.deposit_cents) if deposit_paid else None
    with db.session() as session:
        if tell_patient_too and clinic.reminders.confirm:
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
    booked = confirm_appointment(db, emr, appointment_id, now, reminders=clinic.reminders)
    announce_booking(db, clinic, booked, now, deposit_paid=False, tell_patient_too=tell_patient_too)
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

    The sweeper runs this every 30 s where there is a worker; the agent's slot search runs it
    first too, so the embedded default (inline jobs, no sweeper) frees a lapsed hold's time
    before anyone searches for it. Safe to run concurrently: each hold ends once
    (:func:`booking.holds.release_appointment` locks its row).

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


def hold_replacing(
    db: Database,
    emr: EMRClient,
    provider: DepositProvider,
    *,
    clinic: ClinicTerms,
    offer: SlotOffer,
    patient_phone: str,
    service_name: str,
    provider_name: str,
    deposit_cents: int,
    now: dt.datetime,
) -> HeldSlot:
    """Hold ``offer`` as its conversation's only hold: the conversation's earlier unpaid holds
    are released (cancelled here and in the EMR, their payment links closed).

    One conversation holds at most one slot at a time, so a patient who picks another time
    stops blocking the first for everybody else; booked appointments are never touched.
    A group's holds are made together by :func:`booking.group.hold_group`, which replaces
    the conversation's earlier holds the same way; a later single pick replaces them all. An
    earlier hold overlapping the new slot (same provider and
    time) is released first, or the database would refuse the new hold beside it; the others
    only once the new hold succeeded, so a patient whose new pick was just taken keeps the
    time they held. A released hold's link paid later is refunded, as for a cancellation.

    Args:
        db, emr: our database and the clinic's EMR.
        provider: the clinic's payment provider (the released holds' links are cancelled).
        clinic, offer, patient_phone, service_name, provider_name, deposit_cents, now: as for
            :func:`booking.holds.hold_offer`.

    Returns:
        The new :class:`~booking.holds.HeldSlot`.

    Raises:
        HoldFailed: as :func:`booking.holds.hold_offer`.
    """
    clashing, others = _earlier_holds(db, offer)
    release_replaced(db, emr, provider, clashing, now)
    held = hold_offer(
        db,
        emr,
        clinic=clinic,
        offer=offer,
        patient_phone=patient_phone,
        service_name=service_name,
        provider_name=provider_name,
        deposit_cents=deposit_cents,
        now=now,
    )
    release_replaced(db, emr, provider, others, now)
    return held


def _earlier_holds(db: Database, offer: SlotOffer) -> tuple[list[int], list[int]]:
    """The unpaid holds of ``offer``'s conversation: (those overlapping ``offer``'s provider
    and time, the others), appointment ids in order."""
    with db.session() as session:
        rows = session.execute(
            select(
                Appointment.id, Appointment.provider_id, Appointment.start_at, Appointment.end_at
            )
            .where(
                Appointment.conversation_id == offer.conversation_id,
                Appointment.status.in_(PENDING_STATUSES),
            )
            .order_by(Appointment.id)
        ).all()
    clash = [
        r.id
        for r in rows
        if r.provider_id == offer.provider_id
        and r.start_at < offer.end_at
        and offer.start_at < r.end_at
    ]
    return clash, [r.id for r in rows if r.id not in clash]


def release_replaced(
    db: Database,
    emr: EMRClient,
    provider: DepositProvider,
    appointment_ids: list[int],
    now: dt.datetime,
) -> None:
    """Cancel unpaid holds their conversation replaced, and close their payment links."""
    for appointment_id in appointment_ids:
        if not release_appointment(
            db, emr, appointment_id, status=AppointmentStatus.CANCELLED, now=now
        ):
            continue
        with db.session() as session:
            link_ids = close_unpaid_links(session, appointment_id, DepositStatus.CANCELLED)
        cancel_links(provider, link_ids)


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
