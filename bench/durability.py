"""The kill run of ``bench/webhooks.py``: nothing lost, nothing answered twice, while workers die.

``--durability`` signed webhooks (about 10% redelivered duplicates, distinct patients) are
fired at ``--durability-rate`` while ``--workers`` workers run ``bench/fault_worker.py``
(``frontdesk worker`` with fault injection). Workers die two ways until ``--kills`` kills:

- by themselves, with probability ``--kill-p`` right after each of three steps of a turn
  (``after_prepare``: texts read, nothing answered; ``after_answer``: answered, nothing saved;
  ``after_save``: reply rows committed, nothing sent), SIGKILL to their whole process group;
- from outside, ``kill -9`` of the process group of a random worker at random moments (mean
  ``--kill-every`` s apart), wherever it is.

A supervisor thread polls every 100 ms and restarts a dead worker at once. At ``--kills`` kills
(or half of ``--deadline``) it stops injecting (a stop file the workers check; new workers get
``BENCH_KILL_P=0``), and the run waits, within ``--deadline``, until every stored text is
answered. It prints stored / answered / answered twice / lost, how long each killed turn took
to be answered after its kill, and how long the schedule took to be served again after a kill:

- the due set (burst-window turns, drained by every worker): a probe job due every 0.5 s;
- RQ's scheduler (retries), run by the one worker whose scheduler holds RQ's lock: a probe
  scheduled every 0.5 s, and, for each kill of that worker, the time until a live worker's
  scheduler holds the lock again (read every 100 ms).

Lost = acknowledged webhooks not stored + stored texts never answered; answered twice = a
conversation with two reply turns (each conversation here has one text). Printed apart, and not
failing the run: reply rows given to the carrier twice (``bench:carrier``), which a kill between
the carrier's answer and the commit of ``sent`` causes (the sweeper sends the row again with the
same idempotency key).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from sqlalchemy import Engine, text

from app.jobs import RQQueue, rq_entry
from bench.fault_worker import (
    CARRIER_KEY,
    PROBE_KEY,
    READY_KEY,
    TURN_KEY,
    probe,
    scheduler_holder,
)
from bench.webhook_stack import ROOT, Firer, Stack, message_body, pct, wait_answered

POLL = 0.1  # seconds between two looks of the supervisor
PROBE_EVERY = 0.5  # seconds between two probe jobs of each kind
KILL_LOG = ROOT / "instance" / "bench-kills.log"
KILL_STOP = ROOT / "instance" / "bench-kills.stop"


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: when (epoch s), which worker, where, and whether it ran RQ's scheduler."""

    at: float
    pid: int
    how: str  # the step it followed (self-kill) or "outside"
    stage: str  # where the worker's turn was (``bench:turn``), "-" when not in one
    conversation_id: int | None
    holder: bool


