"""Spending and abuse are bounded (issue 11, ``clinic.limits``): texts per number per minute
and hour, patient text per turn, the clinic's daily model tokens and the AI replies per number
per day. Past a limit the patient gets one polite reply, staff are alerted and the AI pauses;
an emergency is still answered with 911. The clock is frozen and moved by hand."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

from agent import copy as agent_copy
from agent.limits import cap_text
from agent.models.base import ChatResponse, Usage
from agent.models.scripted import ScriptedModel, say
from agent.store import AgentStep, AgentTurn
from app import copy
from app.context import AppContext
from app.flows.staff import resume_ai
from app.jobs import RQQueue, set_worker_context
from app.web import create_app
from knowledge.clinic_file import ClinicFile, Limits
from knowledge.seed import seed_clinic
from messaging.models import Conversation, Message, StaffAlert
from messaging.rate_counter import RedisRateCounter
from tests.app.conftest import JANE, OMAR, Desk
from tests.conftest import REDIS_URL

EMERGENCY_TEXT = "my lip is turning white and it really hurts after filler"


def _limit(ctx: AppContext, clinic: ClinicFile, **limits: Any) -> None:
    """Re-seed the demo clinic with ``clinic.limits`` set to ``limits``."""
    info = clinic.clinic.model_copy(update={"limits": Limits(**limits)})
    seed_clinic(ctx.db, clinic.model_copy(update={"clinic": info}))


def _alerts(ctx: AppContext) -> list[StaffAlert]:
    with ctx.db.session() as s:
        rows = list(s.scalars(select(StaffAlert).where(StaffAlert.kind == "alert")))
        s.expunge_all()
        return rows


def _paused(ctx: AppContext, phone: str = JANE) -> bool:
    with ctx.db.session() as s:
        return bool(
            s.scalar(select(Conversation.ai_paused).where(Conversation.patient_phone == phone))
        )


def _spends(tokens: int, text: str = "Botox is $13 per unit.") -> ChatResponse:
    """A scripted model reply that used ``tokens`` (prompt + completion)."""
    return ChatResponse(content=text, usage=Usage(tokens - 100, 100))


# --- texts per number per minute and per hour ----------------------------------------------


def test_a_number_past_its_texts_per_minute_gets_one_polite_reply_and_staff(
    desk: Desk, demo_clinic: ClinicFile
) -> None:
    _limit(desk.ctx, demo_clinic, texts_per_minute=3)
    for question in ("how much is botox", "and lip filler?", "do you validate parking"):
        [reply] = desk.say(question)
        assert reply != copy.LIMIT_REACHED
    assert desk.say("what about a hydrafacial") == [copy.LIMIT_REACHED]
    [alert] = _alerts(desk.ctx)
    assert alert.reason == "rate_limit" and "4 texts within a minute (limit 3)" in alert.summary
    assert "hydrafacial" not in alert.summary  # staff summaries carry no patient text
    assert _paused(desk.ctx)
    staff_texts = desk.messages(Message.to_number == "+15125550199")
    assert len(staff_texts) == 1 and "Rate Limit" in staff_texts[0].body
    assert desk.say("hello??") == []  # one polite reply, then the AI stays silent
    desk.clock.advance(dt.timedelta(minutes=5))
    assert desk.say("anyone there") == []  # paused until staff resume, not just for a minute
    assert len(_alerts(desk.ctx)) == 1  # staff see the new texts as during any takeover


def test_the_hourly_limit_counts_across_minutes(desk: Desk, demo_clinic: ClinicFile) -> None:
    _limit(desk.ctx, demo_clinic, texts_per_minute=2, texts_per_hour=3)
    assert desk.say("how much is botox") != [copy.LIMIT_REACHED]
    assert desk.say("and lip filler?") != [copy.LIMIT_REACHED]
    desk.clock.advance(dt.timedelta(minutes=1))  # a new minute: the minute's count starts over
    assert desk.say("do you validate parking") != [copy.LIMIT_REACHED]
    desk.clock.advance(dt.timedelta(minutes=10))
    assert desk.say("what about a hydrafacial") == [copy.LIMIT_REACHED]
    [alert] = _alerts(desk.ctx)
    assert "4 texts within an hour (limit 3)" in alert.summary


def test_each_number_has_its_own_count(desk: Desk, demo_clinic: ClinicFile) -> None:
    _limit(desk.ctx, demo_clinic, texts_per_minute=1)
    assert desk.say("how much is botox") != [copy.LIMIT_REACHED]
    assert desk.say("how much is botox", OMAR) != [copy.LIMIT_REACHED]
    assert desk.say("and lip filler?") == [copy.LIMIT_REACHED]
    assert not _paused(desk.ctx, OMAR)


# --- the same on Postgres with Redis: the count is shared by every worker ------------------


@pytest.fixture
def rq_queue() -> Iterator[RQQueue]:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis not reachable: {type(exc).__name__}")
    queue = RQQueue.from_url(REDIS_URL, queue_name=f"frontdesk-test-{uuid.uuid4().hex[:8]}")
    yield queue
    queue.queue.delete(delete_jobs=True)
    queue.redis.delete(queue.due_key)


def _replies(ctx: AppContext, phone: str = JANE) -> list[str]:
    """Every text queued to ``phone``, oldest first."""
    with ctx.db.session() as s:
        return list(
            s.scalars(
                select(Message.body)
                .where(Message.direction == "out", Message.to_number == phone)
                .order_by(Message.id)
            )
        )


def _rq_turn(desk: Desk, worker_ctx: AppContext, queue: RQQueue, body: str) -> list[str]:
    """Text ``body`` through the webhook, let the burst window pass, and run the RQ worker
    (its process's context ``worker_ctx``) until the queue is empty; the new texts to Jane."""
    from rq import SimpleWorker

    before = len(_replies(desk.ctx))
    assert desk.text(body).status_code == 200
    desk.clock.advance(dt.timedelta(seconds=5))
    queue.release_due(now=dt.datetime.now(dt.UTC).timestamp() + 60)
    set_worker_context(worker_ctx)
    try:
        SimpleWorker([queue.queue], connection=queue.redis).work(burst=True)
    finally:
        set_worker_context(None)
    return _replies(desk.ctx)[before:]


@pytest.mark.postgres
@pytest.mark.redis
def test_rate_limit_on_postgres_and_redis_is_shared_by_workers(
    make_ctx: Callable[..., AppContext],
    pg_app_db: Any,
    rq_queue: RQQueue,
    demo_clinic: ClinicFile,
) -> None:
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    web, other_worker = (make_ctx(pg_app_db.url, jobs=rq_queue) for _ in range(2))
    namespace = f"frontdesk-test:rate:{uuid.uuid4().hex[:8]}"  # this run's own keys
    for ctx in (web, other_worker):
        assert isinstance(ctx.rates, RedisRateCounter)  # wiring counts in Redis when it has one
        ctx.rates.namespace = namespace
    _limit(web, demo_clinic, texts_per_minute=2)
    desk = Desk(ctx=web, client=create_app(context=web).test_client(), clock=web.clock)  # type: ignore[arg-type]
    try:
        assert len(_rq_turn(desk, web, rq_queue, "how much is botox")) == 1
        assert _rq_turn(desk, web, rq_queue, "and lip filler?") != [copy.LIMIT_REACHED]
        # A worker process of its own sees the count the first one left in Redis.
        assert _rq_turn(desk, other_worker, rq_queue, "parking?") == [copy.LIMIT_REACHED]
        [alert] = _alerts(web)
        assert alert.reason == "rate_limit" and _paused(web)
        keys = rq_queue.redis.keys(f"{namespace}:*")
        assert keys and not any(b"5550121" in k for k in keys)  # no patient number in Redis
        assert _rq_turn(desk, web, rq_queue, "hello?") == []
    finally:
        for key in rq_queue.redis.keys(f"{namespace}:*"):
            rq_queue.redis.delete(key)


def test_an_unreachable_redis_lets_texts_through() -> None:
    counter = RedisRateCounter(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    now = dt.datetime(2026, 11, 23, 16, tzinfo=dt.UTC)
    assert counter.hit("glow-austin:x", 1, window_seconds=60, now=now) == 0


# --- patient text per turn -----------------------------------------------------------------


def test_a_long_text_reaches_the_model_cut_with_a_note(desk: Desk, demo_clinic: ClinicFile) -> None:
    _limit(desk.ctx, demo_clinic, max_text_chars=200)
    model = ScriptedModel([say("Happy to help with Botox!")])
    desk.ctx.chat_model = model
    ask = "so can i book botox on saturday morning?"
    long_text = "hi, quick question first. " + "my sister loves you guys and " * 20 + ask
    assert desk.say(long_text) == ["Happy to help with Botox!"]
    [request] = model.requests
    seen = request.messages[-1]
    assert seen.role == "user" and seen.content is not None
    assert seen.content.startswith("hi, quick question first.") and seen.content.endswith(ask)
    cut = len(long_text) - 200
    assert f"[{cut} of the {len(long_text)} characters of the patient's message are cut" in (
        seen.content
    )
    assert len(seen.content) < 300
    with desk.ctx.db.session() as s:  # the transcript keeps what the model saw
        stored = s.scalar(select(AgentStep.content).where(AgentStep.role == "user"))
    assert stored == seen.content


def test_a_short_text_reaches_the_model_whole(desk: Desk, demo_clinic: ClinicFile) -> None:
    _limit(desk.ctx, demo_clinic, max_text_chars=200)
    model = ScriptedModel([say("Botox is $13 per unit.")])
    desk.ctx.chat_model = model
    desk.say("how much is botox")
    assert model.requests[0].messages[-1].content == "how much is botox"


def test_an_emergency_in_the_cut_part_is_still_read(desk: Desk, demo_clinic: ClinicFile) -> None:
    _limit(desk.ctx, demo_clinic, max_text_chars=200)
    model = ScriptedModel([])
    desk.ctx.chat_model = model
    before = "so about my appointment last week, everything went fine at first. " * 2
    after = " anyway i also wanted to ask what you charge for a hydrafacial." * 4
    assert EMERGENCY_TEXT not in cap_text(before + EMERGENCY_TEXT + after, 200)
    assert desk.say(before + EMERGENCY_TEXT + after) == [agent_copy.EMERGENCY]
    assert model.requests == [] and [a.reason for a in _alerts(desk.ctx)] == ["emergency"]


# --- the clinic's daily model tokens --------------------------------------------------------


def test_a_spent_token_budget_stops_the_model_for_every_patient_until_the_next_day(
    desk: Desk, demo_clinic: ClinicFile
) -> None:
    _limit(desk.ctx, demo_clinic, daily_model_tokens=1000)
    model = ScriptedModel([_spends(1100), say("Lip filler starts at $650.")])
    desk.ctx.chat_model = model
    assert desk.say("how much is botox") == ["Botox is $13 per unit."]
    assert desk.say("how much is lip filler", OMAR) == [agent_copy.OVER_BUDGET]
    assert len(model.requests) == 1  # no model ran for Omar
    [alert] = _alerts(desk.ctx)
    assert alert.reason == "token_budget" and "1,100 of 1,000" in alert.summary
    assert _paused(desk.ctx, OMAR) and not _paused(desk.ctx, JANE)
    assert desk.say("hello?", OMAR) == []  # one polite reply
    with desk.ctx.db.session() as s:
        outcomes = list(s.scalars(select(AgentTurn.outcome).order_by(AgentTurn.id)))
    assert outcomes == ["ok", "limit"]
    desk.clock.advance(dt.timedelta(hours=14, minutes=5))  # Tuesday 00:05 in Austin
    assert desk.say("and lip filler?") == ["Lip filler starts at $650."]


# --- AI replies per number per day ---------------------------------------------------------


def test_the_daily_reply_cap_pauses_the_ai_until_staff_resume_it(
    desk: Desk, demo_clinic: ClinicFile
) -> None:
    _limit(desk.ctx, demo_clinic, replies_per_day=2)
    assert desk.say("how much is botox") != [copy.LIMIT_REACHED]
    assert desk.say("and lip filler?") != [copy.LIMIT_REACHED]
    assert desk.say("do you validate parking") == [copy.LIMIT_REACHED]
    [alert] = _alerts(desk.ctx)
    assert alert.reason == "reply_cap" and "2 AI replies today (limit 2)" in alert.summary
    assert _paused(desk.ctx)
    assert desk.say("??") == []
    with desk.ctx.db.session() as s:
        conversation_id = s.scalar(
            select(Conversation.id).where(Conversation.patient_phone == JANE)
        )
    assert conversation_id is not None
    desk.clock.advance(dt.timedelta(hours=9))  # 19:00 in Austin: a new day in UTC only
    resume_ai(desk.ctx, conversation_id)
    assert desk.say("do you validate parking") == [copy.LIMIT_REACHED]  # still today there
    desk.clock.advance(dt.timedelta(hours=5, minutes=5))  # Tuesday 00:05 in Austin
    resume_ai(desk.ctx, conversation_id)
    [reply] = desk.say("do you validate parking")
    assert reply != copy.LIMIT_REACHED and "park" in reply.lower()


# --- an emergency is answered past every limit ---------------------------------------------


def _over_tokens(desk: Desk) -> None:
    desk.ctx.chat_model = ScriptedModel([_spends(1100)])


@pytest.mark.parametrize(
    ("limits", "prepare"),
    [
        ({"texts_per_minute": 1}, None),
        ({"texts_per_hour": 1}, None),
        ({"replies_per_day": 1}, None),
        ({"daily_model_tokens": 1000}, _over_tokens),
    ],
    ids=["texts_per_minute", "texts_per_hour", "replies_per_day", "daily_model_tokens"],
)
def test_an_emergency_past_a_limit_still_gets_911(
    desk: Desk,
    demo_clinic: ClinicFile,
    limits: dict[str, int],
    prepare: Callable[[Desk], None] | None,
) -> None:
    _limit(desk.ctx, demo_clinic, **limits)
    if prepare is not None:
        prepare(desk)
    [first] = desk.say("how much is botox")
    assert first != copy.LIMIT_REACHED
    assert desk.say(EMERGENCY_TEXT) == [agent_copy.EMERGENCY]
    assert [a.reason for a in _alerts(desk.ctx)] == ["emergency"]
    assert _paused(desk.ctx)


def test_an_emergency_after_a_limit_paused_the_ai_still_gets_911(
    desk: Desk, demo_clinic: ClinicFile
) -> None:
    _limit(desk.ctx, demo_clinic, texts_per_minute=1)
    desk.say("how much is botox")
    assert desk.say("and lip filler?") == [copy.LIMIT_REACHED]
    assert desk.say(EMERGENCY_TEXT) == [agent_copy.EMERGENCY]
    assert [a.reason for a in _alerts(desk.ctx)] == ["rate_limit", "emergency"]
