"""The owner dashboard's numbers: :func:`booking.funnel_report.funnel_report`, shaped for the
page (one source: ``frontdesk report funnel`` prints the same numbers for the same period).

The period is :func:`booking.funnel_report.last_days`: the ``days`` whole clinic-local days
ending today. Shaping only fills the days and ISO weeks without events with zeros, so the charts
and tables have one column per day and per week, and names each step for people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from booking import funnel
from booking.funnel_report import FunnelReport, funnel_report, iso_week, last_days, local_today

#: What the page calls each funnel step (a step missing here shows its own name).
LABELS: dict[str, str] = {
    funnel.MISSED_CALL_RECOVERED: "missed calls recovered",
    funnel.LEAD_TEXTED: "website leads texted",
    funnel.CONVERSATION_STARTED: "conversations",
    funnel.OFFER_SHOWN: "offers",
    funnel.HOLD: "holds",
    funnel.DEPOSIT_PAID: "deposits paid",
    funnel.BOOKED: "booked",
    funnel.CONFIRMED: "confirmed",
    funnel.REMINDER_SENT: "reminders sent",
    funnel.REMINDER_ANSWERED: "reminders answered",
    funnel.CANCELLED: "cancelled",
    funnel.NO_SHOW: "no-shows",
    funnel.WAITLIST_OFFERED: "waitlist offered",
    funnel.WAITLIST_CLAIMED: "waitlist claimed",
}


@dataclass(frozen=True)
class Bucket:
    """One day or ISO week of the report.

    Attributes:
        key: the report's key (ISO date ``2026-11-23`` or ISO week ``2026-W48``).
        label: the chart's short label (``11-23``, ``W48``).
        counts: step -> count (every step of :data:`booking.funnel.STEPS`, zeros kept).
        revenue_cents: deposits paid in the bucket, in cents.
    """

    key: str
    label: str
    counts: dict[str, int]
    revenue_cents: int


@dataclass(frozen=True)
class Dashboard:
    """The page's data: the report itself, and its days and weeks with zeros filled in.

    Attributes:
        report: the :class:`booking.funnel_report.FunnelReport` the page shows.
        start, end: the first and last clinic-local day of the period.
        steps: ``(step, label)`` in funnel order.
        days: every local day of the period, oldest first.
        weeks: every ISO week the period touches, oldest first.
    """

    report: FunnelReport
    start: dt.date
    end: dt.date
    steps: list[tuple[str, str]]
    days: list[Bucket]
    weeks: list[Bucket]

    def total(self, step: str) -> int:
        """The period's count of ``step`` (0 when nobody reached it)."""
        return self.report.totals.get(step, 0)


def dashboard_data(
    session: Session, clinic_id: str, timezone: str, now: dt.datetime, days: int = 30
) -> Dashboard:
    """The clinic's funnel for the ``days`` local days ending today.

    Args:
        session: an open session (read only).
        clinic_id: the clinic.
        timezone: the clinic's IANA zone (days and weeks are its local ones).
        now: the current instant (aware).
        days: how many days, today included (at least 1).

    Returns:
        :class:`Dashboard`.

    Raises:
        ValueError: ``days`` below 1.
    """
    since, until = last_days(local_today(now, timezone), days, timezone)
    report = funnel_report(session, since, until, timezone, clinic_id)
    start = since.date()
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    weeks = list(dict.fromkeys(iso_week(d) for d in dates))
    return Dashboard(
        report=report,
        start=start,
        end=dates[-1],
        steps=[(step, LABELS.get(step, step.replace("_", " "))) for step in funnel.STEPS],
        days=[
            _bucket(d.isoformat(), d.strftime("%m-%d"), report.by_day, report.revenue_by_day)
            for d in dates
        ],
        weeks=[
            _bucket(w, w.split("-", 1)[1], report.by_week, report.revenue_by_week) for w in weeks
        ],
    )


def _bucket(
    key: str, label: str, counts: dict[str, dict[str, int]], revenue: dict[str, int]
) -> Bucket:
    """The report's counts and revenue under ``key``, every step present."""
    found = counts.get(key, {})
    return Bucket(key, label, {s: found.get(s, 0) for s in funnel.STEPS}, revenue.get(key, 0))
