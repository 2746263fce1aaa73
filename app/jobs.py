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
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

#: A job: ``func(ctx, *args)``, defined at module level so RQ can import it by reference.
Job = Callable[..., Any]

#: RQ retries a failed job after 1, 5 and 15 seconds
#: (https://python-rq.org/docs/exceptions/#retrying-failed-jobs).
RETRY_INTERVALS = [1, 5, 15]

#: Seconds between two looks at the due set (:meth:`RQQueue.release_due`) by each worker.
DUE_POLL_SECONDS = 0.05

_worker_context: Any = None
#: Jobs to run in this process once the RQ job now running returns (set by :func:`rq_entry`).
_after_job: ContextVar[list[tuple[RQQueue, Job, tuple[Any, ...]]] | None]
_after_job = ContextVar("frontdesk_after_job", default=None)


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

    def enqueue_after_job(self, func: Job, *args: Any) -> None:
        """Run ``func(ctx, *args)`` in this process right after the job now running returns
        (a reply is sent by the worker that wrote it); outside a job, :meth:`enqueue`."""
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

    def enqueue_after_job(self, func: Job, *args: Any) -> None:
        """Same as :meth:`enqueue`, which already waits for the job running in this thread."""
        self.enqueue(func, *args)


#: Atomically take up to ARGV[2] members of the due set whose time (score) is <= ARGV[1].
_POP_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""