@dataclass
class Supervisor:
    """Restarts dead workers, kills from outside, probes the schedule (one thread, 100 ms)."""

    args: argparse.Namespace
    stack: Stack
    redis: Redis
    jobs: RQQueue
    injecting: bool = True
    outside: list[Kill] = field(default_factory=list)
    deaths: int = 0
    #: (epoch s, pid) whenever the live worker running RQ's scheduler changes (pid 0: none).
    holders: list[tuple[float, int]] = field(default_factory=list)
    probes: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: pid -> epoch s its process was started (``bench:ready`` says when it could take jobs).
    started: dict[int, float] = field(default_factory=dict)
    halt: threading.Event = field(default_factory=threading.Event)
    rng: random.Random = field(default_factory=random.Random)

    def fault_env(self) -> dict[str, str]:
        """The environment of a new worker: killing while the run injects, else not."""
        return {
            "BENCH_KILL_P": str(self.args.kill_p if self.injecting else 0.0),
            "BENCH_KILL_LOG": str(KILL_LOG),
            "BENCH_KILL_STOP": str(KILL_STOP),
        }

    def start_workers(self) -> None:
        """Replace the stack's workers by ``--workers`` fault-injecting ones."""
        self.stack.stop_workers()
        self.stack.workers = [self._start() for _ in range(self.args.workers)]

    def _start(self) -> Any:
        proc = self.stack.start_worker(self.fault_env())
        self.started[proc.pid] = time.time()
        return proc

    def run(self, inject_until: float) -> None:
        """Loop until :attr:`halt`; stop injecting at ``--kills`` or ``inject_until`` (epoch)."""
        next_outside = time.time() + self.rng.expovariate(1 / self.args.kill_every)
        next_probe = 0.0
        while not self.halt.wait(POLL):
            try:
                now = time.time()
                self._restart_dead()
                self._note_holder(now)
                if self.injecting and (self.deaths >= self.args.kills or now > inject_until):
                    KILL_STOP.touch()
                    self.injecting = False
                if self.injecting and now >= next_outside:
                    self._kill_outside()
                    next_outside = now + self.rng.expovariate(1 / self.args.kill_every)
                if now >= next_probe:
                    self._probe()
                    next_probe = now + PROBE_EVERY
            except Exception as exc:  # noqa: BLE001 - a Redis hiccup must not stop restarts
                print(f"supervisor: {exc!r}", file=sys.stderr, flush=True)

    def _restart_dead(self) -> None:
        for i, proc in enumerate(self.stack.workers):
            if proc.poll() is not None:
                self.deaths += 1
                self.stack.workers[i] = self._start()

    def _note_holder(self, now: float) -> None:
        live = {p.pid for p in self.stack.workers if p.poll() is None}
        holder = scheduler_holder(self.redis)
        pid = holder if holder in live else 0
        if not self.holders or self.holders[-1][1] != pid:
            self.holders.append((now, pid))

    def _kill_outside(self) -> None:
        """``kill -9`` of the process group of a random worker that is taking jobs, wherever
        it is; restart it."""
        pids = [str(p.pid) for p in self.stack.workers]
        ready = self.redis.hmget(READY_KEY, pids)
        live = [i for i, p in enumerate(self.stack.workers) if p.poll() is None and ready[i]]
        if not live:
            return
        index = self.rng.choice(live)
        pid = self.stack.workers[index].pid
        raw = self.redis.hget(TURN_KEY, str(pid))
        stage, _, cid = str(raw or "- None").partition(" ")
        holder = scheduler_holder(self.redis) == pid
        at = time.time()
        self.stack.kill_worker(index)
        self.outside.append(Kill(at, pid, "outside", stage, _int(cid), holder))
        self.deaths += 1
        self.stack.workers[index] = self._start()

    def _probe(self) -> None:
        """One probe job through the due set, one through RQ's scheduler, both due now."""
        token = uuid.uuid4().hex
        due = time.time()
        self.jobs.enqueue_in(0.0, probe, f"d{token}")
        self.jobs.queue.enqueue_at(dt.datetime.now(dt.UTC), rq_entry, probe, f"r{token}")
        self.probes[f"d{token}"] = ("due", due)
        self.probes[f"r{token}"] = ("rq", due)

    def holder_kills_open(self, kills: list[Kill]) -> int:
        """Kills of the scheduler's worker after which no live worker has held it yet."""
        return sum(1 for k in kills if k.holder and _takeover(self.holders, k) is None)


def _int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def _takeover(holders: list[tuple[float, int]], kill: Kill) -> float | None:
    """Seconds from ``kill`` until another live worker ran RQ's scheduler; None: not yet."""
    for at, pid in holders:
        if at >= kill.at and pid not in (0, kill.pid):
            return at - kill.at
    return None


def self_kills() -> list[Kill]:
    """The workers' own kills, from :data:`KILL_LOG` (``epoch pid step cid holder``)."""
    if not KILL_LOG.exists():
        return []
    kills = []
    for line in KILL_LOG.read_text().splitlines():
        at, pid, how, cid, holder = line.split()
        kills.append(Kill(float(at), int(pid), how, how, _int(cid), holder == "1"))
    return kills


