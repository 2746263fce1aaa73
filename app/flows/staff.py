"""Staff flow: the AI hands a conversation to staff, and staff take over, text, resume, cancel.

:func:`handoff` is how the agent pauses itself and alerts staff (emergency, medical question,
a patient asking for a person); the rest is what staff do from the dashboard, API or CLI.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import copy
from app.context import AppContext
from booking.deposits import refund_key
from booking.funnel import CANCELLED
from booking.holds import release_appointment
from booking.models import ACTIVE_STATUSES, Appointment, Deposit, DepositStatus
from booking.notify import tell_patient
from booking.terms import format_when
from knowledge.clinic_file import ClinicFile
from knowledge.store import load_clinic
from messaging.models import Conversation
from messaging.outbound import reply_in_conversation
from messaging.staff import notify_staff
from payments.base import PaymentError


def handoff(ctx: AppContext, conversation_id: int, reason: str, summary: str) -> None:
    """Pause the AI on a conversation and alert staff (SMS to the clinic's staff phone and
    email to its staff address, both rows first).

    Raises:
        LookupError: no such conversation.
    """
    _alert(ctx, conversation_id, reason, summary, pause=True)


def alert_staff(ctx: AppContext, conversation_id: int, reason: str, summary: str) -> None:
    """Alert staff as :func:`handoff` does, but leave the AI on (a medical question: staff
    answer it, the AI still books).

    Raises:
        LookupError: no such conversation.
    """
    _alert(ctx, conversation_id, reason, summary, pause=False)


def hand_off_in(
    session: Session,
    conversation: Conversation,
    clinic: ClinicFile | None,
    reason: str,
    summary: str,
    now: dt.datetime,
) -> None:
    """:func:`handoff` inside the caller's transaction, for a flow that already holds the
    conversation's row lock (the turn flow stopping at a limit): the AI pauses and the alert
    rows are added to ``session`` (sent once it commits).

    Args:
        clinic: the conversation's clinic (its ``staff_alert_phone``), or None: email only.
        reason, summary: as :func:`handoff`; the summary never carries the patient's text.
        now: the instant recorded on the rows (aware).
    """
    _record(session, conversation, clinic, reason, summary, now, pause=True)


def _alert(
    ctx: AppContext, conversation_id: int, reason: str, summary: str, *, pause: bool
) -> None:
    """Record the alert (text and email rows first); pause the AI when ``pause``."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        conversation = _conversation(session, conversation_id)
        clinic = load_clinic(session, conversation.clinic_id)
        _record(session, conversation, clinic, reason, summary, now, pause=pause)


def _record(
    session: Session,
    conversation: Conversation,
    clinic: ClinicFile | None,
    reason: str,
    summary: str,
    now: dt.datetime,
    *,
    pause: bool,
) -> None:
    """Add the alert's rows to ``session``; pause the AI when ``pause``."""
    if pause:
        conversation.ai_paused = True
    notify_staff(
        session,
        clinic_id=conversation.clinic_id,
        staff_phone=clinic.clinic.staff_alert_phone if clinic else None,
        clinic_phone=conversation.clinic_phone,
        carrier=conversation.carrier,
        kind="alert",
        reason=reason,
        summary=copy.handoff_alert(reason, conversation.patient_phone, summary),
        now=now,
        conversation_id=conversation.id,
    )


def staff_send(ctx: AppContext, conversation_id: int, text: str) -> int:
    """Text the patient from the clinic number as staff; the AI pauses (staff took over).

    Returns:
        The queued message's id.

    Raises:
        LookupError: no such conversation.
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        conversation = _conversation(session, conversation_id)
        conversation.ai_paused = True
        message = reply_in_conversation(session, conversation, text, now=now, kind="staff_reply")
        return message.id


def resume_ai(ctx: AppContext, conversation_id: int) -> None:
    """Hand the conversation back to the AI after a takeover.

    Raises:
        LookupError: no such conversation.
    """
    _set_paused(ctx, conversation_id, paused=False)


def take_over(ctx: AppContext, conversation_id: int) -> None:
    """Staff take the conversation over without texting yet: the AI stays silent on it.

    Raises:
        LookupError: no such conversation.
    """
    _set_paused(ctx, conversation_id, paused=True)


def _set_paused(ctx: AppContext, conversation_id: int, *, paused: bool) -> None:
    with ctx.db.session() as session:
        _conversation(session, conversation_id).ai_paused = paused


def cancel_by_clinic(ctx: AppContext, patient_phone: str) -> int | None:
    """Staff cancel the patient's active appointment: released in the EMR, any paid deposit
    refunded in full (the clinic cancelled), the patient told.

    Returns:
        The cancelled appointment's id, or None when the patient had none active.
    """
    with ctx.db.session() as session:
        appointment_id = session.scalars(
            select(Appointment.id)
            .where(
                Appointment.patient_phone == patient_phone,
                Appointment.status.in_(ACTIVE_STATUSES),
            )
            .order_by(Appointment.start_at)
        ).first()
    if appointment_id is None:
        return None
    return cancel_appointment_by_clinic(ctx, appointment_id)


def cancel_appointment_by_clinic(ctx: AppContext, appointment_id: int) -> int | None:
    """Staff cancel one appointment (the inbox's cancel button), as :func:`cancel_by_clinic`.

    Returns:
        ``appointment_id``, or None when it is not active (already cancelled, no such id).
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.status not in ACTIVE_STATUSES:
            return None
        clinic = load_clinic(session, appt.clinic_id)
    if clinic is None:
        raise LookupError(f"clinic {appt.clinic_id} of appointment {appt.id} is gone")
    emr = ctx.emr_for(clinic)
    release_appointment(
        ctx.db, emr, appt.id, status="cancelled", now=now, source="staff", funnel_step=CANCELLED
    )
    refunded = _refund_in_full(ctx, appt.id)
    with ctx.db.session() as session:
        tell_patient(
            session,
            appt.conversation_id,
            now=now,
            kind="cancellation",
            body=copy.cancelled_by_clinic(
                clinic.clinic.name,
                appt.service_name,
                format_when(appt.start_at, appt.timezone),
                refunded=refunded,
            ),
        )
    return appt.id


def _refund_in_full(ctx: AppContext, appointment_id: int) -> bool:
    """Refund the appointment's paid deposit in full; True when a refund was made.

    The deposit row keeps the refund id, or the error when the provider refused (staff see
    it and refund by hand).
    """
    with ctx.db.session() as session:
        paid = session.scalars(
            select(Deposit).where(
                Deposit.appointment_id == appointment_id, Deposit.status == "paid"
            )
        ).first()
    if paid is None:
        return False
    try:
        refund = ctx.deposits.refund(
            idempotency_key=refund_key(paid.idempotency_key),
            payment_id=paid.payment_id or "",
            amount_cents=paid.amount_cents,
            currency=paid.currency,
            reason="Cancelled by the clinic",
        )
    except PaymentError:
        refund = None
    with ctx.db.session() as session:
        row = session.get(Deposit, paid.id)
        if row is None:
            return False
        if refund is None:
            row.error = "refund after clinic cancellation failed"
            return False
        row.status, row.refund_id = DepositStatus.REFUNDED, refund.id
        return True


def _conversation(session: Session, conversation_id: int) -> Conversation:
    """The conversation, or :class:`LookupError` naming the id staff gave."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise LookupError(f"no conversation {conversation_id}")
    return conversation
