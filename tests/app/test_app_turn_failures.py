"""A turn never loses a text (DESIGN.md §2): its texts are marked handled only in the
transaction that saves its answer, so a worker that dies mid-turn leaves them for the
sweeper, and an unexpected error ends in the fallback reply and a staff alert."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from agent import copy as agent_copy
from agent.models.base import ChatRequest, ChatResponse
from agent.models.scripted import ScriptedModel, say
from app.flows import turn as turn_flow
from app.flows.sweeper import run_due
from messaging.models import Message, StaffAlert
from tests.app.conftest import JANE, Desk
from tests.steps import HeldJobs


class WorkerKilled(BaseException):
    """What ``kill -9`` looks like from inside the turn: nothing after it runs."""


def _killed(_request: ChatRequest) -> ChatResponse:
    raise WorkerKilled


def _stored_text(desk: Desk, body: str) -> int:
    """Store a patient text whose turn job is enqueued but not run; the conversation id."""
    live, held = desk.ctx.jobs, HeldJobs()
    desk.ctx.jobs = held  # type: ignore[assignment]
    try:
        assert desk.text(body).status_code == 200
    finally:
        desk.ctx.jobs = live
    [(job, (conversation_id,))] = held.jobs
    assert job is turn_flow.take_turn
    return conversation_id


def _inbound_status(desk: Desk) -> list[str]:
    return [m.status for m in desk.messages(Message.direction == "in")]


def test_a_worker_killed_mid_turn_leaves_the_text_and_the_sweeper_answers_it(desk: Desk) -> None:
    conversation_id = _stored_text(desk, "how much is botox")
    desk.ctx.chat_model = ScriptedModel([_killed])
    with pytest.raises(WorkerKilled):
        turn_flow.take_turn(desk.ctx, conversation_id)
    assert _inbound_status(desk) == ["received"]  # not lost: still waiting for a turn
    assert desk.ctx.recording.bodies(JANE) == []

    desk.ctx.chat_model = ScriptedModel([say("Botox is $13 per unit.")])
    desk.clock.advance(dt.timedelta(seconds=61))
    run_due(desk.ctx)
    assert desk.ctx.recording.bodies(JANE) == ["Botox is $13 per unit."]
    assert _inbound_status(desk) == ["processed"]
    run_due(desk.ctx)  # answered once, never twice
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def test_an_unexpected_error_ends_in_the_fallback_and_a_staff_alert(desk: Desk) -> None:
    conversation_id = _stored_text(desk, "can i bring my dog to my appointment")
    desk.ctx.chat_model = ScriptedModel([RuntimeError("a bug in a tool")])
    turn_flow.take_turn(desk.ctx, conversation_id)
    assert desk.ctx.recording.bodies(JANE) == [agent_copy.FALLBACK]
    [alert] = _alerts(desk)
    assert "bring my dog" in alert.summary
    assert _inbound_status(desk) == ["processed"]
    desk.clock.advance(dt.timedelta(minutes=5))
    run_due(desk.ctx)
    assert desk.ctx.recording.bodies(JANE) == [agent_copy.FALLBACK]


def _alerts(desk: Desk) -> list[StaffAlert]:
    with desk.ctx.db.session() as s:
        return list(s.scalars(select(StaffAlert).where(StaffAlert.kind == "alert")))