def run(args: argparse.Namespace, stack: Stack, engine: Engine, firer: Firer) -> bool:
    """The kill run (module doc); True when nothing was lost or answered twice."""
    KILL_LOG.unlink(missing_ok=True)
    KILL_STOP.unlink(missing_ok=True)
    redis = Redis.from_url(stack.redis_url, decode_responses=True)
    redis.delete(TURN_KEY, CARRIER_KEY, PROBE_KEY, READY_KEY)
    total = args.durability
    unique = int(total / 1.1)
    events = [(str(uuid.uuid4()), f"+1513{i:07d}") for i in range(unique)]
    plan = list(events) + random.Random(7).choices(events, k=total - unique)
    random.Random(8).shuffle(plan)
    bodies = [message_body(eid, sender, "do you have anything thursday") for eid, sender in plan]
    sup = Supervisor(args, stack, redis, RQQueue.from_url(stack.redis_url))
    sup.start_workers()
    started, deadline = time.monotonic(), time.monotonic() + args.deadline
    thread = threading.Thread(target=sup.run, args=(time.time() + args.deadline / 2,))
    thread.start()
    try:
        results = firer.fire(bodies, args.durability_rate)
        fired = time.monotonic() - started
        while sup.injecting and time.monotonic() < deadline:
            time.sleep(0.5)
        injected = time.monotonic() - started
        wait_answered(engine, deadline)
        answered_in = time.monotonic() - started
        kills = sorted([*self_kills(), *sup.outside], key=lambda k: k.at)
        schedule_wait = min(deadline, time.monotonic() + args.schedule_wait)
        while sup.holder_kills_open(kills) and time.monotonic() < schedule_wait:
            time.sleep(0.5)
    finally:
        sup.halt.set()
        thread.join()
    kills = sorted([*self_kills(), *sup.outside], key=lambda k: k.at)
    acked = [plan[i][0] for i, (status, _, _) in enumerate(results) if status == 200]
    print(
        f"durability under kills: {total} webhooks ({total - unique} duplicates) at "
        f"{args.durability_rate:g}/s in {fired:.0f} s, {args.workers} workers, {len(kills)} kills "
        f"in {injected:.0f} s (a dead worker restarted within {POLL:g} s); every stored text "
        f"answered {answered_in:.0f} s after the first webhook",
        flush=True,
    )
    ok = report_outcome(engine, redis, acked, {e for e, _ in events})
    report_kills(kills, sup, redis)
    report_latency(engine, kills)
    report_schedule(sup, redis, kills)
    return ok


def report_outcome(engine: Engine, redis: Redis, acked: list[str], events: set[str]) -> bool:
    """Print stored / answered / answered twice / lost; True when none lost or doubled.

    A reply row given to the carrier twice (a kill between the carrier's answer and the commit
    of ``sent``; the sweeper sends the row again with the same idempotency key) is printed
    apart: a carrier that honours the key sends it once, one that does not sends it twice.
    """
    with engine.connect() as conn:

        def one(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar() or 0)

        stored = set(
            conn.execute(
                text("SELECT carrier_event_id FROM messages WHERE direction='in'")
            ).scalars()
        )
        answered = one(
            "SELECT count(DISTINCT i.id) FROM messages i JOIN messages o ON "
            "o.conversation_id=i.conversation_id AND o.direction='out' AND o.status IN ('sent','recorded') "
            "WHERE i.direction='in' AND i.status='processed'"
        )
        twice = one(
            "SELECT count(*) FROM (SELECT conversation_id FROM messages WHERE "
            "direction='out' AND kind='reply' GROUP BY conversation_id "
            "HAVING count(DISTINCT created_at) > 1) t"
        )
        unanswered = one(  # one text per conversation: its reply is the conversation's
            "SELECT count(*) FROM messages i WHERE i.direction='in' AND NOT EXISTS (SELECT 1 "
            "FROM messages o WHERE o.conversation_id=i.conversation_id AND o.direction='out' "
            "AND o.status IN ('sent','recorded'))"
        )
        pending = one("SELECT count(*) FROM messages WHERE direction='out' AND status='queued'")
    resent = sum(1 for calls in redis.hvals(CARRIER_KEY) if int(calls) > 1)
    not_stored = len(set(acked) - stored)
    lost = not_stored + unanswered
    print(
        f"  acknowledged 200: {len(acked)} ({len(set(acked))} distinct events)  stored inbound: "
        f"{len(stored)} (all {len(events)} of the run's events: {not (events - stored)}; the "
        f"rest earlier texts)  answered: {answered}  answered twice: {twice}  lost: {lost} "
        f"({not_stored} acknowledged not stored, {unanswered} stored never answered)\n"
        f"  replies still queued at the end: {pending}  reply rows given to the carrier twice "
        f"(same idempotency key): {resent}",
        flush=True,
    )
    return lost == 0 and twice == 0 and pending == 0 and not (events - stored)