class RQQueue:
    """Enqueues on an RQ queue; ``frontdesk worker`` runs the jobs.

    RQ stores the job function by its import path (https://python-rq.org/docs/jobs/); we
    enqueue :func:`rq_entry` with the real job function as its first argument, so the worker
    runs it against the context it built at start-up (:func:`set_worker_context`). Failed jobs
    are retried by RQ (:data:`RETRY_INTERVALS`: RQ parks them in its scheduled registry and
    every worker moves them back when due, :meth:`release_scheduled`). Whatever RQ drops, the
    sweeper finds again from the database rows.

    Delayed jobs (:meth:`enqueue_in`, the burst window) do not use RQ's scheduler
    (https://python-rq.org/docs/scheduling/): it keeps due times in whole seconds and polls
    once a second (RQ 3.0 ``RQScheduler(interval=1)``, not configurable from ``Worker.work``),
    so a job ran up to a second early or late. They wait in a Redis sorted set scored by their
    due time in fractional seconds, one member per distinct (function, arguments), which every
    worker drains every :data:`DUE_POLL_SECONDS` (:meth:`release_due`) onto the RQ queue.
    """

    delays = True
    retries = True

    def __init__(self, redis: Any, queue_name: str = "frontdesk") -> None:
        from rq import Queue

        self.redis = redis
        self.queue = Queue(queue_name, connection=redis)
        self.due_key = f"frontdesk:due:{queue_name}"
        self._pop_due = redis.register_script(_POP_DUE)

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
        """Queue ``func(ctx, *args)`` for ``seconds`` from now (one Redis ``ZADD``).

        The same function with the same arguments waits once: a later call moves its time
        later (``ZADD GT``), never earlier, so the texts of a burst make one turn.
        """
        member = json.dumps([f"{func.__module__}.{func.__qualname__}", list(args)])
        self.redis.zadd(self.due_key, {member: time.time() + seconds}, gt=True)

    def release_due(self, now: float | None = None, limit: int = 100) -> int:
        """Move the delayed jobs due by ``now`` (epoch seconds) onto the RQ queue.

        A member is taken atomically by one worker (Lua ``ZRANGEBYSCORE`` + ``ZREM``); if the
        process dies before it is enqueued, the sweeper finds its rows again. Returns how many.
        """
        due = self._pop_due(keys=[self.due_key], args=[time.time() if now is None else now, limit])
        for raw in due:
            self._release(raw)
        return len(due)

    def release_scheduled(self, now: float | None = None, limit: int = 100) -> int:
        """Move RQ's scheduled jobs now due (its retries, :meth:`retry_later`) onto the queue.

        This is the work RQ's scheduler process does (``RQScheduler.enqueue_scheduled_jobs``,
        https://python-rq.org/docs/scheduling/), done instead by a thread of every worker: a
        thread dies with its worker, while RQ's scheduler child outlived a SIGKILLed worker and
        kept the scheduler lock, so retries stalled until RQ's maintenance freed it (issue 11).
        Ids are taken from RQ's ``ScheduledJobRegistry`` sorted set atomically (the same Lua
        pop as :meth:`release_due`), so two workers never enqueue one job twice. Returns how
        many were enqueued.
        """
        from rq.exceptions import NoSuchJobError
        from rq.job import Job
        from rq.registry import ScheduledJobRegistry

        registry = ScheduledJobRegistry(queue=self.queue)
        due = self._pop_due(keys=[registry.key], args=[time.time() if now is None else now, limit])
        enqueued = 0
        for raw in due:
            job_id = raw.decode() if isinstance(raw, bytes) else str(raw)
            try:
                job = Job.fetch(job_id, connection=self.redis)
            except NoSuchJobError:  # expired meanwhile: the sweeper finds its rows again
                continue
            self.queue.enqueue_job(job)
            enqueued += 1
        return enqueued

    def _release(self, raw: bytes | str) -> None:
        """Enqueue one due entry on its own: an entry that cannot be read (a job renamed since
        it was queued) is logged and dropped, one that fails to enqueue (Redis hiccup) is put
        back; neither stops the others. The sweeper finds their texts again either way."""
        from rq.utils import import_attribute

        try:
            path, args = json.loads(raw)
            func = import_attribute(path)
        except Exception:  # noqa: BLE001 - unreadable entry: nothing can ever run it
            log.error("due_job_unreadable")
            return
        try:
            self.enqueue(func, *args)
        except Exception:  # noqa: BLE001 - try again at the next poll
            log.warning("due_job_requeued", job=getattr(func, "__name__", "?"))
            self.redis.zadd(self.due_key, {raw: time.time() + 1}, nx=True)

    def enqueue_after_job(self, func: Job, *args: Any) -> None:
        """Inside an RQ job run by this process, run ``func`` right after it (no second RQ
        job); elsewhere (the web app) :meth:`enqueue`. See :func:`rq_entry`."""
        pending = _after_job.get()
        if pending is None:
            self.enqueue(func, *args)
        else:
            pending.append((self, func, args))

    def retry_later(self, func: Job, *args: Any) -> None:
        """Queue ``func`` after RQ's first retry interval, with the remaining retries, as RQ
        would have retried it had it run as its own job."""
        from rq import Retry

        self.queue.enqueue_in(
            dt.timedelta(seconds=RETRY_INTERVALS[0]),
            rq_entry,
            func,
            *args,
            retry=Retry(max=len(RETRY_INTERVALS) - 1, interval=RETRY_INTERVALS[1:]),
        )


def set_worker_context(ctx: Any) -> None:
    """Install the context RQ jobs run against (called by ``frontdesk worker`` start-up)."""
    global _worker_context
    _worker_context = ctx


def rq_entry(func: Job, *args: Any) -> Any:
    """RQ's entry point: run ``func`` against the worker's context, then the jobs it handed to
    :meth:`RQQueue.enqueue_after_job` (e.g. the reply rows its transaction committed), each
    queued on RQ with retries instead if it fails here."""
    pending: list[tuple[RQQueue, Job, tuple[Any, ...]]] = []
    token = _after_job.set(pending)
    try:
        return run_job(_worker_context, func, *args)
    finally:
        _after_job.reset(token)
        for queue, after, after_args in pending:
            try:
                run_job(_worker_context, after, *after_args)
            except Exception:  # noqa: BLE001 - logged by run_job; RQ retries it
                queue.retry_later(after, *after_args)
