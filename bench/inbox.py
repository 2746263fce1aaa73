"""The staff inbox page with many conversations: p50/p95 of ``GET /app`` and of its polled list.

Usage: ``.venv/bin/python bench/inbox.py [--conversations 500] [--requests 100]``

Seeds the demo clinic into a scratch SQLite file and, when reachable, a scratch Postgres
schema (``DATABASE_TEST_URL``), adds N conversations of six texts each (one in ten paused on an
alert, one in ten unanswered), signs in an account, and times the inbox page and the list htmx
polls every few seconds through the Flask test client (the whole request: session, queries,
template). Prints its figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from app.accounts import Role, add_account  # noqa: E402
from app.clock import FrozenClock  # noqa: E402
from app.db import Database  # noqa: E402
from app.logging import configure_logging  # noqa: E402
from app.migrations.registry import create_all  # noqa: E402
from app.settings import load_settings  # noqa: E402
from app.web import create_app  # noqa: E402
from app.wiring import build_context  # noqa: E402
from bench.scratch import drop_schema, fresh_schema, pct  # noqa: E402
from knowledge.clinic_file import load_clinic_file  # noqa: E402
from knowledge.seed import seed_clinic  # noqa: E402
from messaging.models import (  # noqa: E402
    AlertKind,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    StaffAlert,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "bench_inbox"
NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
CLINIC_NUMBER = "+15125550100"
PASSWORD = "bench password 1"


def fill(db: Database, conversations: int) -> None:
    """``conversations`` conversations of six texts each, some needing a person."""
    with db.session() as s:
        for i in range(conversations):
            phone = f"+1512{7000000 + i:07d}"
            start = NOW - dt.timedelta(minutes=10 * i)
            conv = Conversation(
                clinic_id="glow-austin",
                patient_phone=phone,
                clinic_phone=CLINIC_NUMBER,
                ai_paused=i % 10 == 0,
                created_at=start,
                last_inbound_at=start,
            )
            s.add(conv)
            s.flush()
            turns = 5 if i % 10 == 5 else 6  # one in ten ends on an unanswered text
            for n in range(turns):
                inbound = n % 2 == 0
                s.add(
                    Message(
                        conversation_id=conv.id,
                        clinic_id="glow-austin",
                        direction=Direction.IN if inbound else Direction.OUT,
                        kind="patient" if inbound else "reply",
                        carrier="telnyx",
                        from_number=phone if inbound else CLINIC_NUMBER,
                        to_number=CLINIC_NUMBER if inbound else phone,
                        body=f"text {n} of conversation {i}: do you have anything thursday?",
                        status=MessageStatus.PROCESSED if inbound else MessageStatus.SENT,
                        created_at=start + dt.timedelta(seconds=30 * n),
                    )
                )
            if i % 10 == 0:
                s.add(
                    StaffAlert(
                        clinic_id="glow-austin",
                        conversation_id=conv.id,
                        kind=AlertKind.ALERT,
                        reason="medical",
                        summary="a medical question",
                        created_at=start,
                    )
                )


def measure(url: str, conversations: int, requests: int, instance: Path) -> dict[str, float]:
    """Seed, fill and time the pages on ``url``; figures in milliseconds."""
    settings = load_settings({}, database_url=url, instance_path=instance, sms_carrier="recording")
    ctx = build_context(settings, clock=FrozenClock(NOW))
    create_all(ctx.db)
    seed_clinic(ctx.db, load_clinic_file(ROOT / "testdata" / "demo-clinic.json"))
    add_account(ctx.db, "glow-austin", "bench@example.com", PASSWORD, Role.STAFF)
    fill(ctx.db, conversations)
    client = create_app(context=ctx).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/app/login").text)
    assert token is not None
    client.post(
        "/app/login",
        data={
            "clinic": "glow-austin",
            "email": "bench@example.com",
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    figures: dict[str, float] = {}
    for path in ("/app", "/app/inbox/list"):
        assert client.get(path).status_code == 200  # warm up
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            answer = client.get(path)
            times.append(time.perf_counter() - t0)
            assert answer.status_code == 200
        figures[f"{path} p50"] = pct(times, 0.5)
        figures[f"{path} p95"] = pct(times, 0.95)
    ctx.db.dispose()
    return figures


def _postgres() -> tuple[Database, str] | None:
    """A scratch schema on ``DATABASE_TEST_URL`` (:mod:`bench.scratch`), or None when
    Postgres is unreachable."""
    try:
        return fresh_schema(SCHEMA)
    except Exception:  # noqa: BLE001 - any failure means no Postgres here
        return None


def main() -> int:
    """Run on SQLite and Postgres (when reachable) and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        pg = _postgres()
        backends = {"sqlite": f"sqlite:///{tmp}/bench.db", "postgres": pg[1] if pg else None}
        for name, url in backends.items():
            if url is None:
                print(f"{name}: skipped (not reachable)")
                continue
            try:
                figures = measure(url, args.conversations, args.requests, Path(tmp))
            finally:
                if name == "postgres" and pg is not None:
                    drop_schema(pg[0], SCHEMA)
            shown = "  ".join(f"{k} {v:.1f} ms" for k, v in figures.items())
            print(f"{name}, {args.conversations} conversations: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
