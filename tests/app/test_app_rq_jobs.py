"""Jobs on the real Redis: a webhook enqueues, an RQ worker runs the turn and sends the reply."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from redis import Redis
from rq.job import Job
from sqlalchemy import select

from app.context import AppContext
from app.jobs import RQQueue, set_worker_context
from app.web import create_app
from messaging.models import Message
from tests.conftest import REDIS_URL
from tests.steps import signed_text

pytestmark = pytest.mark.redis


@pytest.fixture
def rq_queue() -> RQQueue:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis not reachable: {type(exc).__name__}")
    queue = RQQueue.from_url(REDIS_URL, queue_name=f"frontdesk-test-{uuid.uuid4().hex[:8]}")
    yield queue
    queue.queue.delete(delete_jobs=True)


def test_webhook_enqueues_on_redis_and_a_worker_answers(
    make_ctx: Callable[..., AppContext], database_url: str, rq_queue: RQQueue
) -> None:
    from rq import SimpleWorker

    ctx = make_ctx(database_url, jobs=rq_queue)
    client = create_app(context=ctx).test_client()
    ts = int(ctx.clock.now().timestamp())
    raw, headers = signed_text("how much is botox", "evt-rq-1", ts)
    assert client.post("/webhooks/telnyx", data=raw, headers=headers).status_code == 200
    with ctx.db.session() as s:  # acknowledged: stored, not yet answered
        assert s.execute(select(Message.direction)).scalars().all() == ["in"]
    # The turn waits out the clinic's burst window (texts in quick succession are one turn).
    registry = rq_queue.queue.scheduled_job_registry
    [job_id] = registry.get_job_ids()
    delay = registry.get_scheduled_time(job_id) - dt.datetime.now(dt.UTC)
    assert 0 < delay.total_seconds() <= 5
    ctx.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    registry.remove(job_id)  # the window has passed: release the job without sleeping
    rq_queue.queue.enqueue_job(Job.fetch(job_id, connection=rq_queue.redis))

    set_worker_context(ctx)
    try:
        SimpleWorker([rq_queue.queue], connection=rq_queue.redis).work(burst=True)
    finally:
        set_worker_context(None)
    with ctx.db.session() as s:
        out = s.execute(select(Message).where(Message.direction == "out")).scalars().all()
    assert len(out) == 1 and "$13" in out[0].body and out[0].status == "sent"
    assert [m.body for m in ctx.recording.sent] == [out[0].body]
