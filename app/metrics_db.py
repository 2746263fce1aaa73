"""Metrics read at scrape time: the database's bookings, deposits and messages, and the job
queue's depth (custom collectors, https://prometheus.github.io/client_python/collector/custom/).

Three grouped queries per scrape: appointments and deposits by status, and the reminder and
waitlist messages by status through ``ix_messages_kind_status`` (migration ``0011_ops``), so
the scrape never reads every message; SMS sends by status are counted where they happen
(:mod:`app.metrics`). ``bench/metrics.py`` times a scrape over 50,000 messages.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.db import Database
from app.jobs import JobQueue, RQQueue
from booking.models import PENDING_STATUSES, Appointment, AppointmentStatus, Deposit
from messaging.models import Message

log = structlog.get_logger(__name__)

#: Appointment statuses of a booking that was made (kept, attended or missed).
BOOKED_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
#: Outbound message kinds counted as reminders and as waitlist offers (read through the
#: ``ix_messages_kind_status`` index: the scrape never reads every message).
REMINDER_KIND = "reminder"
WAITLIST_KIND = "waitlist"
COUNTED_KINDS = (REMINDER_KIND, WAITLIST_KIND)
#: Outbound statuses that mean the text did not leave (not counted as sent).
NOT_SENT = frozenset({"failed", "blocked", "queued"})


def gauge(name: str, doc: str, labels: list[str], rows: Any) -> Iterator[Metric]:
    """One gauge family from ``rows`` of (label values..., value).

    Args:
        name: the metric name.
        doc: its help text.
        labels: label names, in the order of each row's leading values.
        rows: iterable of tuples; the last item is the value.

    Yields:
        The :class:`GaugeMetricFamily`.
    """
    family = GaugeMetricFamily(name, doc, labels=labels)
    for row in rows:
        *keys, value = row
        family.add_metric([str(getattr(k, "value", k)) for k in keys], float(value or 0))
    yield family


class DatabaseCollector(Collector):
    """Bookings, deposits and messages counted in the database at each scrape."""

    def __init__(self, db: Database) -> None:
        """Args: db: the app's database."""
        self.db = db

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges (see the module docstring); queries run in one connection."""
        with self.db.engine.connect() as conn:
            appts = list(
                conn.execute(
                    select(Appointment.status, func.count()).group_by(Appointment.status)
                ).all()
            )
            deposits = list(
                conn.execute(
                    select(Deposit.status, func.count(), func.sum(Deposit.amount_cents)).group_by(
                        Deposit.status
                    )
                ).all()
            )
            kinds = list(
                conn.execute(
                    select(Message.kind, Message.status, func.count())
                    .where(Message.kind.in_(COUNTED_KINDS))
                    .group_by(Message.kind, Message.status)
                ).all()
            )
        yield from _booking_metrics(appts, deposits)
        yield from _message_metrics(kinds)


def _booking_metrics(appts: list[Any], deposits: list[Any]) -> Iterator[Metric]:
    """Holds, bookings, appointments by status, deposits by status and their cents."""
    by_status = {getattr(s, "value", s): n for s, n in appts}
    yield from gauge(
        "frontdesk_holds_active",
        "Appointments held and waiting for their deposit.",
        [],
        [(sum(by_status.get(s.value, 0) for s in PENDING_STATUSES),)],
    )
    yield from gauge(
        "frontdesk_bookings",
        "Appointments booked (booked, completed or no-show).",
        [],
        [(sum(by_status.get(s.value, 0) for s in BOOKED_STATUSES),)],
    )
    yield from gauge("frontdesk_appointments", "Appointments by status.", ["status"], appts)
    yield from gauge(
        "frontdesk_deposits", "Deposits by status.", ["status"], [(s, n) for s, n, _ in deposits]
    )
    yield from gauge(
        "frontdesk_deposit_cents",
        "Deposit amounts by status, in cents (status paid: deposit revenue).",
        ["status"],
        [(s, cents) for s, _, cents in deposits],
    )


def _message_metrics(rows: list[Any]) -> Iterator[Metric]:
    """Reminders and waitlist offers texted (rows of kind, status, count)."""
    sent: Tally[str] = Tally()
    for kind, status, n in rows:
        if getattr(status, "value", status) not in NOT_SENT:
            sent[kind] += n
    yield from gauge(
        "frontdesk_reminders_sent", "Appointment reminders texted.", [], [(sent[REMINDER_KIND],)]
    )
    yield from gauge(
        "frontdesk_waitlist_fills",
        "Waitlist offers texted (a freed slot offered to a waiting patient).",
        [],
        [(sent[WAITLIST_KIND],)],
    )


class QueueCollector(Collector):
    """The RQ queue's depth: jobs waiting, delayed (burst window), scheduled retries, failed."""

    def __init__(self, jobs: JobQueue) -> None:
        """Args: jobs: the app's job queue (an inline queue yields nothing)."""
        self.jobs = jobs

    def collect(self) -> Iterator[Metric]:
        """Yield ``frontdesk_queue_jobs{state}`` and ``frontdesk_queue_up``."""
        if not isinstance(self.jobs, RQQueue):
            return
        try:
            queue = self.jobs.queue
            rows = [
                ("queued", queue.count),
                ("delayed", self.jobs.redis.zcard(self.jobs.due_key)),
                ("scheduled", queue.scheduled_job_registry.count),
                ("started", queue.started_job_registry.count),
                ("failed", queue.failed_job_registry.count),
            ]
        except RedisError as exc:
            log.warning("metrics_queue_unreachable", error=type(exc).__name__)
            yield from gauge("frontdesk_queue_up", "1 when Redis answered.", [], [(0,)])
            return
        yield from gauge("frontdesk_queue_up", "1 when Redis answered.", [], [(1,)])
        yield from gauge("frontdesk_queue_jobs", "RQ jobs by state.", ["state"], rows)
