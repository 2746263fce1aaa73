"""Cancellation to first waitlist text, on Postgres with RQ workers (issue 13, Measure).

Usage: ``.venv/bin/python bench/waitlist.py [--cancellations 200] [--workers 2] [--spread S]``

Seeds the demo clinic into a scratch Postgres schema (``DATABASE_TEST_URL``), books
``--cancellations`` Botox appointments over the clinic's horizon, puts as many patients on
the Botox waitlist (numbers in a time zone where it is daytime now, so quiet hours hold
nobody back), starts ``--workers`` ``frontdesk worker`` processes on Redis
(``REDIS_TEST_URL``), then cancels every appointment one after another through the production
path (:func:`booking.holds.release_appointment`: the opening is saved, its offer job enqueued
on RQ after the commit), back to back or evenly over ``--spread`` seconds. For each cancellation it measures the time from just before the
cancel to the ``sent_at`` of the first waitlist text about that opening (the recording
carrier stands in for Telnyx), and prints p50/p99/max. Exits non-zero when a cancellation got
no text within ``--timeout`` seconds or p99 is over the 30 s target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from agent.tools import service_terms  # noqa: E402
from app.context import AppContext  # noqa: E402
from app.logging import configure_logging  # noqa: E402
from app.migrations.registry import create_all  # noqa: E402
from app.settings import load_settings  # noqa: E402
from app.wiring import build_context  # noqa: E402
from bench.scratch import drop_schema, fresh_schema, pct  # noqa: E402
from booking.holds import confirm_appointment, hold_offer, release_appointment  # noqa: E402
from booking.slots import record_offers  # noqa: E402
from booking.waitlist import Window, join  # noqa: E402
from booking.waitlist_models import WaitlistOffer, WaitlistOpening  # noqa: E402
from emr.base import Slot, SlotQuery  # noqa: E402
from knowledge.clinic_file import ClinicFile, load_clinic_file  # noqa: E402
from knowledge.seed import seed_clinic  # noqa: E402
from messaging.inbound import get_or_create_conversation  # noqa: E402
from messaging.models import Message  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
SCHEMA = "bench_waitlist"
TARGET_SECONDS = 30.0
#: Number prefixes whose area maps to one zone, tried in order for one in daytime now.
DAYTIME_PREFIXES = [
    ("+1212555", "America/New_York"),
    ("+1512555", "America/Chicago"),
    ("+1303555", "America/Denver"),
    ("+1415555", "America/Los_Angeles"),
    ("+1808555", "Pacific/Honolulu"),
    ("+4420794", "Europe/London"),
    ("+8135555", "Asia/Tokyo"),
]


def daytime_prefix(now: dt.datetime) -> str:
    """A number prefix of a zone where it is between 9 AM and 7 PM at ``now``."""
    for prefix, zone in DAYTIME_PREFIXES:
        if 9 <= now.astimezone(ZoneInfo(zone)).hour < 19:
            return prefix
    raise SystemExit("no listed zone is in daytime now")


def book(ctx: AppContext, clinic: ClinicFile, count: int) -> list[int]:
    """Book ``count`` Botox appointments on distinct free slots; their ids."""
    terms, emr = ctx.clinic_terms(clinic), ctx.emr_for(clinic)
    service = service_terms(clinic, clinic.service("botox"))
    now = ctx.clock.now()
    slots = emr.find_slots(
        SlotQuery("botox", 30, service.provider_ids, now + dt.timedelta(days=1), now + dt.timedelta(days=58))
    )  # fmt: skip
    chosen: list[Slot] = []
    for slot in slots:
        clash = any(
            c.provider_id == slot.provider_id and c.start < slot.end and slot.start < c.end
            for c in chosen
        )
        if not clash and terms.open_for(slot.provider_id, slot.start, slot.end):
            chosen.append(slot)
        if len(chosen) == count:
            break
    ids = []
    for i, slot in enumerate(chosen):
        phone = f"+1512556{i:04d}"
        with ctx.db.session() as s:
            conv = get_or_create_conversation(
                s, clinic_id=terms.clinic_id, patient_phone=phone, clinic_phone=terms.phone,
                carrier="recording", now=now,
            )  # fmt: skip
            (offer,) = record_offers(s, conv.id, terms, service, [(1, slot)], now)
        held = hold_offer(
            ctx.db, emr, clinic=terms, offer=offer, patient_phone=phone, service_name="Botox",
            provider_name="", deposit_cents=0, now=now,
        )  # fmt: skip
        confirm_appointment(ctx.db, emr, held.appointment_id, now)
        ids.append(held.appointment_id)
    return ids


def main() -> int:
    """Run the measurement and print it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancellations", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--spread", type=float, default=0.0, help="seconds the cancellations are spread over"
    )
    args = parser.parse_args()
    configure_logging("WARNING")
    admin, url = fresh_schema(SCHEMA)
    settings = load_settings({}, database_url=url, redis_url=REDIS, sms_carrier="recording")
    ctx = build_context(settings)
    ctx.jobs.redis.flushdb()  # type: ignore[attr-defined]  # our scratch Redis database
    create_all(ctx.db)
    clinic = load_clinic_file(ROOT / "testdata" / "demo-clinic.json")
    seed_clinic(ctx.db, clinic)
    appointments = book(ctx, clinic, args.cancellations)
    prefix = daytime_prefix(ctx.clock.now())
    for i in range(len(appointments)):
        with ctx.db.session() as s:
            join(
                s, clinic_id=clinic.clinic.id, patient_phone=f"{prefix}{i:04d}",
                service_id="botox", window=Window(), now=ctx.clock.now(),
            )  # fmt: skip
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS, "SMS_CARRIER": "recording",
           "LOG_LEVEL": "ERROR", "PYTHONPATH": str(ROOT)}  # fmt: skip
    for name in ("OPENAI_API_KEY", "TELNYX_API_KEY", "TWILIO_AUTH_TOKEN", "SQUARE_ACCESS_TOKEN"):
        env.pop(name, None)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        for _ in range(args.workers)
    ]
    try:
        wait_for_workers(ctx, args.workers)
        return measure(ctx, clinic, appointments, args)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(timeout=30)
        ctx.db.dispose()
        drop_schema(admin, SCHEMA)