def report_kills(kills: list[Kill], sup: Supervisor, redis: Redis) -> None:
    """How many kills, where they landed, deaths nobody asked for, and how long a new worker
    took from its start to taking jobs."""
    counts: dict[str, int] = {}
    for kill in kills:
        key = (
            f"self {kill.how}"
            if kill.how != "outside"
            else f"outside {_DURING.get(kill.stage, kill.stage)}"
        )
        counts[key] = counts.get(key, 0) + 1
    where = ", ".join(f"{key} {n}" for key, n in sorted(counts.items()))
    ready = {int(pid): float(at) for pid, at in redis.hgetall(READY_KEY).items()}
    up = [ready[pid] - at for pid, at in sup.started.items() if pid in ready]
    print(
        f"  kills: {len(kills)} ({where}); {sum(k.holder for k in kills)}"
        f" of them the worker running RQ's scheduler; workers that died otherwise: "
        f"{max(0, sup.deaths - len(kills))}\n  a new worker takes jobs after its start "
        f"({len(up)} of {len(sup.started)} started): {_stats(up)}",
        flush=True,
    )


#: Where an outside kill landed, from the last step its worker noted (``bench:turn``).
_DURING = {
    "in_turn": "before answering (in _prepare or waiting for the lock)",
    "after_prepare": "in answer",
    "after_answer": "in _save",
    "after_save": "after _save (sending)",
    "idle": "between jobs",
    "-": "between jobs",
}


def _stats(values: list[float], p99: bool = False) -> str:
    """``p50 x s  [p99 y s]  max z s``, or ``none`` for no values."""
    if not values:
        return "none"
    middle = f"p99 {pct(values, 99):.1f} s  " if p99 else ""
    return f"p50 {pct(values, 50):.1f} s  {middle}max {max(values):.1f} s"


def report_latency(engine: Engine, kills: list[Kill]) -> None:
    """Seconds from each kill inside a turn to that conversation's reply reaching the carrier."""
    mid_turn = [k for k in kills if k.conversation_id is not None and k.stage != "idle"]
    with engine.connect() as conn:
        first_sent: dict[int, float] = dict(
            conn.execute(
                text(
                    "SELECT conversation_id, extract(epoch FROM min(sent_at)) FROM messages "
                    "WHERE direction='out' AND kind='reply' AND sent_at IS NOT NULL "
                    "AND conversation_id = ANY(:ids) GROUP BY conversation_id"
                ),
                {"ids": [k.conversation_id for k in mid_turn]},
            ).all()
        )
    after: list[float] = []
    already = never = 0
    for kill in mid_turn:
        sent = first_sent.get(kill.conversation_id or 0)
        if sent is None:
            never += 1
        elif float(sent) < kill.at:
            already += 1  # an outside kill after the reply went out
        else:
            after.append(float(sent) - kill.at)
    print(
        f"  killed turns answered after their kill ({len(after)} turns): {_stats(after, True)}"
        f"  (reply already out before the kill: {already}, never answered: {never})",
        flush=True,
    )


def _probe_delays(marks: dict[str, float], sup: Supervisor, kind: str, kills: list[Kill]) -> Any:
    """Per kill, seconds until the first ``kind`` probe due after it was put on the queue."""
    due = sorted((at, tok) for tok, (k, at) in sup.probes.items() if k == kind)
    delays, missing = [], 0
    for kill in kills:
        taken = [marks[tok] for at, tok in due if at >= kill.at and tok in marks]
        if taken:
            delays.append(min(taken) - kill.at)
        else:
            missing += 1
    return delays, missing


def report_schedule(sup: Supervisor, redis: Redis, kills: list[Kill]) -> None:
    """Time for the schedule to be served again after a kill (module doc)."""
    marks = {str(tok): float(val.split()[0]) for tok, val in redis.hgetall(PROBE_KEY).items()}
    lines = []
    for kind, name in (("due", "due set"), ("rq", "RQ scheduler")):
        delays, missing = _probe_delays(marks, sup, kind, kills)
        lines.append(f"{name} {_stats(delays)} (not by the end: {missing})")
    holder_kills = [k for k in kills if k.holder]
    taken = [t for t in (_takeover(sup.holders, k) for k in holder_kills) if t is not None]
    open_for = [time.time() - k.at for k in holder_kills if _takeover(sup.holders, k) is None]
    still = f", {min(open_for):.0f}+ s after the kill" if open_for else ""
    print(
        f"  schedule served again after a kill (probe due every {PROBE_EVERY:g} s, put on the "
        f"queue): {'; '.join(lines)}\n  a live worker holds RQ's scheduler lock again after a "
        f"kill of its holder ({len(holder_kills)} kills): {_stats(taken)}  (not by the end of "
        f"the run: {len(open_for)}{still})",
        flush=True,
    )
