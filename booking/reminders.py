"""Texts around a booked visit, as rows (DESIGN.md §2 Reminders).

- :func:`schedule_texts`: when a visit is booked (:func:`booking.holds.confirm_appointment`),
  one ``scheduled_texts`` row per reminder still ahead (none already due: a visit booked
  inside a reminder's window skips that reminder), the service's aftercare text and a review
  request. Re-running it inserts nothing twice (unique per appointment, kind, slot, offset).
- :func:`cancel_pending`: when the visit ends otherwise (cancelled, moved: the new slot is a
  new appointment with rows of its own; expired), its pending rows are cancelled in the same
  transaction (:func:`booking.holds.release_appointment`).
- :func:`claim`: the sending job takes one due row exactly once (a row lock, then the row
  leaves ``pending``), so two sweepers running at once send one text.
- :func:`reminded_visit` / :func:`mark_confirmed`: the patient's answer to the latest
  reminder, read from the rows, never from the reply's wording.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import insert_or_ignore
from booking.funnel import CONFIRMED, REMINDER_ANSWERED, record_appointment_step
from booking.models import Appointment, AppointmentStatus
from booking.reminder_models import ScheduledKind, ScheduledStatus, ScheduledText
from booking.terms import ReminderPlan
from messaging.models import Direction, Message, MessageStatus


@dataclass(frozen=True)
class PlannedText:
    """One text to schedule: its kind, minutes from the slot (see :class:`ScheduledText`)
    and due instant."""

    kind: ScheduledKind
    offset_minutes: int
    due_at: dt.datetime


def plan_texts(
    start_at: dt.datetime,
    end_at: dt.datetime,
    service_id: str,
    zone: ZoneInfo,
    plan: ReminderPlan,
    now: dt.datetime,
) -> list[PlannedText]:
    """The texts a visit from ``start_at`` to ``end_at`` gets when booked at ``now``.

    Reminders already due at ``now`` are left out (a visit booked two hours ahead gets no
    24-hour reminder, a past visit none); aftercare ``plan.aftercare_hours`` after the end
    for services that have it; a review ask at ``plan.review_hour`` clinic-local the day
    after the visit when the clinic has a review link.
    """
    out = [
        PlannedText(ScheduledKind.REMINDER, hours * 60, start_at - dt.timedelta(hours=hours))
        for hours in plan.hours_before
        if start_at - dt.timedelta(hours=hours) > now
    ]
    if end_at <= now:
        return out
    if service_id in plan.aftercare_service_ids:
        due = end_at + dt.timedelta(hours=plan.aftercare_hours)
        out.append(PlannedText(ScheduledKind.AFTERCARE, -plan.aftercare_hours * 60, due))
    if plan.review:
        day = end_at.astimezone(zone).date() + dt.timedelta(days=1)
        due = dt.datetime.combine(day, dt.time(plan.review_hour), zone).astimezone(dt.UTC)
        minutes = int((due - end_at).total_seconds() // 60)
        out.append(PlannedText(ScheduledKind.REVIEW, -minutes, due))
    return out


def schedule_texts(
    session: Session, appointment: Appointment, plan: ReminderPlan, now: dt.datetime
) -> int:
    """Save the rows of :func:`plan_texts` for a booked ``appointment`` (idempotent).

    Returns:
        How many rows this call inserted.
    """
    planned = plan_texts(
        appointment.start_at,
        appointment.end_at,
        appointment.service_id,
        ZoneInfo(appointment.timezone),
        plan,
        now,
    )
    inserted = 0
    for p in planned:
        inserted += insert_or_ignore(
            session,
            ScheduledText,
            {
                "appointment_id": appointment.id,
                "kind": p.kind,
                "slot_start_at": appointment.start_at,
                "offset_minutes": p.offset_minutes,
                "due_at": p.due_at,
                "status": ScheduledStatus.PENDING,
                "created_at": now,
                "updated_at": now,
            },
            ["appointment_id", "kind", "slot_start_at", "offset_minutes"],
        )
    return inserted


def cancel_pending(session: Session, appointment_id: int, now: dt.datetime) -> int:
    """Cancel every pending text of ``appointment_id``. Returns how many."""
    result = session.execute(
        update(ScheduledText)
        .where(
            ScheduledText.appointment_id == appointment_id,
            ScheduledText.status == ScheduledStatus.PENDING,
        )
        .values(status=ScheduledStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def due_rows(
    session: Session, until: dt.datetime, limit: int = 1000
) -> list[tuple[int, dt.datetime]]:
    """(id, due instant) of pending rows due at or before ``until``, earliest first (at most
    ``limit``)."""
    rows = session.execute(
        select(ScheduledText.id, ScheduledText.due_at)
        .where(ScheduledText.status == ScheduledStatus.PENDING, ScheduledText.due_at <= until)
        .order_by(ScheduledText.due_at, ScheduledText.id)
        .limit(limit)
    ).all()
    return [(scheduled_id, due_at) for scheduled_id, due_at in rows]


def clinic_of(session: Session, scheduled_id: int) -> str | None:
    """The clinic id of a scheduled text's appointment (None: no such row)."""
    return session.scalar(
        select(Appointment.clinic_id)
        .join(ScheduledText, ScheduledText.appointment_id == Appointment.id)
        .where(ScheduledText.id == scheduled_id)
    )


