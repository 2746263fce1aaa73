"""Funnel events: each step a patient or an appointment reaches, recorded once (issue 13 item 6).

A step is a row of ``funnel_events`` keyed by ``(step, subject)``: the subject names what
reached it (``conversation:12``, ``appointment:7``, ``deposit:3``, ``call:<id>``, ``lead:4``),
so recording a step again (a retried job, a second payment webhook, a patient who is shown
openings twice) changes nothing. The insert is ``ON CONFLICT DO NOTHING`` on Postgres and
SQLite alike (:func:`app.db.insert_or_ignore`), safe when two workers record one step at once.

Where each step is recorded:

- :data:`CONVERSATION_STARTED`: the patient's first text (``app.flows.inbound_text``);
- :data:`OFFER_SHOWN`: openings offered in a conversation (:func:`booking.slots.record_offers`);
- :data:`HOLD`: a slot held (:func:`booking.holds.insert_holds`);
- :data:`DEPOSIT_PAID`: a deposit paid, with its cents (:func:`booking.paid.record_payment`);
- :data:`BOOKED`: an appointment booked (:func:`booking.holds.confirm_appointment`);
- :data:`CANCELLED`: cancelled by the patient or by staff (not a reschedule's old slot);
- :data:`NO_SHOW`: marked a no-show by staff (:mod:`booking.no_show`);
- :data:`MISSED_CALL_RECOVERED`: a missed call answered by a text-back;
- :data:`LEAD_TEXTED`: a website lead's first text queued.

:data:`CONFIRMED`, :data:`REMINDER_SENT`, :data:`REMINDER_ANSWERED`,
:data:`WAITLIST_OFFERED` and :data:`WAITLIST_CLAIMED` are recorded by the reminder and
waitlist flows through :func:`record_appointment_step` (or :func:`record_step` with the
waitlist entry as subject, e.g. ``waitlist:9``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Integer, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, UTCDateTime, insert_or_ignore

if TYPE_CHECKING:
    from booking.models import Appointment

CONVERSATION_STARTED = "conversation_started"
OFFER_SHOWN = "offer_shown"
HOLD = "hold"
DEPOSIT_PAID = "deposit_paid"
BOOKED = "booked"
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
NO_SHOW = "no_show"
WAITLIST_OFFERED = "waitlist_offered"
WAITLIST_CLAIMED = "waitlist_claimed"
REMINDER_SENT = "reminder_sent"
REMINDER_ANSWERED = "reminder_answered"
MISSED_CALL_RECOVERED = "missed_call_recovered"
LEAD_TEXTED = "lead_texted"

#: Every step, in funnel order (the report lists them so).
STEPS: tuple[str, ...] = (
    MISSED_CALL_RECOVERED,
    LEAD_TEXTED,
    CONVERSATION_STARTED,
    OFFER_SHOWN,
    HOLD,
    DEPOSIT_PAID,
    BOOKED,
    CONFIRMED,
    REMINDER_SENT,
    REMINDER_ANSWERED,
    CANCELLED,
    NO_SHOW,
    WAITLIST_OFFERED,
    WAITLIST_CLAIMED,
)


class FunnelEvent(Base):
    """One step reached by one subject, once: ``UNIQUE(step, subject)``.

    ``amount_cents`` is set for :data:`DEPOSIT_PAID` (the deposit taken); ``occurred_at`` is
    the instant the step happened (aware, UTC at rest).
    """

    __tablename__ = "funnel_events"
    __table_args__ = (UniqueConstraint("step", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    amount_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)


def record_step(
    session: Session,
    clinic_id: str,
    step: str,
    subject: str,
    at: dt.datetime,
    amount_cents: int | None = None,
) -> bool:
    """Record that ``subject`` reached ``step`` at ``at``, unless it already did.

    Args:
        session: the caller's session (the row commits with the caller's transaction).
        clinic_id: the clinic the step belongs to.
        step: one of :data:`STEPS`.
        subject: what reached it, ``kind:id`` (``conversation:12``, ``appointment:7``).
        at: when (aware).
        amount_cents: money the step moved (a deposit), in cents, else None.

    Returns:
        True when this call recorded it; False when it was recorded before.

    Raises:
        ValueError: ``step`` is not a known step, or ``at`` is naive.
    """
    if step not in STEPS:
        raise ValueError(f"unknown funnel step {step!r}")
    if at.tzinfo is None:
        raise ValueError("a funnel step's instant must be timezone-aware")
    values = {
        "clinic_id": clinic_id,
        "step": step,
        "subject": subject,
        "occurred_at": at,
        "amount_cents": amount_cents,
    }
    return insert_or_ignore(session, FunnelEvent, values, ["step", "subject"])


def appointment_subject(appointment_id: int) -> str:
    """The funnel subject of an appointment: ``appointment:<id>``."""
    return f"appointment:{appointment_id}"


def conversation_subject(conversation_id: int) -> str:
    """The funnel subject of a conversation: ``conversation:<id>``."""
    return f"conversation:{conversation_id}"


def record_appointment_step(
    session: Session, appointment: Appointment, step: str, at: dt.datetime
) -> bool:
    """:func:`record_step` for ``appointment`` (its clinic, subject ``appointment:<id>``).

    Returns:
        True when this call recorded it; False when it was recorded before.
    """
    return record_step(
        session, appointment.clinic_id, step, appointment_subject(appointment.id), at
    )


def continue_steps(session: Session, old_appointment_id: int, new_appointment_id: int) -> int:
    """A reschedule continues one booking: the steps its old appointment already reached
    (hold, booked) are not counted again for the replacement; later steps still are.

    Returns:
        How many of the replacement's rows were dropped as repeats.
    """
    old, new = appointment_subject(old_appointment_id), appointment_subject(new_appointment_id)
    reached = select(FunnelEvent.step).where(FunnelEvent.subject == old)
    result = session.execute(
        delete(FunnelEvent).where(FunnelEvent.subject == new, FunnelEvent.step.in_(reached))
    )
    return int(getattr(result, "rowcount", 0) or 0)
