"""One set of job functions, run inline (embedded default) or on RQ (``REDIS_URL`` set).

Jobs are named functions in :mod:`app.tasks`; callers enqueue by name with JSON-able
arguments so the same call works in both modes. The inline queue runs a job at once, and a
job enqueued while another runs waits until that one returns (no re-entrancy), which keeps
the embedded default's ordering the same as a single RQ worker's.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

#: Every job that may be enqueued; the name resolves to ``app.tasks.<name>``.
JOB_NAMES = frozenset({"handle_conversation", "send_message", "send_staff_email", "run_due"})


class JobQueue(Protocol):
    """Where work goes. ``enqueue`` never raises for a known job name.

    Queues that can run a job later set ``delays = True`` and offer
    ``enqueue_in(seconds, name, *args)``; the inline queue runs everything at once.
    """

    def enqueue(self, name: str, *args: Any) -> None:
        """Queue job ``name`` (one of :data:`JOB_NAMES`) with positional JSON-able ``args``."""
        ...


class InlineQueue:
    """Runs jobs in this process, in enqueue order, one at a time per thread.

    A job's own errors are logged and, unless ``raise_errors``, swallowed as a worker would:
    the row it works on keeps the state that lets the sweeper retry it.
    """

    #: Jobs run at once: burst coalescing happens only through what is already stored.
    delays = False

    def __init__(self, *, raise_errors: bool = False) -> None:
        self._local = threading.local()
        self.raise_errors = raise_errors
        self.ctx: Any = None  # the AppContext jobs run against; set by build_context

    def enqueue(self, name: str, *args: Any) -> None:
        """Run ``name(*args)`` now, or after the job currently running in this thread."""
        if name not in JOB_NAMES:
            raise ValueError(f"unknown job {name!r}")
        pending: deque[tuple[str, tuple[Any, ...]]] | None = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append((name, args))
            return
        pending = deque([(name, args)])
        self._local.pending = pending
        try:
            while pending:
                job, job_args = pending.popleft()
                try:
                    run_job(self.ctx, job, *job_args)
                except Exception:
                    if self.raise_errors:
                        raise
        finally:
            self._local.pending = None

    def enqueue_in(self, seconds: float, name: str, *args: Any) -> None:
        """Inline mode has no scheduler: run at once (same as :meth:`enqueue`)."""
        self.enqueue(name, *args)


class RQQueue:
    """Enqueues on RQ's default queue; ``frontdesk worker`` runs the jobs.

    https://python-rq.org/docs/ — jobs reference ``app.tasks.rq_entry`` by import path, so the
    worker needs only this package installed. Failed jobs are retried by RQ after 1, 5 and 15
    seconds (``Retry``; https://python-rq.org/docs/exceptions/#retrying-failed-jobs), and
    delayed jobs (``enqueue_in``, https://python-rq.org/docs/scheduling/) need a worker started
    with ``with_scheduler=True``, which ``frontdesk worker`` is. Whatever RQ drops, the sweeper
    (``run_due``) finds again from the database rows.
    """

    delays = True

    def __init__(self, redis_url: str, queue_name: str = "frontdesk") -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(queue_name, connection=self.redis)

    def enqueue(self, name: str, *args: Any) -> None:
        """Push ``name(*args)`` onto Redis (retried by RQ up to 3 times on failure)."""
        from rq import Retry

        if name not in JOB_NAMES:
            raise ValueError(f"unknown job {name!r}")
        self.queue.enqueue(
            "app.tasks.rq_entry", name, *args, retry=Retry(max=3, interval=[1, 5, 15])
        )

    def enqueue_in(self, seconds: float, name: str, *args: Any) -> None:
        """Schedule ``name(*args)`` to run ``seconds`` from now (RQ's scheduler)."""
        import datetime as dt

        from rq import Retry

        if name not in JOB_NAMES:
            raise ValueError(f"unknown job {name!r}")
        self.queue.enqueue_in(
            dt.timedelta(seconds=seconds),
            "app.tasks.rq_entry",
            name,
            *args,
            retry=Retry(max=3, interval=[1, 5, 15]),
        )


def run_job(ctx: Any, name: str, *args: Any) -> None:
    """Run job ``name`` (a function of :mod:`app.tasks` taking the context first)."""
    from app import tasks

    if ctx is None:
        raise RuntimeError("the inline queue has no context; use build_context()")
    func = getattr(tasks, name)
    try:
        func(ctx, *args)
    except Exception:
        log.exception("job_failed", job=name)
        raise
