"""A turn never loses a text (DESIGN.md §2): its texts are marked handled only in the
transaction that saves its answer, so a worker that dies mid-turn leaves them for the
sweeper, and an unexpected error ends in the fallback reply and a staff alert."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from agent import copy as agent_copy
from agent.engine import Answer, History, TurnResult, failed_answer
from agent.models.base import ChatRequest, ChatResponse
from agent.models.scripted import ScriptedModel, say
from agent.store import AgentTurn
from agent.tools import AgentDeps
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
    assert alert.reason == "other" and "error" in alert.summary
    assert "dog" not in alert.summary  # staff summaries carry no message text
    assert _inbound_status(desk) == ["processed"]
    desk.clock.advance(dt.timedelta(minutes=5))
    run_due(desk.ctx)
    assert desk.ctx.recording.bodies(JANE) == [agent_copy.FALLBACK]


def _alerts(desk: Desk) -> list[StaffAlert]:
    with desk.ctx.db.session() as s:
        return list(s.scalars(select(StaffAlert).where(StaffAlert.kind == "alert")))


def test_an_emergency_still_gets_911_when_the_turn_fails(desk: Desk) -> None:
    """Even when the turn breaks, a patient describing an emergency is told to call 911."""
    text = "my lip is turning white and it really hurts after filler"
    conversation_id = _stored_text(desk, text)
    clinic = desk.ctx.clinic("glow-austin")
    assert clinic is not None
    alerts: list[str] = []
    deps = AgentDeps(
        db=desk.ctx.db,
        clinic=clinic,
        terms=desk.ctx.clinic_terms(clinic),
        emr=desk.ctx.emr_for(clinic),
        deposits=desk.ctx.deposits,
        conversation_id=conversation_id,
        patient_phone=JANE,
        now=desk.clock.now(),
        handoff=lambda reason, summary: alerts.append(reason),
    )
    done = failed_answer(deps, ScriptedModel([]), text, History([], 1))
    assert "911" in done.result.replies[0]
    assert alerts == ["emergency"]


def test_a_turn_whose_texts_were_answered_meanwhile_sends_nothing_more(desk: Desk) -> None:
    """A slow turn whose lock lapsed while another worker answered the same text does not
    answer it a second time."""
    conversation_id = _stored_text(desk, "how much is botox")
    slow = turn_flow._prepare(desk.ctx, conversation_id, desk.clock.now())
    assert slow is not None
    turn_flow.take_turn(desk.ctx, conversation_id)  # another worker answers first
    assert len(desk.ctx.recording.bodies(JANE)) == 1
    late = Answer(
        TurnResult(["A second answer"]),
        slow.history.next_turn,
        [],
        AgentTurn(conversation_id=conversation_id, model="scripted"),
    )
    turn_flow._save(desk.ctx, slow, late, desk.clock.now())
    assert len(desk.ctx.recording.bodies(JANE)) == 1
