"""Hold throughput and latency on Postgres, and slot search over a 60-day horizon.

Usage: ``.venv/bin/python bench/holds.py [--holds 400] [--threads 8]``

Seeds the demo clinic (3 providers) into a scratch Postgres schema, then:
1. ``find_slots`` (the booking search the agent's tool runs: EMR openings minus active holds,
   spread, recorded as offers) over the clinic's whole 60-day horizon, p50/p99;
2. ``hold_offer`` from N threads on distinct slots: holds per second and p50/p99 latency;
3. the same slot raced by 50 threads: exactly one winner (printed, and the exit status).
Bounded by the counts given; prints its figures; exits non-zero if the race had != 1 winner.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from agent.tools import service_terms  # noqa: E402
from app.clock import FrozenClock  # noqa: E402
from app.logging import configure_logging  # noqa: E402
from app.migrations.registry import create_all  # noqa: E402
from app.settings import load_settings  # noqa: E402
from app.wiring import build_context  # noqa: E402
from bench.scratch import drop_schema, fresh_schema, pct  # noqa: E402
from booking.holds import HoldFailed, hold_offer  # noqa: E402
from booking.models import SlotOffer  # noqa: E402
from booking.slots import offer_slots  # noqa: E402
from booking.terms import SlotFilter  # noqa: E402
from emr.base import SlotQuery  # noqa: E402
from knowledge.clinic_file import load_clinic_file  # noqa: E402
from knowledge.seed import seed_clinic  # noqa: E402
from messaging.inbound import get_or_create_conversation  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "bench_holds"


def main() -> int:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--holds", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--searches", type=int, default=60)
    args = parser.parse_args()
    configure_logging("WARNING")

    admin, url = fresh_schema(SCHEMA)
    settings = load_settings({}, database_url=url, sms_carrier="recording")
    clock = FrozenClock(dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6))))
    ctx = build_context(settings, clock=clock)
    create_all(ctx.db)
    clinic = load_clinic_file(ROOT / "testdata" / "demo-clinic.json")
    seed_clinic(ctx.db, clinic)
    terms, emr = ctx.clinic_terms(clinic), ctx.emr_for(clinic)
    service = service_terms(clinic, clinic.service("botox"))

    def conversation(i: int) -> int:
        with ctx.db.session() as s:
            return get_or_create_conversation(
                s,
                clinic_id=terms.clinic_id,
                patient_phone=f"+1512555{i:04d}",
                clinic_phone=terms.phone,
                carrier="telnyx",
                now=clock.now(),
            ).id

    # 1. Slot search over the whole horizon.
    conv = conversation(9999)
    timings = []
    for i in range(args.searches):
        wanted = (
            SlotFilter(weekdays=frozenset({i % 6}), after=dt.time(12)) if i % 2 else SlotFilter()
        )
        t0 = time.perf_counter()
        offer_slots(
            ctx.db,
            emr,
            clinic=terms,
            conversation_id=conv,
            service=service,
            wanted=wanted,
            now=clock.now(),
            max_days_ahead=60,
        )
        timings.append(time.perf_counter() - t0)
    print(
        f"find_slots (3 providers, 60 days, {args.searches} searches): "
        f"p50 {pct(timings, 0.5):.1f} ms  p99 {pct(timings, 0.99):.1f} ms"
    )

    # 2. Holds on distinct slots from many threads.
    start = clock.now()
    slots = emr.find_slots(
        SlotQuery("botox", 30, service.provider_ids, start, start + dt.timedelta(days=60))
    )
    distinct, last_end = [], {}  # non-overlapping per provider
    for slot in slots:
        if slot.start >= last_end.get(slot.provider_id, slot.start):
            distinct.append(slot)
            last_end[slot.provider_id] = slot.end
    distinct = distinct[: args.holds]
    offers = []
    for slot in distinct:
        offers.append(
            SlotOffer(
                conversation_id=conv,
                clinic_id=terms.clinic_id,
                batch=1,
                position=1,
                service_id="botox",
                provider_id=slot.provider_id,
                start_at=slot.start,
                end_at=slot.end,
                token=slot.token,
            )
        )
    latencies: list[float] = []
    lock = threading.Lock()

    def hold(i: int) -> None:
        t0 = time.perf_counter()
        hold_offer(
            ctx.db,
            emr,
            clinic=terms,
            offer=offers[i],
            patient_phone=f"+1512555{i:04d}",
            service_name="Botox",
            provider_name="x",
            deposit_cents=5000,
            now=clock.now(),
        )
        with lock:
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(hold, range(len(offers))))
    elapsed = time.perf_counter() - t0
    print(
        f"holds ({len(offers)} distinct slots, {args.threads} threads, Postgres): "
        f"{len(offers) / elapsed:.0f} holds/s  p50 {pct(latencies, 0.5):.1f} ms  "
        f"p99 {pct(latencies, 0.99):.1f} ms  mean {statistics.mean(latencies) * 1000:.1f} ms"
    )

    # 3. Fifty patients racing for one slot.
    target = slots[-1]
    race = SlotOffer(
        conversation_id=conv,
        clinic_id=terms.clinic_id,
        batch=2,
        position=1,
        service_id="botox",
        provider_id=target.provider_id,
        start_at=target.start,
        end_at=target.end,
        token=target.token,
    )
    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def racer(i: int) -> None:
        barrier.wait()
        try:
            hold_offer(
                ctx.db,
                emr,
                clinic=terms,
                offer=race,
                patient_phone=f"+1512556{i:04d}",
                service_name="Botox",
                provider_name="x",
                deposit_cents=5000,
                now=clock.now(),
            )
            result = "held"
        except HoldFailed as exc:
            result = exc.reason
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = outcomes.count("held")
    print(f"race (50 threads, one slot): {winners} held, {outcomes.count('taken')} told taken")
    ctx.db.dispose()
    drop_schema(admin, SCHEMA)
    return 0 if winners == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
