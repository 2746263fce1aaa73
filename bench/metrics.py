"""``/metrics`` scrape time with a realistic database.

Usage: ``.venv/bin/python bench/metrics.py [--conversations 5000] [--messages 50000]
[--scrapes 200]``

Fills a scratch Postgres schema (``DATABASE_TEST_URL``) with the demo clinic, N conversations,
M messages (inbound and outbound, replies, reminders, waitlist offers, staff texts, in every
status), an appointment for every fourth conversation and a deposit for each, then times
``GET /metrics`` through the WSGI app (database counts, queue depth and process counters) and
prints p50/p95/max in milliseconds and the scrape's size. Bounded by the counts given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from app.clock import FrozenClock  # noqa: E402
from app.db import Database  # noqa: E402
from app.logging import configure_logging  # noqa: E402
from app.migrations.registry import create_all  # noqa: E402
from app.settings import load_settings  # noqa: E402
from app.web import create_app  # noqa: E402
from app.wiring import build_context  # noqa: E402
from bench.scratch import drop_schema, fresh_schema, pct  # noqa: E402
from booking.models import Appointment, AppointmentStatus, Deposit, DepositStatus  # noqa: E402
from knowledge.clinic_file import load_clinic_file  # noqa: E402
from knowledge.seed import seed_clinic  # noqa: E402
from messaging.models import Conversation, Message  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "bench_metrics"
NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
#: (direction, kind, status, weight): roughly what a month of a busy clinic looks like.
MESSAGE_MIX = [
    ("in", "reply", "processed", 44),
    ("in", "reply", "received", 1),
    ("out", "reply", "delivered", 30),
    ("out", "reply", "sent", 6),
    ("out", "reply", "failed", 1),
    ("out", "reminder", "delivered", 8),
    ("out", "waitlist", "delivered", 2),
    ("out", "confirmation", "delivered", 4),
    ("out", "staff", "sent", 2),
    ("out", "reply", "queued", 1),
    ("out", "reply", "blocked", 1),
]


def fill(
    db: Database, clinic_id: str, clinic_phone: str, conversations: int, messages: int
) -> None:
    """Insert the conversations, messages, appointments and deposits (bulk, one transaction)."""
    rng = random.Random(7)
    phones = [f"+1512{5550000 + i:07d}" for i in range(conversations)]
    with db.engine.begin() as conn:
        conn.execute(
            insert(Conversation),
            [
                {"clinic_id": clinic_id, "patient_phone": p, "clinic_phone": clinic_phone,
                 "carrier": "telnyx", "ai_paused": False, "created_at": NOW}
                for p in phones
            ],
        )  # fmt: skip
        ids = [r[0] for r in conn.execute(text("SELECT id FROM conversations ORDER BY id"))]
        kinds = rng.choices(MESSAGE_MIX, weights=[m[3] for m in MESSAGE_MIX], k=messages)
        rows = []
        for n, (direction, kind, status, _) in enumerate(kinds):
            i = rng.randrange(conversations)
            patient, clinic = phones[i], clinic_phone
            rows.append(
                {"conversation_id": ids[i], "clinic_id": clinic_id, "direction": direction,
                 "kind": kind, "carrier": "telnyx", "carrier_event_id": f"evt-{n}",
                 "from_number": patient if direction == "in" else clinic,
                 "to_number": clinic if direction == "in" else patient,
                 "body": "x" * rng.randrange(20, 160), "media": [], "segments": 1,
                 "status": status, "attempts": 1, "created_at": NOW - dt.timedelta(minutes=n)}
            )  # fmt: skip
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Message), rows[start : start + 5000])
        statuses = list(AppointmentStatus)
        appts = [
            {"clinic_id": clinic_id, "conversation_id": ids[i], "patient_phone": phones[i],
             "service_id": "svc", "provider_id": f"p{i % 3}", "timezone": "America/Chicago",
             "start_at": NOW + dt.timedelta(hours=i), "end_at": NOW + dt.timedelta(hours=i, minutes=30),
             "status": rng.choice(statuses), "deposit_cents": 5000,
             "created_at": NOW, "updated_at": NOW}
            for i in range(0, conversations, 4)
        ]  # fmt: skip
        conn.execute(insert(Appointment), appts)
        appt_ids = [r[0] for r in conn.execute(text("SELECT id FROM appointments ORDER BY id"))]
        conn.execute(
            insert(Deposit),
            [
                {"appointment_id": a, "clinic_id": clinic_id, "amount_cents": 5000,
                 "provider": "square", "status": rng.choice(list(DepositStatus)),
                 "idempotency_key": f"dep-{a}", "created_at": NOW}
                for a in appt_ids
            ],
        )  # fmt: skip
        conn.execute(text("ANALYZE"))


def main() -> int:
    """Fill the schema, time the scrapes, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()
    configure_logging("WARNING")
    admin, url = fresh_schema(SCHEMA)
    settings = load_settings({}, database_url=url, sms_carrier="recording")
    ctx = build_context(settings, clock=FrozenClock(NOW))
    try:
        create_all(ctx.db)
        clinic = load_clinic_file(ROOT / "testdata" / "demo-clinic.json")
        seed_clinic(ctx.db, clinic)
        started = time.perf_counter()
        fill(
            ctx.db,
            clinic.clinic.id,
            clinic.clinic.phone_numbers[0],
            args.conversations,
            args.messages,
        )
        print(f"filled {args.conversations} conversations, {args.messages} messages "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        client = create_app(context=ctx).test_client()
        client.get("/metrics")  # warm the pool and the query plans
        times, size = [], 0
        for _ in range(args.scrapes):
            t0 = time.perf_counter()
            response = client.get("/metrics")
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.status_code
            size = len(response.data)
        print(f"/metrics over {args.scrapes} scrapes: p50 {pct(times, 0.5):.1f} ms, "
              f"p95 {pct(times, 0.95):.1f} ms, max {max(times) * 1000:.1f} ms; {size} bytes")  # fmt: skip
    finally:
        ctx.db.dispose()
        drop_schema(admin, SCHEMA)
    return 0


if __name__ == "__main__":
    sys.exit(main())
