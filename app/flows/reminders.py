"""Reminders flow (DESIGN.md §2): texts scheduled around a booked visit go out when due.

The sweeper (:func:`app.flows.sweeper.run_due`) finds pending ``scheduled_texts`` rows whose
``due_at`` has come (:func:`enqueue_due`) and enqueues :func:`send_scheduled_texts` for them
in batches, which runs :func:`send_scheduled_text` for each. The job claims its row under a lock, checks the reason
still holds (the visit is booked at that slot; the number has not opted out; no review ask
in the clinic's period), and queues the text in the patient's conversation as a message of
the row's kind. Quiet hours are the outbound queue's: a reminder due at 6:30 AM is saved
with ``send_after`` 8 AM recipient-local (:mod:`messaging.quiet_hours`) and the sweeper sends
it then. Wording: :mod:`booking.copy_reminders`.
"""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy.orm import Session

from app.context import AppContext
from app.flows.lead import patient_conversation
from booking import copy_reminders as copy
from booking.funnel import REMINDER_SENT, record_appointment_step
from booking.models import Appointment
from booking.reminder_models import ScheduledKind, ScheduledStatus, ScheduledText
from booking.reminders import claim, clinic_of, due_rows, reviewed_recently, still_due
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation
from messaging.outbound import is_opted_out, reply_in_conversation
from messaging.phones import mask

log = structlog.get_logger(__name__)

#: Most rows one sweep enqueues; the rest wait for the next sweep (30 s later).
SWEEP_BATCH = 20000
#: Rows per job: one RQ job per row costs more than the row's own work.
JOB_BATCH = 25
#: Where jobs really wait (RQ), rows falling due before the next sweep (``frontdesk worker``
#: sweeps every 30 s) are enqueued to run at their due second, not up to 30 s late.
LOOKAHEAD = dt.timedelta(seconds=30)


def enqueue_due(ctx: AppContext, now: dt.datetime) -> int:
    """Enqueue :func:`send_scheduled_texts` for the pending rows due at ``now``, in jobs of
    :data:`JOB_BATCH` rows, earliest due first; where the queue really delays jobs (RQ), also
    those due within :data:`LOOKAHEAD`, each job to run at its rows' due second.

    A row enqueued twice (looked ahead, then due at the next sweep before its job ran) is
    still sent once: the job claims it.

    Returns:
        How many rows were enqueued (at most :data:`SWEEP_BATCH`).
    """
    until = now + LOOKAHEAD if ctx.jobs.delays else now
    with ctx.db.session() as session:
        rows = due_rows(session, until, SWEEP_BATCH)
    batch: list[int] = []
    batch_second = 0.0
    for scheduled_id, due_at in rows:
        second = max(0.0, float(int((due_at - now).total_seconds())))
        if batch and (len(batch) == JOB_BATCH or second != batch_second):
            _enqueue_batch(ctx, batch, batch_second)
            batch = []
        batch.append(scheduled_id)
        batch_second = second
    if batch:
        _enqueue_batch(ctx, batch, batch_second)
    return len(rows)


def _enqueue_batch(ctx: AppContext, ids: list[int], delay_seconds: float) -> None:
    """Enqueue one :func:`send_scheduled_texts` job, now or ``delay_seconds`` from now."""
    if delay_seconds > 0:
        ctx.jobs.enqueue_in(delay_seconds, send_scheduled_texts, ids)
    else:
        ctx.jobs.enqueue(send_scheduled_texts, ids)


def send_scheduled_texts(ctx: AppContext, scheduled_ids: list[int]) -> dict[str, int]:
    """Send several due scheduled texts (job): :func:`send_scheduled_text` for each.

    Returns:
        How many ended each way (sent | skipped | gone).
    """
    counts: dict[str, int] = {}
    for scheduled_id in scheduled_ids:
        outcome = send_scheduled_text(ctx, scheduled_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def send_scheduled_text(ctx: AppContext, scheduled_id: int) -> str:
    """Send one due scheduled text (job; safe to run twice or at once: one text).

    Returns:
        ``sent`` (queued as a message: quiet hours may defer it), ``skipped`` (its reason
        no longer holds), ``gone`` (not pending: another run took it, or it was
        cancelled), or ``early`` (not due yet: left pending for its time).
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        clinic_id = clinic_of(session, scheduled_id)
    # Read before the row lock: the clinic file comes through a session of its own.
    clinic = ctx.clinic_cached(clinic_id) if clinic_id else None
    with ctx.db.session() as session:
        claimed = claim(session, scheduled_id)
        if claimed is None:
            return "gone"
        row, appointment = claimed
        if row.due_at > now:
            return "early"
        body = _body(clinic, session, row, appointment, now)
        row.updated_at = now
        if body is None or clinic is None:  # _body skips every row of a clinic that is gone
            row.status = ScheduledStatus.SKIPPED
            return "skipped"
        conversation = _conversation(ctx, clinic, session, appointment)
        message = reply_in_conversation(session, conversation, body, now=now, kind=row.kind.value)
        row.status = ScheduledStatus.SENT
        row.message_id = message.id
        if row.kind == ScheduledKind.REMINDER:
            record_appointment_step(session, appointment, REMINDER_SENT, now)
    log.info("scheduled_text_sent", kind=row.kind.value, to=mask(appointment.patient_phone))
    return "sent"


def _body(
    clinic: ClinicFile | None,
    session: Session,
    row: ScheduledText,
    appointment: Appointment,
    now: dt.datetime,
) -> str | None:
    """The text for ``row``, or None when it should not go (see :func:`send_scheduled_text`)."""
    if clinic is None or not still_due(row, appointment):
        return None
    if is_opted_out(session, appointment.clinic_id, appointment.patient_phone):
        return None
    name = clinic.clinic.name
    if row.kind == ScheduledKind.REMINDER:
        return copy.reminder(
            service_name=appointment.service_name,
            provider_name=appointment.provider_name,
            start=appointment.start_at,
            now=now,
            timezone=appointment.timezone,
            clinic_name=name,
        )
    if row.kind == ScheduledKind.AFTERCARE:
        text = _aftercare_text(clinic, appointment.service_id)
        if not text:
            return None
        return copy.aftercare(
            clinic_name=name, service_name=appointment.service_name, instructions=text
        )
    reminders = clinic.clinic.reminders
    if reminders.review_url is None:
        return None
    since = now - dt.timedelta(days=reminders.review_every_days)
    if reviewed_recently(session, appointment.clinic_id, appointment.patient_phone, since):
        return None
    return copy.review_request(clinic_name=name, review_url=reminders.review_url)


def _aftercare_text(clinic: ClinicFile, service_id: str) -> str:
    """The service's aftercare text in the clinic file ('' when it has none any more)."""
    try:
        return clinic.service(service_id).aftercare.strip()
    except KeyError:
        return ""


def _conversation(
    ctx: AppContext, clinic: ClinicFile, session: Session, appointment: Appointment
) -> Conversation:
    """The patient's conversation with the clinic (the appointment's, else the one they
    use, else a new one), so the patient's answer is a normal turn of it."""
    if appointment.conversation_id is not None:
        conversation = session.get(Conversation, appointment.conversation_id)
        if conversation is not None:
            return conversation
    return patient_conversation(ctx, session, clinic, appointment.patient_phone)