def claim(session: Session, scheduled_id: int) -> tuple[ScheduledText, Appointment] | None:
    """Lock a pending row and its appointment for sending; None when it is not pending.

    Postgres ``FOR UPDATE``: of two sweepers claiming one row the second waits, then sees it
    no longer pending. The caller sets the row's final status in the same transaction.
    """
    row = session.get(ScheduledText, scheduled_id, with_for_update=True)
    if row is None or row.status != ScheduledStatus.PENDING:
        return None
    appointment = session.get(Appointment, row.appointment_id)
    if appointment is None:
        return None
    return row, appointment


def still_due(row: ScheduledText, appointment: Appointment) -> bool:
    """True while the row's reason holds: the visit is booked at the slot it was scheduled
    for (aftercare and review: the visit took place, i.e. was not cancelled or a no-show)."""
    if row.kind == ScheduledKind.REMINDER:
        return (
            appointment.status == AppointmentStatus.BOOKED
            and appointment.start_at == row.slot_start_at
        )
    return appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)


def reviewed_recently(session: Session, clinic_id: str, phone: str, since: dt.datetime) -> bool:
    """True when a review ask went to ``phone`` from ``clinic_id`` at or after ``since``."""
    count = session.scalar(
        select(func.count(ScheduledText.id))
        .join(Appointment, Appointment.id == ScheduledText.appointment_id)
        .where(
            Appointment.clinic_id == clinic_id,
            Appointment.patient_phone == phone,
            ScheduledText.kind == ScheduledKind.REVIEW,
            ScheduledText.status == ScheduledStatus.SENT,
            ScheduledText.updated_at >= since,
        )
    )
    return bool(count)


def reminded_visit(session: Session, conversation_id: int, now: dt.datetime) -> Appointment | None:
    """The upcoming, unconfirmed booked visit whose reminder is the conversation's latest
    text to the patient, or None (the patient's next words then answer something else)."""
    # The latest text the patient can have seen, by when it went out (a reminder held back
    # by quiet hours goes out after texts saved later): not one still held back.
    latest = session.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.OUT,
            Message.status != MessageStatus.BLOCKED,
            ~(
                (Message.status == MessageStatus.QUEUED)
                & Message.send_after.is_not(None)
                & (Message.send_after > now)
            ),
        )
        .order_by(func.coalesce(Message.sent_at, Message.created_at).desc(), Message.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    row = session.scalar(
        select(ScheduledText).where(
            ScheduledText.message_id == latest, ScheduledText.kind == ScheduledKind.REMINDER
        )
    )
    if row is None:
        return None
    appointment = session.get(Appointment, row.appointment_id)
    if (
        appointment is None
        or not still_due(row, appointment)
        or appointment.start_at <= now
        or appointment.confirmed_at is not None
    ):
        return None
    return appointment


def mark_confirmed(session: Session, appointment_id: int, now: dt.datetime) -> bool:
    """Record that the patient confirmed ``appointment_id`` (and the funnel's "confirmed" and
    "reminder answered" steps); False if it was already."""
    result = session.execute(
        update(Appointment)
        .where(Appointment.id == appointment_id, Appointment.confirmed_at.is_(None))
        .values(confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    confirmed = bool(getattr(result, "rowcount", 0))
    appointment = session.get(Appointment, appointment_id)
    if confirmed and appointment is not None:
        record_appointment_step(session, appointment, CONFIRMED, now)
        record_appointment_step(session, appointment, REMINDER_ANSWERED, now)
    return confirmed


def unconfirmed(
    session: Session, clinic_id: str, now: dt.datetime, hours: int = 48
) -> list[Appointment]:
    """Booked visits of ``clinic_id`` starting within ``hours`` after ``now`` that the patient
    has not confirmed, soonest first (what staff call about)."""
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.clinic_id == clinic_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.confirmed_at.is_(None),
                Appointment.start_at > now,
                Appointment.start_at <= now + dt.timedelta(hours=hours),
            )
            .order_by(Appointment.start_at, Appointment.id)
        )
    )


def describe_unconfirmed(appointment: Appointment) -> dict[str, object]:
    """One unconfirmed visit as staff see it (JSON-ready; clinic-local start)."""
    local = appointment.start_at.astimezone(ZoneInfo(appointment.timezone))
    return {
        "appointment_id": appointment.id,
        "conversation_id": appointment.conversation_id,
        "patient_phone": appointment.patient_phone,
        "patient_name": appointment.patient_name,
        "service": appointment.service_name,
        "provider": appointment.provider_name,
        "start": local.isoformat(),
    }
