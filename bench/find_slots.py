"""Latency of ``LocalEMR.find_slots`` for a 3-provider clinic over a 60-day window.

Seeds ~200 appointments (fixed random seed) and times ``find_slots`` for all providers over the
whole booking horizon, on SQLite (a temporary file) and on Postgres when reachable
(``DATABASE_TEST_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``, in a
dedicated ``emr_bench`` schema that is dropped afterwards). Prints p50/p99 in milliseconds.

    .venv/bin/python bench/find_slots.py [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import make_url, text  # noqa: E402

from app.clock import FrozenClock  # noqa: E402
from app.db import Database  # noqa: E402
from app.migrations.registry import create_all  # noqa: E402
from emr.base import SlotQuery  # noqa: E402
from emr.local import LocalCalendar, LocalEMR  # noqa: E402
from emr.models import LocalAppointment, LocalPatient  # noqa: E402

CLINIC = "bench-clinic"
WEEKDAYS = {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
CALENDAR = LocalCalendar(
    clinic_id=CLINIC,
    timezone="America/Chicago",
    provider_hours={
        "dr-lee": WEEKDAYS,
        "nurse-kim": {**WEEKDAYS, "sat": [("10:00", "14:00")]},
        "pa-ruiz": {"tue": [("10:00", "13:00"), ("14:00", "19:00")], "thu": [("08:00", "16:00")]},
    },
)
NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
APPOINTMENTS = 200


def seed(db: Database) -> None:
    """~200 non-overlapping appointments taken from real openings, statuses mixed."""
    emr = LocalEMR(db, CALENDAR, FrozenClock(NOW))
    offered = emr.find_slots(SlotQuery("botox", 60, (), NOW, NOW + dt.timedelta(days=60)))
    rng = random.Random(7)
    chosen: list = []
    for slot in rng.sample(offered, len(offered)):
        if all(
            s.provider_id != slot.provider_id or s.end <= slot.start or slot.end <= s.start
            for s in chosen
        ):
            chosen.append(slot)
        if len(chosen) == APPOINTMENTS:
            break
    with db.session() as session:
        patient = LocalPatient(clinic_id=CLINIC, phone="+15125550100")
        session.add(patient)
        session.flush()
        for i, slot in enumerate(chosen):
            session.add(
                LocalAppointment(
                    clinic_id=CLINIC,
                    provider_id=slot.provider_id,
                    patient_id=patient.id,
                    service_id="botox",
                    start_at=slot.start,
                    end_at=slot.end,
                    status=("booked", "proposed", "cancelled")[i % 3],
                )
            )


def measure(label: str, db: Database, runs: int) -> None:
    """Time ``runs`` calls and print p50/p99 (milliseconds) and the number of slots."""
    create_all(db)
    seed(db)
    emr = LocalEMR(db, CALENDAR, FrozenClock(NOW))
    query = SlotQuery("botox", 30, (), NOW, NOW + dt.timedelta(days=60))
    for _ in range(5):
        count = len(emr.find_slots(query))
    timings: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        emr.find_slots(query)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"{label:9} runs={runs} slots={count} p50={p50:.2f} ms p99={p99:.2f} ms")


def main() -> int:
    """Run the benchmark on SQLite, then on Postgres when it answers. Returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed calls per backend")
    args = parser.parse_args()
    print(f"find_slots: 3 providers, 60-day window, ~{APPOINTMENTS} appointments, 30-min service")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        measure("sqlite", db, args.runs)
        db.dispose()

    base = make_url(
        os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    admin = Database(
        base.render_as_string(hide_password=False), connect_args={"connect_timeout": 3}
    )
    try:
        with admin.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS emr_bench CASCADE"))
            conn.execute(text("CREATE SCHEMA emr_bench"))
    except Exception as exc:  # any failure means "no Postgres here"
        print(f"postgres  skipped ({exc.__class__.__name__})")
        admin.dispose()
        return 0
    scoped = base.update_query_dict({"options": "-csearch_path=emr_bench"})
    db = Database(scoped.render_as_string(hide_password=False))
    try:
        measure("postgres", db, args.runs)
    finally:
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS emr_bench CASCADE"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
