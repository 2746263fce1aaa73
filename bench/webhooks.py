"""Webhook acknowledgement against a bare floor, turn throughput, reply latency and durability.

Usage: ``.venv/bin/python bench/webhooks.py [--only floor,rates,textback,latency,durability,turns]
[--seconds 5] [--rates 50,100,200] [--turns 1000] [--burst 4] [--durability 10000]
[--kills 120] [--workers 2] [--deadline 900]``. Quick run: ``--only floor,latency,turns --seconds
3 --turns 200``; the kill run alone: ``--only durability --durability 2000 --kills 120``.

Starts, on 127.0.0.1: gunicorn (``--web-workers`` x ``--threads`` gthread) serving frontdesk's
web app, and ``--workers`` ``frontdesk worker`` processes (RQ with scheduler and sweeper), all
importing this tree, against a scratch Postgres database (``BENCH_DATABASE_URL``, default
``.../frontdesk_bench``, dropped, migrated with ``frontdesk db upgrade``, seeded with
``frontdesk seed``) and a scratch Redis database (``BENCH_REDIS_URL``, default
``redis://127.0.0.1:6379/15``, flushed), with ``SMS_CARRIER=recording`` and the offline model.
The clinic's burst window is ``--burst`` seconds. Parts, in this order:

- floor: the same gunicorn configuration serving ``bench/bare_wsgi.py`` (200 ``ok`` to any
  POST), then frontdesk, each with the same open-loop signed webhooks at ``--floor-rate``
  (100/s) for ``--seconds``; ack p50/p99 of both and the ratio frontdesk / floor.
- rates: signed ``message.received`` webhooks at each of ``--rates`` (open loop, distinct
  patients): ack p50/p99, then inbound-to-send latency (stored -> reply ``sent_at``, includes
  the burst window).
- textback: missed calls (``call.initiated`` + ``call.hangup``): hangup -> text-back send.
- latency: ``--latency-rate`` patients a second for ``--seconds``, each sending
  ``--burst-texts`` texts ``--burst-gap`` s apart: per turn, reply ``sent_at`` minus (the
  newest text of that turn's burst ``created_at`` + the window), p50/p99 (offline model).
- durability: ``--durability`` webhooks (about 10% duplicates) while workers are SIGKILLed
  (whole process group) at least ``--kills`` times, by themselves at random steps of a turn
  (``--kill-p``, ``bench/fault_worker.py``) and from outside at random moments
  (``--kill-every``), each restarted at once: stored / answered / answered twice / lost, how
  long killed turns took to be answered, how long until the schedule is served again
  (``bench/durability.py``).
- turns: workers stopped, clinic re-seeded with a 0 s burst window, web tier restarted,
  ``--turns`` texts from distinct patients stored (and their jobs queued), then ``--workers``
  workers started: turns per second from the first turn's start (inbound ``processed_at``) to
  the last reply's ``sent_at``, both read from the database.

A summary puts the figures next to issue 9's goals. Bounded in time (every wait has a
deadline); exit status 1 when the durability run lost or doubled anything.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text  # noqa: E402

from bench import durability  # noqa: E402
from bench.webhook_stack import (  # noqa: E402
    BARE_APP,
    Firer,
    Stack,
    acks_ms,
    call_body,
    message_body,
    pct,
    stop_all,
    wait_answered,
)

PARTS = ("floor", "rates", "textback", "latency", "durability", "turns")
#: First texts of the turns run, cycled: a price question and an availability question.
TURN_TEXTS = ("how much is botox", "do you have anything thursday after 4?")
Results = dict[str, Any]


def floor_run(args: argparse.Namespace, stack: Stack, engine: Engine, firer: Firer) -> Results:
    """Bare WSGI app and frontdesk under the same gunicorn configuration and traffic.

    The two alternate in one-second slices (bare first), so background load on a shared
    machine, and the turns frontdesk's own texts start on the workers, fall on both alike.
    """
    rate, count = args.floor_rate, int(args.floor_rate * args.seconds)
    port = args.port + 1
    bare = stack.gunicorn(BARE_APP, port)
    bare_firer = Firer(f"http://127.0.0.1:{port}", args.client_threads)
    started = time.monotonic()
    senders = [f"+1512810{i:04d}" for i in range(count)]
    floor: list[float] = []
    app: list[float] = []
    floor_errors = app_errors = 0
    try:
        bare_firer.fire([message_body(str(uuid.uuid4()), "+15129990000", "hi")] * 50, 50)  # warm-up
        step = max(1, int(rate))
        for at in range(0, count, step):
            slice_senders = senders[at : at + step]
            bodies = [
                message_body(str(uuid.uuid4()), s, "how much is botox") for s in slice_senders
            ]
            acks, errors = acks_ms(bare_firer.fire(bodies, rate))
            floor, floor_errors = floor + acks, floor_errors + errors
            bodies = [
                message_body(str(uuid.uuid4()), s, "how much is botox") for s in slice_senders
            ]
            acks, errors = acks_ms(firer.fire(bodies, rate))
            app, app_errors = app + acks, app_errors + errors
    finally:
        bare_firer.close()
        stop_all([bare])
    wait_answered(engine, time.monotonic() + args.answer_timeout + args.burst)
    out = {
        "floor": (pct(floor, 50), pct(floor, 99)),
        "app": (pct(app, 50), pct(app, 99)),
    }
    out["ratio"] = (out["app"][0] / out["floor"][0], out["app"][1] / out["floor"][1])
    print(
        f"floor vs frontdesk: {count} signed webhooks each at {rate:g} req/s, alternating "
        f"1 s slices, gunicorn {args.web_workers}x{args.threads} gthread "
        f"[{time.monotonic() - started:.0f} s]\n"
        f"  bare WSGI  ack p50 {out['floor'][0]:6.1f} ms  p99 {out['floor'][1]:6.1f} ms  "
        f"max {max(floor, default=0):6.1f} ms  non-200 {floor_errors}\n"
        f"  frontdesk  ack p50 {out['app'][0]:6.1f} ms  p99 {out['app'][1]:6.1f} ms  "
        f"max {max(app, default=0):6.1f} ms  non-200 {app_errors}\n"
        f"  ratio frontdesk / floor: p50 {out['ratio'][0]:.1f}x  p99 {out['ratio'][1]:.1f}x",
        flush=True,
    )
    return out


def send_latencies(engine: Engine, senders: list[str]) -> list[float]:
    """Seconds from each conversation's first stored text to its first reply's carrier call."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT extract(epoch FROM min(o.sent_at) - min(i.created_at)) FROM messages i "
                "JOIN messages o ON o.conversation_id=i.conversation_id AND o.direction='out' "
                "WHERE i.direction='in' AND i.from_number = ANY(:s) AND o.sent_at IS NOT NULL "
                "GROUP BY i.conversation_id"
            ),
            {"s": senders},
        ).scalars()
        return [float(r) for r in rows]


