"""/healthz, /readyz and /metrics over HTTP: readiness fails for each missing dependency it
checks (unmigrated or unreachable database, Redis down, no or a stale worker heartbeat), and
a scrape after a whole scenario shows webhooks, turns, model use, sends, holds, bookings and
deposits. Real SQLite, Postgres and Redis."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from redis.exceptions import RedisError

from app.clock import FrozenClock
from app.context import AppContext
from app.eval.runner import run_scenario
from app.eval.signing import TEST_TELNYX_PUBLIC_KEY
from app.heartbeat import LATEST_KEY, age_seconds, beat, host_key
from app.jobs import RQQueue
from app.migrate import upgrade
from app.settings import load_settings
from app.web import create_app
from app.wiring import build_context
from messaging.models import Message
from tests.conftest import MONDAY_10AM, REDIS_URL

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "tests" / "scenarios" / "deposit-late-payment-still-free-books.yaml"


def _context(database_url: str, tmp_path: Path, **overrides: Any) -> AppContext:
    jobs = overrides.pop("jobs", None)
    settings = load_settings(
        {},
        database_url=database_url,
        instance_path=tmp_path,
        telnyx_public_key=TEST_TELNYX_PUBLIC_KEY,
        sms_carrier="recording",
        **overrides,
    )
    return build_context(settings, clock=FrozenClock(MONDAY_10AM), jobs=jobs)


@pytest.fixture
def migrated_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/migrated.db"
    upgrade(url)
    return url


@pytest.fixture
def redis_queue() -> Iterator[RQQueue]:
    jobs = RQQueue.from_url(REDIS_URL, queue_name="ops-test")
    try:
        jobs.redis.ping()
    except RedisError:
        pytest.skip("Redis not reachable")
    jobs.redis.delete(LATEST_KEY, host_key())
    yield jobs
    jobs.redis.delete(LATEST_KEY, host_key())


def _readyz(ctx: AppContext) -> tuple[int, dict[str, Any]]:
    response = create_app(context=ctx).test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_healthz_is_liveness_only(database_url: str, tmp_path: Path) -> None:
    """An unmigrated database still answers /healthz (the process is alive)."""
    response = create_app(context=_context(database_url, tmp_path)).test_client().get("/healthz")
    assert response.status_code == 200 and response.data == b"ok\n"


def test_ready_on_a_migrated_database_without_redis(migrated_url: str, tmp_path: Path) -> None:
    status, body = _readyz(_context(migrated_url, tmp_path))
    assert status == 200 and body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations"}  # no REDIS_URL: no worker


def test_not_ready_on_a_database_never_migrated(database_url: str, tmp_path: Path) -> None:
    """Tables made by create_all but no Alembic revision: not at head."""
    status, body = _readyz(_context(database_url, tmp_path))
    assert status == 503 and body["failing"] == ["migrations"]
    assert "frontdesk db upgrade" in body["checks"]["migrations"]["detail"]


def test_not_ready_on_a_database_one_revision_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/behind.db"
    upgrade(url, "0009")
    status, body = _readyz(_context(url, tmp_path))
    assert status == 503 and body["failing"] == ["migrations"]
    assert "at 0009;" in body["checks"]["migrations"]["detail"]


def test_not_ready_when_the_database_is_unreachable(tmp_path: Path) -> None:
    ctx = _context("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", tmp_path)
    status, body = _readyz(ctx)
    assert status == 503 and body["failing"] == ["database", "migrations"]
    assert body["checks"]["database"]["detail"].startswith("unreachable")
    assert "127.0.0.1" not in str(body)  # no URL in the answer


@pytest.mark.redis
def test_not_ready_without_a_worker_heartbeat(
    migrated_url: str, tmp_path: Path, redis_queue: RQQueue
) -> None:
    ctx = _context(migrated_url, tmp_path, redis_url=REDIS_URL, jobs=redis_queue)
    status, body = _readyz(ctx)
    assert status == 503 and body["failing"] == ["worker"]
    assert "no heartbeat" in body["checks"]["worker"]["detail"]


@pytest.mark.redis
@pytest.mark.parametrize(
    ("age", "status", "detail"),
    [(5, 200, "heartbeat 5s old"), (30, 200, "heartbeat 30s old"),
     (31, 503, "heartbeat 31s old (> 30s)")],
)  # fmt: skip
def test_worker_heartbeat_must_be_at_most_30s_old(
    migrated_url: str, tmp_path: Path, redis_queue: RQQueue, age: int, status: int, detail: str
) -> None:
    ctx = _context(migrated_url, tmp_path, redis_url=REDIS_URL, jobs=redis_queue)
    beat(redis_queue.redis, MONDAY_10AM.timestamp() - age)
    answered, body = _readyz(ctx)
    assert answered == status, body
    assert body["checks"]["worker"] == {"ok": status == 200, "detail": detail}
    assert body["failing"] == ([] if status == 200 else ["worker"])


def test_not_ready_when_redis_is_down(migrated_url: str, tmp_path: Path) -> None:
    down = "redis://127.0.0.1:1/0"
    ctx = _context(migrated_url, tmp_path, redis_url=down, jobs=RQQueue.from_url(down))
    status, body = _readyz(ctx)
    assert status == 503 and body["failing"] == ["redis", "worker"]
    assert body["checks"]["redis"]["detail"] == "unreachable: ConnectionError"


@pytest.mark.redis
def test_heartbeat_age_and_the_healthcheck_command(
    redis_queue: RQQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.heartbeat import main

    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    assert main() == 1  # nothing written yet
    now = dt.datetime.now(dt.UTC).timestamp()
    beat(redis_queue.redis, now - 3)
    assert age_seconds(redis_queue.redis, now) == pytest.approx(3)
    assert main() == 0
    beat(redis_queue.redis, now - 45)
    assert main() == 1
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert main() == 1


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_after_a_scenario_show_webhooks_turns_sends_and_bookings(tmp_path: Path) -> None:
    """A whole booking with a paid deposit, then one scrape."""
    from app.eval.spec import load_scenario

    url = f"sqlite:///{tmp_path}/scenario.db"
    before = _samples(generate_latest(REGISTRY).decode())  # this process's counters so far
    result = run_scenario(load_scenario(SCENARIO), database_url=url)
    assert result.passed, result.failures
    response = create_app(context=_context(url, tmp_path)).test_client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    got = _samples(response.data.decode())

    def grew(name: str, **labels: str) -> float:
        return _value(got, name, **labels) - _value(before, name, **labels)

    telnyx = "/webhooks/telnyx"
    assert grew("frontdesk_webhook_acks_total", route=telnyx, status="200") == 2  # two texts
    assert grew("frontdesk_webhook_ack_seconds_count", route=telnyx) == 2
    assert grew("frontdesk_turn_seconds_count") == 2
    assert grew("frontdesk_agent_turns_total", outcome="ok") == 2
    model = {"model": "offline"}
    assert grew("frontdesk_model_seconds_count", **model) == 2
    assert ("frontdesk_model_tokens_total", frozenset({**model, "kind": "prompt"}.items())) in got
    assert grew("frontdesk_sms_sends_total", status="recorded") >= 3  # offers, link, booked
    assert _value(got, "frontdesk_bookings") == 1
    assert _value(got, "frontdesk_holds_active") == 0
    assert _value(got, "frontdesk_appointments", status="booked") == 1
    assert _value(got, "frontdesk_deposits", status="paid") == 1
    assert _value(got, "frontdesk_deposit_cents", status="paid") > 0
    assert _value(got, "frontdesk_reminders_sent") == _value(got, "frontdesk_waitlist_fills") == 0


@pytest.mark.redis
def test_metrics_show_queue_depth(migrated_url: str, tmp_path: Path, redis_queue: RQQueue) -> None:
    from app.flows.sweeper import run_due

    redis_queue.queue.empty()
    ctx = _context(migrated_url, tmp_path, redis_url=REDIS_URL, jobs=redis_queue)
    redis_queue.enqueue(run_due)
    redis_queue.enqueue_in(60, run_due)
    try:
        got = _samples(create_app(context=ctx).test_client().get("/metrics").data.decode())
    finally:
        redis_queue.queue.empty()
        redis_queue.redis.delete(redis_queue.due_key)
    assert _value(got, "frontdesk_queue_up") == 1
    assert _value(got, "frontdesk_queue_jobs", state="queued") == 1
    assert _value(got, "frontdesk_queue_jobs", state="delayed") == 1


def test_multiprocess_mode_sums_every_process_files(tmp_path: Path) -> None:
    """PROMETHEUS_MULTIPROC_DIR: a fresh interpreter counts into files the scrape reads."""
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    code = (
        "from app.metrics import observe_send, process_registry\n"
        "from prometheus_client import generate_latest\n"
        "observe_send('sent'); observe_send('sent')\n"
        "print(generate_latest(process_registry()).decode())\n"
    )
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    got = _samples(done.stdout)
    assert _value(got, "frontdesk_sms_sends_total", status="sent") == 4  # two processes, summed
    assert any(p.name.startswith("counter_") for p in tmp_path.iterdir())


def test_metrics_count_reminders_and_waitlist_offers_texted(
    make_ctx: Any, database_url: str
) -> None:
    """Message kinds ``reminder`` and ``waitlist``; texts that never left are not counted."""
    ctx = make_ctx(database_url)
    rows = [("reminder", "delivered"), ("reminder", "sent"), ("reminder", "failed"),
            ("waitlist", "delivered"), ("waitlist", "queued"), ("reply", "delivered")]  # fmt: skip
    with ctx.db.session() as s:
        for n, (kind, status) in enumerate(rows):
            s.add(
                Message(clinic_id="glow-austin", direction="out", kind=kind, carrier="recording",
                        from_number="+15125550100", to_number=f"+1512555020{n}", body="hi",
                        status=status, created_at=MONDAY_10AM)
            )  # fmt: skip
    got = _samples(create_app(context=ctx).test_client().get("/metrics").data.decode())
    assert _value(got, "frontdesk_reminders_sent") == 2
    assert _value(got, "frontdesk_waitlist_fills") == 1
