"""Jobs on the real Redis: a webhook enqueues, an RQ worker runs the turn and sends the reply."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable

import pytest
from redis import Redis
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
    queue.redis.delete(queue.due_key)


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
    [(member, due)] = rq_queue.redis.zrange(rq_queue.due_key, 0, -1, withscores=True)
    assert b"take_turn" in member and 0 < due - time.time() <= 5
    assert rq_queue.release_due() == 0 and rq_queue.queue.count == 0  # not due yet
    ctx.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    assert rq_queue.release_due(now=due) == 1  # the window has passed (no sleeping)
    assert rq_queue.queue.count == 1 and rq_queue.redis.zcard(rq_queue.due_key) == 0

    set_worker_context(ctx)
    try:
        SimpleWorker([rq_queue.queue], connection=rq_queue.redis).work(burst=True)
    finally:
        set_worker_context(None)
    with ctx.db.session() as s:
        out = s.execute(select(Message).where(Message.direction == "out")).scalars().all()
    assert len(out) == 1 and "$13" in out[0].body and out[0].status == "recorded"
    assert [m.body for m in ctx.recording.sent] == [out[0].body]
    # The turn's own job sent the reply: no second RQ job was queued for it.
    assert rq_queue.queue.count == 0 and rq_queue.queue.scheduled_job_registry.count == 0


# --- delayed jobs (the due set) and jobs run after the current one ---------------------------

_RAN: list[tuple[str, int]] = []


def _note(ctx: AppContext, n: int) -> None:
    _RAN.append(("note", n))


def _fail(ctx: AppContext, n: int) -> None:
    _RAN.append(("fail", n))
    raise RuntimeError("carrier down")


def _writes_two_sends(ctx: AppContext) -> str:
    ctx.jobs.enqueue_after_job(_fail, 1)
    ctx.jobs.enqueue_after_job(_note, 2)
    _RAN.append(("job", 0))
    return "done"


def test_delayed_jobs_coalesce_and_leave_when_due(rq_queue: RQQueue) -> None:
    start = time.time()
    rq_queue.enqueue_in(4.0, _note, 7)
    first = rq_queue.redis.zscore(
        rq_queue.due_key, rq_queue.redis.zrange(rq_queue.due_key, 0, 0)[0]
    )
    rq_queue.enqueue_in(4.5, _note, 7)  # same job, later: moved later, not added
    rq_queue.enqueue_in(1.0, _note, 7)  # same job, earlier: left where it is
    rq_queue.enqueue_in(4.0, _note, 8)  # other arguments: its own entry
    scores = dict(rq_queue.redis.zrange(rq_queue.due_key, 0, -1, withscores=True))
    assert len(scores) == 2
    seven = next(s for m, s in scores.items() if m.endswith(b"[7]]"))
    assert seven > first and 4.5 <= seven - start < 5.5
    assert rq_queue.release_due(now=start + 4.4) == 1  # only the job for 8 is due
    assert rq_queue.release_due(now=start + 6) == 1
    assert rq_queue.queue.count == 2 and rq_queue.redis.zcard(rq_queue.due_key) == 0
    assert {tuple(j.args[1:]) for j in rq_queue.queue.get_jobs()} == {(7,), (8,)}
    assert all(j.args[0] is _note for j in rq_queue.queue.get_jobs())


def test_jobs_after_the_job_run_in_the_worker_and_failures_go_to_rq_retries(
    make_ctx: Callable[..., AppContext], database_url: str, rq_queue: RQQueue
) -> None:
    from app.jobs import RETRY_INTERVALS, rq_entry

    ctx = make_ctx(database_url, jobs=rq_queue)
    _RAN.clear()
    set_worker_context(ctx)
    try:
        assert rq_entry(_writes_two_sends) == "done"
    finally:
        set_worker_context(None)
    assert _RAN == [("job", 0), ("fail", 1), ("note", 2)]  # after the job, in order
    assert rq_queue.queue.count == 0  # nothing queued to run now
    [job_id] = rq_queue.queue.scheduled_job_registry.get_job_ids()  # the failed one, retried
    retry = rq_queue.queue.fetch_job(job_id)
    assert retry is not None and retry.args == (_fail, 1)
    assert retry.retries_left == len(RETRY_INTERVALS) - 1
    _RAN.clear()
    rq_queue.enqueue_after_job(_note, 3)  # outside a job (the web app): a plain RQ job
    assert rq_queue.queue.count == 1 and _RAN == []


def test_an_unreadable_due_entry_never_blocks_the_others(rq_queue: RQQueue) -> None:
    """A delayed job queued under a name that no longer exists (renamed by a deploy) is
    dropped alone; every other due turn still reaches the queue."""
    start = time.time()
    rq_queue.redis.zadd(rq_queue.due_key, {'["app.turns.process_conversation", [3]]': start})
    rq_queue.enqueue_in(0.0, _note, 8)
    rq_queue.enqueue_in(0.0, _note, 9)
    assert rq_queue.release_due(now=start + 1) == 3
    assert {tuple(j.args[1:]) for j in rq_queue.queue.get_jobs()} == {(8,), (9,)}
    assert rq_queue.redis.zcard(rq_queue.due_key) == 0


def _noop_job(ctx: object) -> None:
    """A job for the retry test (never run here)."""


def test_a_retry_is_taken_back_by_any_worker_once_without_rq_scheduler(rq_queue: RQQueue) -> None:
    rq_queue.retry_later(_noop_job)  # what a failed send does: RQ parks it as scheduled
    assert rq_queue.queue.count == 0
    now = time.time()
    assert rq_queue.release_scheduled(now=now) == 0  # not due yet
    later = now + 3600
    # Two workers polling at once: the job goes back on the queue exactly once.
    other = RQQueue(rq_queue.redis, rq_queue.queue.name)
    assert rq_queue.release_scheduled(now=later) + other.release_scheduled(now=later) == 1
    assert rq_queue.queue.count == 1