def rate_runs(args: argparse.Namespace, engine: Engine, firer: Firer) -> None:
    for n, rate in enumerate(int(r) for r in args.rates.split(",")):
        count = rate * args.seconds
        senders = [f"+1512{3 + n}{i:06d}" for i in range(count)]
        bodies = [message_body(str(uuid.uuid4()), s, "how much is botox") for s in senders]
        acks, errors = acks_ms(firer.fire(bodies, rate))
        wait_answered(engine, time.monotonic() + args.answer_timeout)
        sends = send_latencies(engine, senders)
        print(
            f"{rate:>4} req/s x {count:>5}: ack p50 {pct(acks, 50):6.1f} ms  "
            f"p99 {pct(acks, 99):6.1f} ms  max {max(acks, default=0):6.1f} ms  non-200 {errors}  |"
            f"  inbound->send p50 {pct(sends, 50):5.2f} s  p99 {pct(sends, 99):5.2f} s"
            f"  (answered {len(sends)}/{count})",
            flush=True,
        )


def textback_run(args: argparse.Namespace, engine: Engine, firer: Firer) -> None:
    callers = [f"+1512600{i:04d}" for i in range(args.calls)]
    bodies = []
    for i, caller in enumerate(callers):
        for event in ("call.initiated", "call.hangup"):
            bodies.append(call_body(event, f"s-{i}", caller, str(uuid.uuid4())))
    results = firer.fire(bodies, 50)
    hung_up = {callers[i // 2]: results[i][1] + results[i][2] for i in range(1, len(results), 2)}
    deadline = time.monotonic() + args.answer_timeout
    rows: list[Any] = []
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            rows = list(
                conn.execute(
                    text(
                        "SELECT to_number, extract(epoch FROM sent_at) FROM messages WHERE "
                        "kind='textback' AND sent_at IS NOT NULL"
                    )
                ).all()
            )
        if len(rows) >= len(callers):
            break
        time.sleep(0.5)
    delays = [float(at) - hung_up[to] for to, at in rows if to in hung_up]
    print(
        f"missed call x {len(callers)}: hangup webhook -> text-back send p50 "
        f"{pct(delays, 50) * 1000:.0f} ms  p99 {pct(delays, 99) * 1000:.0f} ms  "
        f"(sent {len(delays)}/{len(callers)}; webhooks not 200: "
        f"{sum(1 for status, _, _ in results if status != 200)})",
        flush=True,
    )


def latency_run(args: argparse.Namespace, engine: Engine, firer: Firer) -> Results:
    """Reply ``sent_at`` minus the close of its burst window (newest text + window), per turn."""
    started = time.monotonic()
    patients = max(1, int(args.latency_rate * args.seconds))
    senders = [f"+1512820{i:04d}" for i in range(patients)]
    words = ("hi", "how much is botox", "for my forehead", "thanks")
    plan = sorted(
        (i / args.latency_rate + j * args.burst_gap, message_body(str(uuid.uuid4()), s, words[j % 4]))
        for i, s in enumerate(senders)
        for j in range(args.burst_texts)
    )  # fmt: skip
    acks, errors = acks_ms(firer.fire_at(plan))
    wait_answered(engine, time.monotonic() + args.answer_timeout + args.burst)
    with engine.connect() as conn:
        # One row per turn: the texts one turn took share its processed_at; its reply is the
        # first outbound text of the conversation created after the newest of those texts.
        rows = conn.execute(
            text(
                "SELECT extract(epoch FROM max(i.created_at)), "
                "extract(epoch FROM (SELECT min(o.sent_at) FROM messages o WHERE "
                "o.conversation_id=i.conversation_id AND o.direction='out' "
                "AND o.created_at > max(i.created_at))) "
                "FROM messages i JOIN conversations c ON c.id=i.conversation_id "
                "WHERE i.direction='in' AND c.patient_phone = ANY(:s) "
                "AND i.processed_at IS NOT NULL GROUP BY i.conversation_id, i.processed_at"
            ),
            {"s": senders},
        ).all()
    after = [(float(sent) - float(newest) - args.burst) * 1000 for newest, sent in rows if sent]
    out = {"p50": pct(after, 50), "p99": pct(after, 99), "turns": len(rows)}
    print(
        f"reply after burst window: {patients} patients x {args.burst_texts} texts "
        f"{args.burst_gap:g} s apart, window {args.burst:g} s, ack p99 {pct(acks, 99):.1f} ms "
        f"(non-200 {errors}) [{time.monotonic() - started:.0f} s]\n"
        f"  reply sent after window close: p50 {out['p50']:.0f} ms  p99 {out['p99']:.0f} ms  "
        f"max {max(after, default=float('nan')):.0f} ms  (turns {len(rows)} for {patients} "
        f"bursts, replied {len(after)}; sent before the window closed: "
        f"{sum(1 for a in after if a < 0)})",
        flush=True,
    )
    return out


def turns_run(args: argparse.Namespace, stack: Stack, engine: Engine, firer: Firer) -> Results:
    """Offline turns per second with ``--workers`` workers on a pre-stored batch, window 0."""
    started = time.monotonic()
    stack.stop_workers()
    stack.seed(engine, 0.0)
    stack.restart_web()
    senders = [f"+1512830{i:04d}" for i in range(args.turns)]
    bodies = [
        message_body(str(uuid.uuid4()), s, TURN_TEXTS[i % len(TURN_TEXTS)])
        for i, s in enumerate(senders)
    ]
    _, errors = acks_ms(firer.fire(bodies, args.turns_rate))
    with engine.connect() as conn:
        waiting = conn.execute(
            text(
                "SELECT count(*) FROM messages WHERE direction='in' AND status='received' "
                "AND from_number = ANY(:s)"
            ),
            {"s": senders},
        ).scalar()
    stack.start_workers()
    wait_answered(engine, time.monotonic() + args.answer_timeout + args.turns / 5, poll=0.5)
    with engine.connect() as conn:
        first, last, turns, replied = conn.execute(
            text(
                "WITH t AS (SELECT conversation_id, processed_at FROM messages WHERE "
                "direction='in' AND from_number = ANY(:s) AND processed_at IS NOT NULL), "
                "o AS (SELECT conversation_id, sent_at FROM messages WHERE direction='out' "
                "AND sent_at IS NOT NULL AND conversation_id IN (SELECT conversation_id FROM t)) "
                "SELECT extract(epoch FROM (SELECT min(processed_at) FROM t)), "
                "extract(epoch FROM (SELECT max(sent_at) FROM o)), "
                "(SELECT count(*) FROM (SELECT DISTINCT conversation_id, processed_at FROM t) d), "
                "(SELECT count(DISTINCT conversation_id) FROM o)"
            ),
            {"s": senders},
        ).one()
    span = float(last) - float(first) if first is not None and last is not None else float("nan")
    out = {"per_s": (turns or 0) / span if span > 0 else float("nan")}
    print(
        f"offline turns, {args.workers} workers (nice {args.worker_nice}), burst window 0: "
        f"{args.turns} texts from distinct patients stored first ({waiting} waiting, non-200 "
        f"{errors}), texts {' / '.join(TURN_TEXTS)} [{time.monotonic() - started:.0f} s]\n"
        f"  {turns} turns, {replied} replied, first turn start -> last reply sent {span:.2f} s: "
        f"{out['per_s']:.1f} turns/s",
        flush=True,
    )
    return out


def summary(args: argparse.Namespace, results: dict[str, Results]) -> None:
    def figure(part: str, render: Any) -> str:
        return render(results[part]) if part in results else "not run"

    print(
        "\nsummary (issue 9 goals | measured in this run, on "
        f"{os.cpu_count()} CPUs shared with whatever else runs)\n"
        "  ack p99 within 3x of floor          | "
        + figure(
            "floor",
            lambda r: (
                f"p99 {r['ratio'][1]:.1f}x ({r['app'][1]:.1f} / {r['floor'][1]:.1f} ms), "
                f"p50 {r['ratio'][0]:.1f}x ({r['app'][0]:.1f} / {r['floor'][0]:.1f} ms) "
                f"at {args.floor_rate:g} req/s"
            ),
        )
        + "\n  >= 40 turns/s                       | "
        + figure("turns", lambda r: f"{r['per_s']:.1f} turns/s with {args.workers} workers")
        + "\n  reply within 300 ms of window close | "
        + figure(
            "latency",
            lambda r: (
                f"p50 {r['p50']:.0f} ms, p99 {r['p99']:.0f} ms after a {args.burst:g} s "
                "window (offline model)"
            ),
        ),
        flush=True,
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--only", default=",".join(PARTS), help=f"comma-separated parts of {','.join(PARTS)}")
    add("--seconds", type=int, default=5, help="length of each timed traffic run")
    add("--floor-rate", type=float, default=100, help="req/s of the floor comparison")
    add("--rates", default="50,100,200")
    add("--calls", type=int, default=50)
    add("--latency-rate", type=float, default=5, help="bursts (patients) a second")
    add("--burst-texts", type=int, default=2, help="texts per burst in the latency run")
    add("--burst-gap", type=float, default=0.5, help="seconds between a burst's texts")
    add("--turns", type=int, default=1000, help="texts (turns) in the turns-per-second run")
    add("--turns-rate", type=float, default=200, help="req/s storing the turns run's texts")
    add("--durability", type=int, default=10_000)
    add("--durability-rate", type=float, default=100)
    add("--workers", type=int, default=2)
    add("--web-workers", type=int, default=2)
    add("--worker-nice", type=int, default=10, help="CPU niceness of workers")
    add("--threads", type=int, default=8)
    add("--client-threads", type=int, default=32)
    add("--burst", type=float, default=4.0, help="clinic burst window (s)")
    add("--port", type=int, default=8765, help="frontdesk's port; the floor uses the next")
    add("--answer-timeout", type=float, default=120)
    add("--kills", type=int, default=120, help="durability: kill workers this many times")
    add("--kill-p", type=float, default=0.02, help="durability: self-kill chance per turn step")
    add("--kill-every", type=float, default=3.0, help="durability: mean s between outside kills")
    add("--deadline", type=float, default=900, help="durability: wait for answers this long")
    add("--schedule-wait", type=float, default=120, help="durability: then for RQ's schedule")
    args = parser.parse_args()
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {','.join(PARTS)}")
    return args


def main() -> int:
    args = parse_args()

    def on_term(signum: int, frame: Any) -> None:
        raise SystemExit("bench: hard time limit reached, stopping")

    signal.signal(signal.SIGTERM, on_term)  # so ``finally`` stops every process we started
    hard_stop = threading.Timer(args.deadline + 900, lambda: os.kill(os.getpid(), signal.SIGTERM))
    hard_stop.daemon = True
    hard_stop.start()
    started = time.monotonic()
    stack = Stack(args)
    engine = stack.prepare(args.burst)
    results: dict[str, Results] = {}
    ok = True
    firer = Firer(stack.base, args.client_threads)
    try:
        stack.start()
        print(
            f"stack: gunicorn {args.web_workers}x{args.threads} gthread, {args.workers} RQ "
            f"workers (nice {args.worker_nice}), Postgres + Redis on 127.0.0.1, "
            f"burst window {args.burst:g} s, {os.cpu_count()} CPUs, parts {','.join(args.parts)} "
            f"[up {time.monotonic() - started:.0f} s]",
            flush=True,
        )
        warm = [f"+1512700{i:04d}" for i in range(100)]
        firer.fire([message_body(str(uuid.uuid4()), w, "hi") for w in warm], 50)  # warm-up
        wait_answered(engine, time.monotonic() + args.answer_timeout + args.burst)
        if "floor" in args.parts:
            results["floor"] = floor_run(args, stack, engine, firer)
        if "rates" in args.parts:
            rate_runs(args, engine, firer)
        if "textback" in args.parts:
            textback_run(args, engine, firer)
        if "latency" in args.parts:
            results["latency"] = latency_run(args, engine, firer)
        if "durability" in args.parts and args.durability:
            ok = durability.run(args, stack, engine, firer)
        if "turns" in args.parts:
            results["turns"] = turns_run(args, stack, engine, firer)
        summary(args, results)
    finally:
        hard_stop.cancel()
        firer.close()
        stack.stop()
        engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
