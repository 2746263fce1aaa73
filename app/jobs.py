"""One job queue interface, run inline (embedded default) or on RQ (``REDIS_URL`` set).

A job is a module-level function whose first parameter is the
:class:`~app.context.AppContext`; callers enqueue the function itself
(``ctx.jobs.enqueue(take_turn, conversation_id)``) with JSON-able arguments, so "go to
definition" works from every call site and both modes run the same call. The inline queue
runs a job at once, and a job enqueued while another runs waits until that one returns (no
re-entrancy), which keeps the embedded default's ordering the same as a single RQ worker's.

This module imports nothing of ours: it never needs to know which jobs exist.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

#: A job: ``func(ctx, *args)``, defined at module level so RQ can import it by reference.
Job = Callable[..., Any]

#: RQ retries a failed job after 1, 5 and 15 seconds
#: (https://python-rq.org/docs/exceptions/#retrying-failed-jobs).
RETRY_INTERVALS = [1, 5, 15]

_worker_context: Any = None


class JobQueue(Protocol):
    """Where work goes.

    ``delays`` says whether :meth:`enqueue_in` really waits (RQ's scheduler) or runs at once
    (inline), which decides whether burst coalescing waits for a window to close.
    """

    delays: bool
    #: Whether a job that raises is run again by the queue (RQ) or only by the sweeper.
    retries: bool

    def enqueue(self, func: Job, *args: Any) -> None:
        """Queue ``func(ctx, *args)``; ``args`` must be JSON-able."""
        ...

    def enqueue_in(self, seconds: float, func: Job, *args: Any) -> None:
        """Queue ``func(ctx, *args)`` to run ``seconds`` from now."""
        ...


def run_job(ctx: Any, func: Job, *args: Any) -> Any:
    """Run ``func(ctx, *args)``, logging (by the function's name only, never its arguments,
    which may identify a patient) and re-raising its error."""
    if ctx is None:
        raise RuntimeError("no context to run jobs against: build_context() sets one")
    try:
        return func(ctx, *args)
    except Exception:
        log.exception("job_failed", job=func.__name__)
        raise


class InlineQueue:
    """Runs jobs in this process, in enqueue order, one at a time per thread.

    A job's own errors are logged and, unless ``raise_errors``, swallowed as a worker would:
    the row it works on keeps the state that lets the sweeper retry it.
    """

    #: Jobs run at once: burst coalescing happens only through what is already stored.
    delays = False
    retries = False

    def __init__(self, *, raise_errors: bool = False) -> None:
        self._local = threading.local()
        self.raise_errors = raise_errors
        self.ctx: Any = None  # the AppContext jobs run against; set by build_context

    def enqueue(self, func: Job, *args: Any) -> None:
        """Run ``func(ctx, *args)`` now, or after the job currently running in this thread."""
        pending: deque[tuple[Job, tuple[Any, ...]]] | None = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append((func, args))
            return
        pending = deque([(func, args)])
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

    def enqueue_in(self, seconds: float, func: Job, *args: Any) -> None:
        """Inline mode has no scheduler: run at once (same as :meth:`enqueue`)."""
        self.enqueue(func, *args)


class RQQueue:
    """Enqueues on an RQ queue; ``frontdesk worker`` runs the jobs.

    RQ stores the job function by its import path (https://python-rq.org/docs/jobs/); we
    enqueue :func:`rq_entry` with the real job function as its first argument, so the worker
    runs it against the context it built at start-up (:func:`set_worker_context`). Failed jobs
    are retried by RQ (:data:`RETRY_INTERVALS`); delayed jobs
    (https://python-rq.org/docs/scheduling/) need a worker started with
    ``with_scheduler=True``, which ``frontdesk worker`` is. Whatever RQ drops, the sweeper
    finds again from the database rows.
    """

    delays = True
    retries = True

    def __init__(self, redis: Any, queue_name: str = "frontdesk") -> None:
        from rq import Queue

        self.redis = redis
        self.queue = Queue(queue_name, connection=redis)

    @classmethod
    def from_url(cls, redis_url: str, queue_name: str = "frontdesk") -> RQQueue:
        """A queue on the Redis at ``redis_url`` (``redis://host:port/db``)."""
        from redis import Redis

        return cls(Redis.from_url(redis_url), queue_name)

    def enqueue(self, func: Job, *args: Any) -> None:
        """Push ``func(ctx, *args)`` onto Redis (retried by RQ on failure)."""
        from rq import Retry

        self.queue.enqueue(rq_entry, func, *args, retry=Retry(max=3, interval=RETRY_INTERVALS))

    def enqueue_in(self, seconds: float, func: Job, *args: Any) -> None:
        """Schedule ``func(ctx, *args)`` to run ``seconds`` from now (RQ's scheduler)."""
        from rq import Retry

        self.queue.enqueue_in(
            dt.timedelta(seconds=seconds),
            rq_entry,
            func,
            *args,
            retry=Retry(max=3, interval=RETRY_INTERVALS),
        )


def set_worker_context(ctx: Any) -> None:
    """Install the context RQ jobs run against (called by ``frontdesk worker`` start-up)."""
    global _worker_context
    _worker_context = ctx


def rq_entry(func: Job, *args: Any) -> Any:
    """RQ's entry point: run ``func`` against the worker's context."""
    return run_job(_worker_context, func, *args)
