"""What staff do from the dashboard or CLI: take over and text, resume the AI, cancel."""

from __future__ import annotations

from sqlalchemy import select

from app.context import AppContext
from booking.deposits import refund_key
from booking.holds import release_appointment
from booking.models import ACTIVE_STATUSES, Appointment, Deposit
from booking.notify import tell_patient
from booking.terms import format_when
from messaging.models import Conversation
from messaging.outbound import reply_in_conversation
from payments.base import PaymentError


def staff_send(ctx: AppContext, conversation_id: int, text: str) -> int:
    """Text the patient from the clinic number as staff; the AI pauses (staff took over).

    Returns:
        The queued message's id.

    Raises:
        LookupError: no such conversation.
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        conversation.ai_paused = True
        message = reply_in_conversation(session, conversation, text, now=now, kind="staff_reply")
        return message.id


def resume_ai(ctx: AppContext, conversation_id: int) -> None:
    """Hand the conversation back to the AI after a takeover.

    Raises:
        LookupError: no such conversation.
    """
    with ctx.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"no conversation {conversation_id}")
        conversation.ai_paused = False


def cancel_by_clinic(ctx: AppContext, patient_phone: str) -> int | None:
    """Staff cancel the patient's active appointment: released in the EMR, any paid deposit
    refunded in full (the clinic cancelled), the patient told.

    Returns:
        The cancelled appointment's id, or None when the patient had none active.
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        appt = (
            session.execute(
                select(Appointment)
                .where(
                    Appointment.patient_phone == patient_phone,
                    Appointment.status.in_(ACTIVE_STATUSES),
                )
                .order_by(Appointment.start_at)
            )
            .scalars()
            .first()
        )
        if appt is None:
            return None
        clinic_id = appt.clinic_id
    clinic = ctx.clinic(clinic_id)
    assert clinic is not None
    release_appointment(ctx.db, ctx.emr_for(clinic), appt.id, status="cancelled", now=now)
    refunded = ""
    with ctx.db.session() as session:
        paid = (
            session.execute(
                select(Deposit).where(Deposit.appointment_id == appt.id, Deposit.status == "paid")
            )
            .scalars()
            .first()
        )
        payment = (
            (paid.id, paid.payment_id, paid.amount_cents, paid.currency, paid.idempotency_key)
            if paid
            else None
        )
    if payment is not None:
        deposit_id, payment_id, amount, currency, key = payment
        try:
            refund = ctx.deposits.refund(
                idempotency_key=refund_key(key),
                payment_id=payment_id or "",
                amount_cents=amount,
                currency=currency,
                reason="Cancelled by the clinic",
            )
        except PaymentError:
            refund = None
        with ctx.db.session() as session:
            row = session.get(Deposit, deposit_id)
            assert row is not None
            if refund is not None:
                row.status, row.refund_id = "refunded", refund.id
                refunded = " Your deposit has been refunded in full."
            else:
                row.error = "refund after clinic cancellation failed"
    with ctx.db.session() as session:
        tell_patient(
            session,
            appt.conversation_id,
            now=now,
            kind="cancellation",
            body=f"We're sorry, {clinic.clinic.name} had to cancel your "
            f"{appt.service_name} on {format_when(appt.start_at, appt.timezone)}."
            f"{refunded} Reply here and we'll find you a new time.",
        )
    return appt.id
