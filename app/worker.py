"""``frontdesk worker``: an RQ worker plus the periodic sweeper (hold expiry, retries).

Uses RQ's ``SimpleWorker`` (no fork per job) so the database pool built at start-up is
reused safely (https://python-rq.org/docs/workers/).
"""

from __future__ import annotations

import threading

import structlog

from app.cli import UserError

log = structlog.get_logger(__name__)

#: Seconds between sweeps; each enqueues one ``run_due`` job under a Redis lock.
SWEEP_SECONDS = 30


def _sweeper(ctx, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    redis = ctx.jobs.redis
    while not stop.wait(SWEEP_SECONDS):
        if redis.set("frontdesk:sweeper", "1", nx=True, ex=SWEEP_SECONDS - 1):
            ctx.jobs.enqueue("run_due")


def run_worker() -> int:
    """Run until interrupted. Raises :class:`UserError` without ``REDIS_URL``."""
    from rq import SimpleWorker

    from app.context import build_context
    from app.jobs import RQQueue
    from app.logging import configure_logging
    from app.settings import load_settings
    from app.tasks import set_worker_context

    settings = load_settings()
    if not settings.redis_url:
        raise UserError("the worker needs REDIS_URL (without it jobs run inline in the web app)")
    configure_logging(settings.log_level)
    ctx = build_context(settings)
    set_worker_context(ctx)
    stop = threading.Event()
    threading.Thread(target=_sweeper, args=(ctx, stop), daemon=True).start()
    jobs = ctx.jobs
    assert isinstance(jobs, RQQueue)
    worker = SimpleWorker([jobs.queue], connection=jobs.redis)
    try:
        worker.work(with_scheduler=False)
    finally:
        stop.set()
    return 0
