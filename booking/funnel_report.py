"""The funnel report: how many reached each step, by day and ISO week, deposits taken, and
how fast patients got their first answer (``frontdesk report funnel``, the owner dashboard).

Counts read :class:`booking.funnel.FunnelEvent` rows (each step once per subject), bucketed
by the clinic-local day and ISO week of ``occurred_at``. Response time is, per conversation
whose first inbound text falls in the period, the seconds from that text to the first
outbound text after it (from ``messages``); the median and the 90th percentile (nearest
rank) are reported.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from booking.funnel import DEPOSIT_PAID, STEPS, FunnelEvent
from messaging.models import Direction, Message


@dataclass
class ResponseTimes:
    """First-answer times over the period's conversations, in seconds (None when none)."""

    conversations: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None


@dataclass
class FunnelReport:
    """Funnel numbers of one period (see the module docstring).

    Attributes:
        clinic_id: the clinic reported on, or None for every clinic.
        since, until: the period, ``since <= occurred_at < until`` (aware).
        timezone: the IANA zone days and weeks are counted in.
        totals: step -> count over the period.
        by_day: ISO date -> step -> count (clinic-local days with any event).
        by_week: ISO week ("2026-W48") -> step -> count.
        deposit_revenue_cents: the deposits paid in the period, in cents.
        revenue_by_day, revenue_by_week: the same cents per day / ISO week (keys as above;
            only buckets with a deposit).
        response: :class:`ResponseTimes`.
    """

    clinic_id: str | None
    since: dt.datetime
    until: dt.datetime
    timezone: str
    totals: dict[str, int] = field(default_factory=dict)
    by_day: dict[str, dict[str, int]] = field(default_factory=dict)
    by_week: dict[str, dict[str, int]] = field(default_factory=dict)
    deposit_revenue_cents: int = 0
    revenue_by_day: dict[str, int] = field(default_factory=dict)
    revenue_by_week: dict[str, int] = field(default_factory=dict)
    response: ResponseTimes = field(default_factory=ResponseTimes)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values (steps in funnel order, zero counts kept)."""
        return {
            "clinic_id": self.clinic_id,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "timezone": self.timezone,
            "steps": list(STEPS),
            "totals": {s: self.totals.get(s, 0) for s in STEPS},
            "by_day": [
                {"date": d, "counts": c, "deposit_revenue_cents": self.revenue_by_day.get(d, 0)}
                for d, c in sorted(self.by_day.items())
            ],
            "by_week": [
                {"week": w, "counts": c, "deposit_revenue_cents": self.revenue_by_week.get(w, 0)}
                for w, c in sorted(self.by_week.items())
            ],
            "deposit_revenue_cents": self.deposit_revenue_cents,
            "response_time": {
                "conversations": self.response.conversations,
                "median_seconds": self.response.median_seconds,
                "p90_seconds": self.response.p90_seconds,
            },
        }


def funnel_report(
    session: Session,
    since: dt.datetime,
    until: dt.datetime,
    timezone: str,
    clinic_id: str | None = None,
) -> FunnelReport:
    """Count the funnel of ``[since, until)``.

    Args:
        session: an open session (read only).
        since, until: the period's bounds (aware).
        timezone: IANA zone for days and weeks (the clinic's own).
        clinic_id: one clinic, or None for all.

    Returns:
        :class:`FunnelReport`.

    Raises:
        ValueError: a naive bound; ``zoneinfo.ZoneInfoNotFoundError``: an unknown zone.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("the report's bounds must be timezone-aware")
    zone = ZoneInfo(timezone)
    report = FunnelReport(clinic_id, since, until, timezone)
    query = select(FunnelEvent.step, FunnelEvent.occurred_at, FunnelEvent.amount_cents).where(
        FunnelEvent.occurred_at >= since, FunnelEvent.occurred_at < until
    )
    if clinic_id is not None:
        query = query.where(FunnelEvent.clinic_id == clinic_id)
    totals: Counter[str] = Counter()
    for step, at, cents in session.execute(query):
        local = at.astimezone(zone).date()
        day, week = local.isoformat(), iso_week(local)
        totals[step] += 1
        _bump(report.by_day, day, step)
        _bump(report.by_week, week, step)
        if step == DEPOSIT_PAID and cents:
            report.deposit_revenue_cents += cents
            report.revenue_by_day[day] = report.revenue_by_day.get(day, 0) + cents
            report.revenue_by_week[week] = report.revenue_by_week.get(week, 0) + cents
    report.totals = dict(totals)
    report.response = response_times(session, since, until, clinic_id)
    return report


def iso_week(day: dt.date) -> str:
    """The ISO week ``day`` falls in, as the report keys it: ``"2026-W48"``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_days(last: dt.date, days: int, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The period of ``days`` whole clinic-local days ending with the day ``last``: from local
    midnight ``days - 1`` days before it to the local midnight after it (what the dashboard
    and ``report funnel`` show; with ``last`` today, everything recorded so far today counts).

    Args:
        last: the period's last local day (usually today in the clinic's zone).
        days: how many local days, ``last`` included (at least 1).
        timezone: the clinic's IANA zone.

    Returns:
        ``(since, until)`` for :func:`funnel_report` (aware).

    Raises:
        ValueError: ``days`` below 1.
    """
    if days < 1:
        raise ValueError("the period is at least one day")
    zone = ZoneInfo(timezone)
    first, after = last - dt.timedelta(days=days - 1), last + dt.timedelta(days=1)
    return dt.datetime.combine(first, dt.time(0), zone), dt.datetime.combine(
        after, dt.time(0), zone
    )


def local_today(now: dt.datetime, timezone: str) -> dt.date:
    """The clinic-local date of the instant ``now`` (aware)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def _bump(buckets: dict[str, dict[str, int]], key: str, step: str) -> None:
    counts = buckets.setdefault(key, {})
    counts[step] = counts.get(step, 0) + 1


def response_times(
    session: Session, since: dt.datetime, until: dt.datetime, clinic_id: str | None = None
) -> ResponseTimes:
    """Seconds from each conversation's first inbound text (in ``[since, until)``) to the
    first outbound text after it; conversations never answered are left out.

    Returns:
        :class:`ResponseTimes` (median, nearest-rank 90th percentile).
    """
    first_in = select(
        Message.conversation_id.label("conversation_id"),
        func.min(Message.created_at).label("first_at"),
    ).where(Message.direction == Direction.IN, Message.conversation_id.is_not(None))
    if clinic_id is not None:
        first_in = first_in.where(Message.clinic_id == clinic_id)
    inbound = first_in.group_by(Message.conversation_id).subquery()
    answered = (
        select(inbound.c.first_at, func.min(Message.created_at))
        .join(
            Message,
            and_(
                Message.conversation_id == inbound.c.conversation_id,
                Message.direction == Direction.OUT,
                Message.created_at >= inbound.c.first_at,
            ),
        )
        .where(inbound.c.first_at >= since, inbound.c.first_at < until)
        .group_by(inbound.c.conversation_id, inbound.c.first_at)
    )
    seconds = sorted(
        max(0.0, (_aware(out_at) - _aware(in_at)).total_seconds())
        for in_at, out_at in session.execute(answered)
    )
    if not seconds:
        return ResponseTimes()
    p90 = seconds[max(0, math.ceil(0.9 * len(seconds)) - 1)]
    return ResponseTimes(len(seconds), statistics.median(seconds), p90)


def _aware(value: dt.datetime | str) -> dt.datetime:
    """An instant read through an aggregate: SQLite may hand back naive UTC or a string."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
