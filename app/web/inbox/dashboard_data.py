"""The owner dashboard's numbers, computed from the tables the front desk already keeps.

:func:`dashboard_data` returns plain data (no Flask, no HTML), so the page, a CLI report or a
future funnel module can share it. Days are the clinic's local calendar days; weeks start on
Monday. What each count means:

- ``conversations``: conversations started that day;
- ``offers``: batches of openings offered to a patient (one list of numbered slots);
- ``holds``: appointments held for a patient (every booking starts as a hold);
- ``booked``: of those holds, the ones that became an appointment (booked, then perhaps
  completed or a no-show), by the day the hold was made;
- ``no_shows``: appointments marked a no-show, by the day they were for;
- ``deposits_paid`` / ``deposit_revenue_cents``: deposits paid that day, and the cents kept
  (refunded deposits count as paid but not as revenue);
- ``missed_calls`` / ``missed_calls_recovered``: unanswered calls, and those whose caller
  texted the clinic within :data:`RECOVERY_DAYS` after the call.

``median_first_reply_seconds``: for each conversation whose first patient text fell in the
period, the seconds from that text to the first text sent back; the median.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.models import Appointment, AppointmentStatus, Deposit, DepositStatus, SlotOffer
from messaging.models import CallSession, Conversation, Direction, Message

#: A missed call counts as recovered when its caller texts within this many days.
RECOVERY_DAYS = 7
_BOOKED = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
_PAID = (DepositStatus.PAID, DepositStatus.REFUNDING, DepositStatus.REFUNDED)


@dataclass
class Counts:
    """The funnel's counts for one period (money in cents)."""

    conversations: int = 0
    offers: int = 0
    holds: int = 0
    booked: int = 0
    no_shows: int = 0
    deposits_paid: int = 0
    deposit_revenue_cents: int = 0
    missed_calls: int = 0
    missed_calls_recovered: int = 0

    def add(self, other: Counts) -> None:
        """Add ``other``'s counts to these."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class Dashboard:
    """The dashboard's numbers: per day (oldest first), per week (Mondays), and in total."""

    start: dt.date
    end: dt.date
    days: list[tuple[dt.date, Counts]]
    weeks: list[tuple[dt.date, Counts]]
    total: Counts = field(default_factory=Counts)
    median_first_reply_seconds: float | None = None


def dashboard_data(
    session: Session, clinic_id: str, zone: ZoneInfo, now: dt.datetime, days: int = 30
) -> Dashboard:
    """The clinic's numbers for the ``days`` local days ending today.

    Args:
        session: an open session (read only).
        clinic_id: the clinic.
        zone: the clinic's time zone (days are its local days).
        now: the current instant (aware).
        days: how many days, today included (at least 1).

    Returns:
        :class:`Dashboard`.
    """
    days = max(days, 1)
    end = now.astimezone(zone).date()
    start = end - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(start, dt.time(0), zone)
    tally = _Tally(zone, {start + dt.timedelta(days=i): Counts() for i in range(days)})
    _count_rows(session, clinic_id, since, tally)
    by_day = tally.by_day
    board = Dashboard(start, end, sorted(by_day.items()), _weeks(by_day))
    for _, counts in board.days:
        board.total.add(counts)
    board.median_first_reply_seconds = _median_first_reply(session, clinic_id, since)
    return board


@dataclass
class _Tally:
    """Adds rows to the local day their instant falls on."""

    zone: ZoneInfo
    by_day: dict[dt.date, Counts]

    def __call__(
        self, instants: Iterable[dt.datetime], name: str, amounts: Iterable[int] | None = None
    ) -> None:
        """Add 1 (or the matching ``amounts``) to count ``name`` of each instant's day."""
        for instant, amount in zip(instants, amounts or itertools.repeat(1), strict=False):
            counts = self.by_day.get(instant.astimezone(self.zone).date())
            if counts is not None:
                setattr(counts, name, getattr(counts, name) + amount)


