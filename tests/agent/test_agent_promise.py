"""A reply that says the team will follow up is a real staff alert with the patient's question,
whichever model wrote it; an off-topic question gets no such promise (DESIGN.md §2)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from agent.engine import run_turn
from agent.models.scripted import ScriptedModel, say
from agent.offline import OfflineModel
from app.context import AppContext
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, StaffAlert
from tests.agent.test_agent_engine import _deps


def test_a_models_promise_to_check_with_the_team_alerts_staff_with_the_question(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    model = ScriptedModel([say("Great question, let me check with the team and get back to you!")])
    result = run_turn(deps, model, "do you validate parking at the garage on 5th?")
    assert not result.handed_off  # the AI stays on
    with ctx.db.session() as s:
        alert = s.scalars(select(StaffAlert)).one()
        assert not s.get(Conversation, deps.conversation_id).ai_paused  # type: ignore[union-attr]
    assert alert.kind == "alert" and alert.reason == "question"
    assert "validate parking at the garage on 5th" in alert.summary


def test_an_ordinary_answer_alerts_nobody(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    run_turn(_deps(ctx, demo_clinic), ScriptedModel([say("Botox is $13/unit.")]), "botox price?")
    with ctx.db.session() as s:
        assert s.scalars(select(StaffAlert)).all() == []


def test_the_offline_model_does_not_promise_the_team_an_answer_about_the_weather(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    result = run_turn(
        _deps(ctx, demo_clinic), OfflineModel(), "whats the weather gonna be like tmrw"
    )
    assert "check with the team" not in result.replies[0]
    with ctx.db.session() as s:
        assert s.scalars(select(StaffAlert)).all() == []
