"""Nothing lost, nothing doubled: quiet hours, segment budget, retries, the sweeper, invalid
senders, burst coalescing and the per-conversation lock (SQLite, Postgres and Redis)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

import app.flows.turn as turns
from app.context import AppContext
from app.flows.sending import send_message
from app.flows.sweeper import run_due
from app.jobs import RQQueue
from booking.notify import tell_patient
from messaging.base import SendError
from messaging.models import Conversation, Message
from messaging.outbound import MAX_SEND_ATTEMPTS, queue_reply_parts, queue_text
from messaging.segments import count_segments, is_gsm
from tests.app.conftest import CLINIC, JANE, Desk
from tests.conftest import REDIS_URL

CHICAGO = dt.timezone(dt.timedelta(hours=-6))


def _queue(ctx: AppContext, *, to: str = JANE, kind: str = "reply", body: str = "hi") -> int:
    with ctx.db.session() as s:
        return queue_text(
            s,
            clinic_id="glow-austin",
            from_number=CLINIC,
            to_number=to,
            body=body,
            carrier="telnyx",
            now=ctx.clock.now(),
            kind=kind,
        ).id


def _row(ctx: AppContext, message_id: int) -> Message:
    with ctx.db.session() as s:
        row = s.get(Message, message_id)
        assert row is not None
        s.expunge(row)
        return row


# --------------------------------------------------------------------------- quiet hours


def test_reminder_at_night_is_deferred_to_8am_and_sent_by_the_sweeper(desk: Desk) -> None:
    ctx = desk.ctx
    desk.clock.set(dt.datetime(2026, 11, 23, 22, 30, tzinfo=CHICAGO))
    message_id = _queue(ctx, kind="reminder", body="See you tomorrow at 4")
    row = _row(ctx, message_id)
    assert row.status == "queued"
    assert row.send_after == dt.datetime(2026, 11, 24, 8, 0, tzinfo=CHICAGO)
    assert ctx.recording.sent == []
    desk.clock.set(dt.datetime(2026, 11, 24, 7, 59, tzinfo=CHICAGO))
    run_due(ctx)
    assert ctx.recording.sent == []
    desk.clock.set(dt.datetime(2026, 11, 24, 8, 0, tzinfo=CHICAGO))
    assert run_due(ctx)["outbound_requeued"] == 1
    assert _row(ctx, message_id).status == "recorded"
    assert ctx.recording.bodies(JANE) == ["See you tomorrow at 4"]


@pytest.mark.parametrize("kind", ["reply", "textback", "opt_out_confirmation", "hold_expired"])
def test_answers_are_not_deferred(desk: Desk, kind: str) -> None:
    desk.clock.set(dt.datetime(2026, 11, 23, 23, 0, tzinfo=CHICAGO))
    assert _row(desk.ctx, _queue(desk.ctx, kind=kind)).status == "recorded"


def test_recipient_zone_comes_from_the_area_code(desk: Desk) -> None:
    ctx = desk.ctx
    desk.clock.set(dt.datetime(2026, 11, 23, 7, 30, tzinfo=CHICAGO))  # 8:30 NY, 5:30 LA
    new_york = _queue(ctx, to="+12125550123", kind="waitlist")
    los_angeles = _queue(ctx, to="+14155550123", kind="follow_up")
    austin = _queue(ctx, to=JANE, kind="reminder")
    assert _row(ctx, new_york).status == "recorded"
    la_row = _row(ctx, los_angeles)
    assert la_row.status == "queued"
    assert la_row.send_after == dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)  # 8am PST
    assert _row(ctx, austin).send_after == dt.datetime(2026, 11, 23, 8, 0, tzinfo=CHICAGO)


def test_booking_reminders_through_tell_patient_are_deferred(desk: Desk) -> None:
    desk.say("hi")
    desk.clock.set(dt.datetime(2026, 11, 24, 5, 0, tzinfo=CHICAGO))
    with desk.ctx.db.session() as s:
        conversation_id = s.execute(select(Conversation.id)).scalar_one()
        row = tell_patient(
            s, conversation_id, body="Reminder", kind="reminder", now=desk.clock.now()
        )
        assert row is not None and row.send_after is not None


# --------------------------------------------------------------------------- segments


def test_long_reply_is_split_within_the_budget_and_normalised(desk: Desk) -> None:
    sentence = "Botox softens frown lines \u2014 it\u2019s quick and most people return to work. "
    desk.say("hi")
    with desk.ctx.db.session() as s:
        conversation = s.execute(select(Conversation)).scalar_one()
        rows = queue_reply_parts(
            s, conversation, sentence * 12, now=desk.clock.now(), max_segments=3
        )
        bodies = [r.body for r in rows]
    assert 1 < len(bodies) <= 3
    assert sum(count_segments(b) for b in bodies) <= 3
    assert all(is_gsm(b) and count_segments(b) == 1 for b in bodies)
    assert bodies[0].endswith(".")  # split at a sentence boundary


def test_short_reply_stays_one_message(desk: Desk) -> None:
    replies = desk.say("how much is botox")
    assert len(replies) == 1 and sum(count_segments(r) for r in replies) <= 3


# --------------------------------------------------------------------------- retries


def test_transient_failures_back_off_and_retry_with_one_key(desk: Desk) -> None:
    ctx = desk.ctx
    ctx.recording.fail_next(
        SendError("429", code="10011", permanent=False),
        SendError("503", code="503", permanent=False),
    )
    message_id = _queue(ctx)
    row = _row(ctx, message_id)
    assert row.status == "queued" and row.attempts == 1 and row.error_code == "10011"
    assert row.send_after is not None and row.send_after > ctx.clock.now()
    assert run_due(ctx)["outbound_requeued"] == 0  # backoff not over
    desk.clock.advance(dt.timedelta(seconds=2))
    run_due(ctx)
    assert _row(ctx, message_id).attempts == 2
    desk.clock.advance(dt.timedelta(seconds=10))
    run_due(ctx)
    assert _row(ctx, message_id).status == "recorded"
    keys = {m.idempotency_key for m in ctx.recording.attempts}
    assert len(keys) == 1 and keys.pop().startswith(f"msg-{message_id}-")  # one key, every try
    assert len(ctx.recording.sent) == 1


def test_attempts_are_capped(desk: Desk) -> None:
    ctx = desk.ctx
    ctx.recording.fail_next(
        *[SendError("timeout", code="timeout", permanent=False)] * (MAX_SEND_ATTEMPTS + 2)
    )
    message_id = _queue(ctx)
    for _ in range(MAX_SEND_ATTEMPTS + 2):
        desk.clock.advance(dt.timedelta(minutes=15))
        run_due(ctx)
    row = _row(ctx, message_id)
    assert row.status == "failed" and row.attempts == MAX_SEND_ATTEMPTS
    assert "gave up" in (row.error_detail or "")


def test_permanent_error_is_recorded_and_not_retried(desk: Desk) -> None:
    ctx = desk.ctx
    ctx.recording.fail_next(SendError("invalid number", code="40310", permanent=True))
    message_id = _queue(ctx)
    desk.clock.advance(dt.timedelta(hours=1))
    run_due(ctx)
    row = _row(ctx, message_id)
    assert row.status == "failed" and row.error_code == "40310" and row.attempts == 1
    assert send_message(ctx, message_id) == "skipped"


# --------------------------------------------------------------------------- sweeper


class _DeadWorkerQueue:
    """Accepts jobs and never runs them: the worker that should have died mid-way."""

    delays = False
    retries = False

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def enqueue(self, func: Callable[..., Any], *args: Any) -> None:
        self.jobs.append((func, args))


def test_inbound_left_by_a_dead_worker_is_answered_once(
    make_ctx: Callable[..., AppContext], database_url: str, desk_factory: Callable[..., Desk]
) -> None:
    desk = desk_factory()
    live = desk.ctx.jobs
    dead = _DeadWorkerQueue()
    desk.ctx.jobs = dead
    assert desk.text("how much is botox").status_code == 200
    assert [func for func, _ in dead.jobs] == [turns.take_turn]  # enqueued, never run
    desk.ctx.jobs = live
    assert run_due(desk.ctx)["inbound_requeued"] == 0  # not stale yet
    desk.clock.advance(dt.timedelta(seconds=61))
    assert run_due(desk.ctx)["inbound_requeued"] == 1
    assert len(desk.ctx.recording.bodies(JANE)) == 1
    desk.clock.advance(dt.timedelta(minutes=5))
    assert run_due(desk.ctx)["inbound_requeued"] == 0
    assert len(desk.ctx.recording.bodies(JANE)) == 1


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize("sender", ["anonymous", "12345", "+1"])
def test_invalid_sender_is_stored_and_not_answered(desk: Desk, sender: str) -> None:
    event_id = desk.event_id()
    for _ in range(2):
        assert desk.text("hello", sender=sender, event_id=event_id).status_code == 200
    [row] = desk.messages(Message.direction == "in")
    assert row.status == "invalid_sender" and row.conversation_id is None
    assert desk.count(Conversation) == 0 and desk.ctx.recording.sent == []


def test_sender_is_normalised_to_e164(desk: Desk) -> None:
    desk.text("hi", sender="(512) 555-0121")
    [row] = desk.messages(Message.direction == "in")
    assert row.from_number == JANE


# --------------------------------------------------------------------------- bursts


class _DelayingQueue:
    """A queue with a scheduler, driven by hand: ``enqueue_in`` calls are recorded."""

    delays = True
    retries = False

    def __init__(self) -> None:
        self.later: list[tuple[float, Callable[..., Any], tuple[Any, ...]]] = []
        self.now: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def enqueue(self, func: Callable[..., Any], *args: Any) -> None:
        self.now.append((func, args))

    def enqueue_in(self, seconds: float, func: Callable[..., Any], *args: Any) -> None:
        self.later.append((seconds, func, args))


def _turn_texts(ctx: AppContext) -> list[str]:
    """What each agent turn answered (its coalesced patient text), from the transcript."""
    from agent.store import AgentStep

    with ctx.db.session() as s:
        return list(
            s.execute(
                select(AgentStep.content).where(AgentStep.role == "user").order_by(AgentStep.id)
            ).scalars()
        )


def test_three_quick_texts_are_one_turn(desk: Desk) -> None:
    ctx = desk.ctx
    inline = ctx.jobs
    queue = _DelayingQueue()
    ctx.jobs = queue
    for text in ("hi", "how much is botox", "for my forehead"):
        assert desk.text(text).status_code == 200
        desk.clock.advance(dt.timedelta(seconds=1))
    assert [(s, n) for s, n, _ in queue.later] == [(4.0, turns.take_turn)] * 3
    [(_, _, (conversation_id,))] = queue.later[:1]
    queue.later.clear()
    turns.take_turn(ctx, conversation_id)  # 1 s after the last text: wait
    assert _turn_texts(ctx) == [] and [round(s, 3) for s, _, _ in queue.later] == [3.0]
    desk.clock.advance(dt.timedelta(seconds=3))
    ctx.jobs = inline  # replies go out inline
    turns.take_turn(ctx, conversation_id)
    turns.take_turn(ctx, conversation_id)  # the other scheduled jobs: no-ops
    assert _turn_texts(ctx) == ["hi\nhow much is botox\nfor my forehead"]
    assert len(ctx.recording.bodies(JANE)) == 1


# --------------------------------------------------------------------------- lock


@pytest.fixture
def redis_queue() -> Iterator[RQQueue]:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis not reachable: {type(exc).__name__}")
    queue = RQQueue.from_url(REDIS_URL, queue_name=f"frontdesk-test-{uuid.uuid4().hex[:8]}")
    yield queue
    queue.queue.delete(delete_jobs=True)


@pytest.mark.postgres
@pytest.mark.redis
def test_one_worker_at_a_time_per_conversation(
    make_ctx: Callable[..., AppContext],
    pg_app_db: Any,
    redis_queue: RQQueue,
    monkeypatch: pytest.MonkeyPatch,
    desk_factory: Callable[..., Desk],
) -> None:
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    ctx = make_ctx(pg_app_db.url, jobs=redis_queue)
    from app.web import create_app

    desk = Desk(ctx=ctx, client=create_app(context=ctx).test_client(), clock=ctx.clock)  # type: ignore[arg-type]
    desk.text("how much is botox")
    desk.clock.advance(dt.timedelta(seconds=5))  # burst window over
    with ctx.db.session() as s:
        conversation_id = s.execute(select(Conversation.id)).scalar_one()
    held, release = threading.Event(), threading.Event()

    def other_worker_holding_the_lock() -> None:
        with ctx.conversation_lock(conversation_id):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=other_worker_holding_the_lock)
    holder.start()
    assert held.wait(10)
    assert redis_queue.redis.exists(f"frontdesk:conversation:{conversation_id}")
    worker = threading.Thread(target=turns.take_turn, args=(ctx, conversation_id))
    worker.start()
    worker.join(0.3)
    assert worker.is_alive() and _turn_texts(ctx) == []  # waiting for the lock, no turn yet
    release.set()
    holder.join(10)
    worker.join(10)
    turns.take_turn(ctx, conversation_id)  # a second run finds nothing to answer
    assert _turn_texts(ctx) == ["how much is botox"]
    with ctx.db.session() as s:
        replies = s.execute(select(Message).where(Message.direction == "out")).scalars().all()
    assert len(replies) == 1
