"""``frontdesk worker`` with fault injection, for the kill run of ``bench/webhooks.py``.

Run as ``python -m bench.fault_worker MODULE:FUNC worker`` (the ``frontdesk`` console script's
entry, as pyproject.toml declares it). Before it starts the normal worker it wraps three steps
of a turn (:mod:`app.flows.turn`, whose ``take_turn`` looks them up as module attributes at
call time) and, right after a wrapped step returns, SIGKILLs its own process group with
probability ``BENCH_KILL_P`` (like ``kill -9`` of the worker: the RQ worker, its scheduler
child and every thread die at once):

- ``after_prepare``: ``_prepare`` committed: the turn has read its texts, nothing answered;
- ``after_answer``: the agent answered, nothing saved;
- ``after_save``: the texts are processed and the reply rows committed, nothing sent.

Each self-kill first appends ``epoch pid point conversation_id holder`` to ``BENCH_KILL_LOG``
(``holder`` 1 when this worker's scheduler held RQ's scheduler lock). No kill happens once the
file ``BENCH_KILL_STOP`` exists. Fault injection lives here only, never in the product.

Besides, for every worker of the run (killing or not), through Redis (``REDIS_URL``):

- ``bench:turn`` (hash pid -> ``stage conversation_id``): the turn step this worker is in or
  last left, so the bench can tell which conversation an outside ``kill -9`` interrupted;
- ``bench:ready`` (hash pid -> epoch s): when the worker had built its context (about to
  take jobs), so outside kills can pick working workers;
- ``bench:carrier`` (hash idempotency key -> calls): carrier calls per outbound row (the
  recording gateway), to see a row sent twice;
- :func:`probe` is a job the bench schedules (due set and RQ's scheduler) to time the
  schedule; it stores ``enqueued_at ran_at`` (epoch seconds) in ``bench:probe``.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
import random
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis import Redis

# --- What this reaches inside frontdesk and RQ: update here when it moves. ---
TURN_MODULE = "app.flows.turn"  # _prepare(ctx, cid, now), answer(deps, ...), _save(ctx, turn, ...)
JOBS_MODULE = "app.jobs"  # run_job(ctx, func, *args) per job; set_worker_context(ctx) at start
GATEWAY = ("messaging.recording", "RecordingGateway")  # send(message) with .idempotency_key
#: RQ 3.0's scheduler lock (value: the scheduler's name) and its metadata hash (``pid``).
SCHEDULER_LOCK = "rq:scheduler-lock:{queue}"
SCHEDULER_HASH = "rq:scheduler:{name}"
QUEUE_NAME = "frontdesk"  # app.jobs.RQQueue's default queue
# ------------------------------------------------------------------------------
TURN_KEY = "bench:turn"
CARRIER_KEY = "bench:carrier"
PROBE_KEY = "bench:probe"
READY_KEY = "bench:ready"


def scheduler_holder(redis: Redis) -> int | None:
    """The process group (the worker's pid, as the bench starts workers) whose RQ scheduler
    holds the scheduler lock of :data:`QUEUE_NAME`; None when nobody or a dead process does.
    ``redis`` must decode responses (``decode_responses=True``)."""
    name = redis.get(SCHEDULER_LOCK.format(queue=QUEUE_NAME))
    if name is None:
        return None
    pid = redis.hget(SCHEDULER_HASH.format(name=str(name)), "pid")
    try:
        return os.getpgid(int(pid)) if pid else None
    except (ProcessLookupError, ValueError):
        return None


def probe(ctx: Any, token: str) -> None:
    """Job: record when RQ enqueued this job and when it ran, as ``bench:probe[token]``."""
    from rq import get_current_job

    job = get_current_job()
    at = job.enqueued_at if job is not None else None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    enqueued = at.timestamp() if at is not None else float("nan")
    ctx.redis.hset(PROBE_KEY, token, f"{enqueued} {time.time()}")


class Injector:
    """Kills this worker's process group at random after a wrapped step (see module doc)."""

    def __init__(self, redis: Redis, kill_p: float, log: Path | None, stop: Path | None) -> None:
        self.redis = redis
        self.kill_p = kill_p
        self.log = log
        self.stop = stop
        self.pid = os.getpid()
        self.rng = random.Random()

    def at(self, stage: str, conversation_id: int | None) -> None:
        """Note ``stage`` of ``conversation_id`` in ``bench:turn``; maybe die right here
        (never at ``idle``: ``_prepare`` found nothing to answer, or the burst window is open
        and the turn waits in the due set)."""
        self.redis.hset(TURN_KEY, str(self.pid), f"{stage} {conversation_id}")
        if stage == "idle" or self.kill_p <= 0 or self.rng.random() >= self.kill_p:
            return
        if self.log is None or (self.stop is not None and self.stop.exists()):
            return
        holder = int(scheduler_holder(self.redis) == os.getpgid(0))
        with self.log.open("a") as out:
            out.write(f"{time.time():.6f} {self.pid} {stage} {conversation_id} {holder}\n")
        os.killpg(os.getpgid(0), signal.SIGKILL)

    def wrap(self, module: Any, name: str, stage: str, cid: Callable[..., int | None]) -> None:
        """Replace ``module.name`` by a wrapper calling :meth:`at` after it returns."""
        inner = getattr(module, name)

        @functools.wraps(inner)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = inner(*args, **kwargs)
            nothing_to_answer = name == "_prepare" and result is None
            self.at("idle" if nothing_to_answer else stage, cid(*args))
            return result

        setattr(module, name, wrapper)


def install(injector: Injector) -> None:
    """Wrap the turn's steps, the job runner, the worker's start-up and the recording gateway
    (module doc)."""
    turn = importlib.import_module(TURN_MODULE)
    injector.wrap(turn, "_prepare", "after_prepare", lambda ctx, cid, *_: cid)
    injector.wrap(turn, "answer", "after_answer", lambda deps, *_: deps.conversation_id)
    injector.wrap(turn, "_save", "after_save", lambda ctx, t, *_: t.conversation_id)

    jobs = importlib.import_module(JOBS_MODULE)
    run_job = jobs.run_job

    def run_job_noted(ctx: Any, func: Callable[..., Any], *args: Any) -> Any:
        if func.__name__ == "take_turn":
            injector.redis.hset(TURN_KEY, str(injector.pid), f"in_turn {args[0]}")
        try:
            return run_job(ctx, func, *args)
        finally:
            if func.__name__ != "take_turn":  # a turn's reply is sent by the job after it
                injector.redis.hdel(TURN_KEY, str(injector.pid))

    setattr(jobs, "run_job", run_job_noted)  # noqa: B010 - a module attribute, on purpose
    set_context = jobs.set_worker_context

    def set_context_noted(ctx: Any) -> None:
        set_context(ctx)
        injector.redis.hset(READY_KEY, str(injector.pid), f"{time.time():.6f}")

    setattr(jobs, "set_worker_context", set_context_noted)  # noqa: B010 - as above

    gateway = getattr(importlib.import_module(GATEWAY[0]), GATEWAY[1])
    send = gateway.send

    def send_counted(self: Any, message: Any) -> Any:
        result = send(self, message)
        injector.redis.hincrby(CARRIER_KEY, message.idempotency_key, 1)
        return result

    gateway.send = send_counted


def main(argv: list[str]) -> int:
    """``argv``: the console script's ``module:function``, then its arguments (``worker``)."""
    module, _, func = argv[0].partition(":")
    env = os.environ
    log, stop = env.get("BENCH_KILL_LOG"), env.get("BENCH_KILL_STOP")
    injector = Injector(
        Redis.from_url(env["REDIS_URL"], decode_responses=True),
        float(env.get("BENCH_KILL_P", "0")),
        Path(log) if log else None,
        Path(stop) if stop else None,
    )
    install(injector)
    entry: Callable[[list[str]], int] = getattr(importlib.import_module(module), func)
    return entry(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
