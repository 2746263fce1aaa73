"""``frontdesk worker``: an RQ worker plus the periodic sweeper (hold expiry, retries).

Uses RQ's ``SimpleWorker`` (no fork per job) so the database pool built at start-up is
reused safely (https://python-rq.org/docs/workers/), and no RQ scheduler process: a thread of
every worker moves both frontdesk's delayed jobs (burst-coalesced turns,
:meth:`app.jobs.RQQueue.release_due`, within :data:`app.jobs.DUE_POLL_SECONDS`) and RQ's
retries (:meth:`app.jobs.RQQueue.release_scheduled`) onto the queue. A thread dies with its
worker; RQ's scheduler child survived a SIGKILLed worker holding the scheduler lock, and
retries stalled until RQ's maintenance freed it. Any live worker takes the schedule at its
next poll. A third thread writes the worker's heartbeat (:mod:`app.heartbeat`) for ``/readyz``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import structlog

from app.errors import UserError
from app.flows.sweeper import run_due
from app.heartbeat import start_beating
from app.jobs import DUE_POLL_SECONDS, RQQueue

if TYPE_CHECKING:
    from app.context import AppContext

log = structlog.get_logger(__name__)

#: Seconds between sweeps; each enqueues one ``run_due`` job under a Redis lock.
SWEEP_SECONDS = 30


def _sweeper(ctx: AppContext, stop: threading.Event) -> None:
    """Every ``SWEEP_SECONDS``, enqueue one ``run_due`` for all workers (Redis ``SET NX``).

    The first sweep is a second after start, not a full interval: a worker started to replace
    a killed one picks up the texts the dead one left at once (the ``SET NX`` keeps it to one
    sweep per interval however many workers restart)."""
    redis = ctx.redis
    wait = 1.0
    while not stop.wait(wait):
        wait = SWEEP_SECONDS
        if redis.set("frontdesk:sweeper", "1", nx=True, ex=SWEEP_SECONDS - 1):
            ctx.jobs.enqueue(run_due)


def _release_due(jobs: RQQueue, stop: threading.Event) -> None:
    """Every ``DUE_POLL_SECONDS``, move the delayed jobs and RQ retries now due onto the RQ
    queue."""
    while not stop.wait(DUE_POLL_SECONDS):
        try:
            jobs.release_due()
            jobs.release_scheduled()
        except Exception:  # noqa: BLE001 - Redis away for a moment: the next poll retries
            log.exception("release_due_failed")
            stop.wait(1.0)


def run_worker() -> int:
    """Run until interrupted. Raises :class:`UserError` without ``REDIS_URL``."""
    from rq import SimpleWorker

    from app.jobs import set_worker_context
    from app.logging import configure_logging
    from app.settings import load_settings
    from app.wiring import build_context

    settings = load_settings()
    if not settings.redis_url:
        raise UserError("the worker needs REDIS_URL (without it jobs run inline in the web app)")
    configure_logging(settings.log_level, settings.log_format)
    ctx = build_context(settings)
    set_worker_context(ctx)
    from agent.guardrails.triage import warm

    warm()  # the safety triage's word list, before the first text arrives
    jobs = ctx.jobs
    if not isinstance(jobs, RQQueue):
        raise UserError("the worker runs RQ jobs; this context has an inline queue")
    stop = threading.Event()
    start_beating(jobs.redis, lambda: ctx.clock.now().timestamp(), stop)
    threading.Thread(target=_sweeper, args=(ctx, stop), daemon=True).start()
    threading.Thread(target=_release_due, args=(jobs, stop), daemon=True).start()
    worker = SimpleWorker([jobs.queue], connection=jobs.redis)
    try:
        worker.work(with_scheduler=False)
    finally:
        stop.set()
    return 0
