"""When the next piece of timed work falls due: the scenario runner's ``advance`` moves the
clock through these instants in order, running the sweeper at each, so a reminder deferred by
quiet hours goes out when they end inside the same advance.

Each feature that schedules work adds a source to :data:`DUE_SOURCES`: a function
``(session, after) -> the earliest instant strictly after "after" at which something of
its kind falls due, or None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.models import ACTIVE_STATUSES, Appointment
from booking.reminder_models import ScheduledStatus, ScheduledText
from booking.waitlist_offers import next_due as waitlist_due
from messaging.models import Direction, Message, MessageStatus

DueSource = Callable[[Session, dt.datetime], dt.datetime | None]


def hold_expiry_due(session: Session, after: dt.datetime) -> dt.datetime | None:
    """The next instant an active unpaid hold lapses, strictly after ``after``."""
    return session.scalar(
        select(func.min(Appointment.hold_expires_at)).where(
            Appointment.status.in_(ACTIVE_STATUSES), Appointment.hold_expires_at > after
        )
    )


def outbound_send_after_due(session: Session, after: dt.datetime) -> dt.datetime | None:
    """The next instant a queued outbound text (quiet-hours deferral, retry backoff) may go."""
    return session.scalar(
        select(func.min(Message.send_after)).where(
            Message.direction == Direction.OUT,
            Message.status == MessageStatus.QUEUED,
            Message.send_after > after,
        )
    )


def scheduled_text_due(session: Session, after: dt.datetime) -> dt.datetime | None:
    """The next instant a pending reminder, aftercare text or review request falls due."""
    return session.scalar(
        select(func.min(ScheduledText.due_at)).where(
            ScheduledText.status == ScheduledStatus.PENDING, ScheduledText.due_at > after
        )
    )


#: Every kind of timed work; features add theirs here.
DUE_SOURCES: tuple[DueSource, ...] = (
    hold_expiry_due,
    outbound_send_after_due,
    scheduled_text_due,
    waitlist_due,
)


def next_due_instant(session: Session, after: dt.datetime) -> dt.datetime | None:
    """The earliest instant strictly after ``after`` at which any source has work due.

    Args:
        session: an open session.
        after: an aware instant.

    Returns:
        An aware UTC instant, or None when nothing is scheduled.
    """
    instants = [when for source in DUE_SOURCES if (when := source(session, after)) is not None]
    if not instants:
        return None
    earliest = min(instants)
    return earliest if earliest.tzinfo else earliest.replace(tzinfo=dt.UTC)
