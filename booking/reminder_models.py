"""The table of texts scheduled around a visit: reminders before it, aftercare and a review
request after it (DESIGN.md §2 Reminders).

A row is saved when an appointment is booked and sent by :mod:`app.flows.reminders` at its
``due_at``. ``UNIQUE(appointment_id, kind, slot_start_at, offset_minutes)`` makes a reminder
impossible to schedule twice for one appointment and slot, and the job claims a row by
moving it out of ``pending`` under a row lock, so two sweepers never send it twice.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, enum_column, utcnow


class ScheduledKind(enum.StrEnum):
    """What a scheduled text is: also the outbound message kind it is sent as."""

    REMINDER = "reminder"
    AFTERCARE = "aftercare"
    REVIEW = "review"


class ScheduledStatus(enum.StrEnum):
    """``pending`` until due; then ``sent`` (message queued: quiet hours and opt-out are the
    outbound queue's to apply), ``skipped`` (nothing to send any more: visit not booked, opted
    out, review asked recently) or ``cancelled`` (the visit was cancelled or moved)."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class ScheduledText(Base):
    """One text due at ``due_at`` about one appointment at the slot it had when scheduled.

    ``offset_minutes``: minutes before the slot start (reminders, positive) or after the
    visit's end (aftercare and review, negative), so each is unique per appointment and slot.
    """

    __tablename__ = "scheduled_texts"
    __table_args__ = (
        UniqueConstraint("appointment_id", "kind", "slot_start_at", "offset_minutes"),
        Index("ix_scheduled_texts_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ScheduledKind] = mapped_column(enum_column(ScheduledKind, "kind", 16))
    slot_start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[ScheduledStatus] = mapped_column(enum_column(ScheduledStatus, "status", 16))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