def _count_rows(session: Session, clinic_id: str, since: dt.datetime, bump: _Tally) -> None:
    """Feed every counted row's instant to ``bump`` under its count's name."""
    scalars = session.scalars
    bump(
        scalars(
            select(Conversation.created_at).where(
                Conversation.clinic_id == clinic_id, Conversation.created_at >= since
            )
        ),
        "conversations",
    )
    bump(
        scalars(
            select(func.min(SlotOffer.created_at))
            .where(SlotOffer.clinic_id == clinic_id, SlotOffer.created_at >= since)
            .group_by(SlotOffer.conversation_id, SlotOffer.batch)
        ),
        "offers",
    )
    holds = session.execute(
        select(Appointment.created_at, Appointment.status).where(
            Appointment.clinic_id == clinic_id, Appointment.created_at >= since
        )
    ).all()
    bump([h.created_at for h in holds], "holds")
    bump([h.created_at for h in holds if h.status in _BOOKED], "booked")
    bump(
        scalars(
            select(Appointment.start_at).where(
                Appointment.clinic_id == clinic_id,
                Appointment.start_at >= since,
                Appointment.status == AppointmentStatus.NO_SHOW,
            )
        ),
        "no_shows",
    )
    paid = session.execute(
        select(Deposit.paid_at, Deposit.status, Deposit.amount_cents).where(
            Deposit.clinic_id == clinic_id, Deposit.paid_at >= since, Deposit.status.in_(_PAID)
        )
    ).all()
    bump([p.paid_at for p in paid], "deposits_paid")
    kept = [p for p in paid if p.status == DepositStatus.PAID]
    bump([p.paid_at for p in kept], "deposit_revenue_cents", [p.amount_cents for p in kept])
    missed, recovered = _missed_calls(session, clinic_id, since)
    bump(missed, "missed_calls")
    bump(recovered, "missed_calls_recovered")


def _missed_calls(
    session: Session, clinic_id: str, since: dt.datetime
) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """Instants of the missed calls since ``since``, and of those the caller texted after."""
    calls = session.execute(
        select(CallSession.from_number, CallSession.started_at).where(
            CallSession.clinic_id == clinic_id,
            CallSession.missed.is_(True),
            CallSession.started_at >= since,
        )
    ).all()
    if not calls:
        return [], []
    texts: dict[str, list[dt.datetime]] = {}
    for sender, at in session.execute(
        select(Message.from_number, Message.created_at).where(
            Message.clinic_id == clinic_id,
            Message.direction == Direction.IN,
            Message.created_at >= since,
            Message.from_number.in_({c.from_number for c in calls}),
        )
    ):
        texts.setdefault(sender, []).append(at)
    window = dt.timedelta(days=RECOVERY_DAYS)
    recovered = [
        c.started_at
        for c in calls
        if any(c.started_at <= t <= c.started_at + window for t in texts.get(c.from_number, ()))
    ]
    return [c.started_at for c in calls], recovered


def _weeks(by_day: dict[dt.date, Counts]) -> list[tuple[dt.date, Counts]]:
    """The days' counts summed per week (keyed by the week's Monday)."""
    weeks: dict[dt.date, Counts] = {}
    for day, counts in sorted(by_day.items()):
        weeks.setdefault(day - dt.timedelta(days=day.weekday()), Counts()).add(counts)
    return sorted(weeks.items())


def _median_first_reply(session: Session, clinic_id: str, since: dt.datetime) -> float | None:
    """Median seconds from each conversation's first patient text to the first text back."""
    first_in = (
        select(Message.conversation_id, func.min(Message.created_at).label("at"))
        .where(Message.clinic_id == clinic_id, Message.direction == Direction.IN)
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(first_in.c.at, func.min(Message.created_at))
        .join(Message, Message.conversation_id == first_in.c.conversation_id)
        .where(
            first_in.c.at >= since,
            Message.direction == Direction.OUT,
            Message.created_at >= first_in.c.at,
        )
        .group_by(first_in.c.conversation_id, first_in.c.at)
    ).all()
    waits = [(reply - asked).total_seconds() for asked, reply in rows]
    return statistics.median(waits) if waits else None