def wait_for_workers(ctx: AppContext, count: int, timeout: float = 120.0) -> None:
    """Return once ``count`` RQ workers are registered on the queue's Redis and have been
    idle a moment (their context built); cancelling earlier would time worker start-up."""
    from rq import Worker

    deadline = time.monotonic() + timeout
    redis = ctx.jobs.redis  # type: ignore[attr-defined]
    while len(Worker.all(connection=redis)) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{count} workers did not start within {timeout:.0f} s")
        time.sleep(0.2)
    time.sleep(1.0)


def measure(
    ctx: AppContext, clinic: ClinicFile, appointments: list[int], args: argparse.Namespace
) -> int:
    """Cancel every appointment (back to back, or evenly over ``args.spread`` seconds) and
    time each one's first waitlist text."""
    emr = ctx.emr_for(clinic)
    timeout, workers = args.timeout, args.workers
    cancelled_at: dict[int, dt.datetime] = {}
    started = time.monotonic()
    for i, appointment_id in enumerate(appointments):
        pause = started + i * args.spread / len(appointments) - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        cancelled_at[appointment_id] = dt.datetime.now(dt.UTC)
        release_appointment(
            ctx.db, emr, appointment_id, status="cancelled", now=ctx.clock.now(), source="staff"
        )
    deadline = time.monotonic() + timeout
    while True:
        with ctx.db.session() as s:
            rows = s.execute(
                select(WaitlistOpening.appointment_id, Message.sent_at)
                .join(WaitlistOffer, WaitlistOffer.opening_id == WaitlistOpening.id)
                .join(Message, Message.to_number == WaitlistOffer.patient_phone)
                .where(Message.kind == "waitlist", Message.sent_at.is_not(None))
            ).all()
        if len(rows) >= len(appointments) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    seconds = [(sent - cancelled_at[a]).total_seconds() for a, sent in rows if a in cancelled_at]
    p50, p99 = (pct(seconds, 0.5) / 1000, pct(seconds, 0.99) / 1000) if seconds else (0.0, 0.0)
    missing = len(appointments) - len(seconds)
    print(
        f"{len(appointments)} cancellations with patients waiting "
        f"({'back to back' if not args.spread else f'over {args.spread:.0f} s'}), "
        f"{workers} RQ workers, Postgres + Redis on 127.0.0.1"
    )
    if seconds:
        print(
            f"cancellation -> first waitlist text: p50 {p50:.2f} s, "
            f"p99 {p99:.2f} s, max {max(seconds):.2f} s, "
            f"mean {statistics.mean(seconds):.2f} s (target: first text < {TARGET_SECONDS:.0f} s)"
        )
    print(f"texted: {len(seconds)}, no text within {timeout:.0f} s: {missing}")
    return 0 if not missing and seconds and p99 < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
