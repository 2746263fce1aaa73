"""Safety triage runs before any model: an emergency gets 911 and staff, a medical question
gets no advice and a handoff, whatever the chat model would have said."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from agent import copy
from agent.engine import run_turn
from agent.guardrails import GuardrailContext, SafetyTriage
from agent.models.base import ChatModel
from agent.models.scripted import ScriptedModel, say
from agent.offline import OfflineModel
from agent.store import AgentStep
from app.context import AppContext
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, StaffAlert
from tests.agent.test_agent_engine import _deps

NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
#: What a careless chat model might answer to a worried patient.
ADVICE = "That's normal swelling, just ice it and take ibuprofen."


def _gpt_like() -> ScriptedModel:
    return ScriptedModel([say(ADVICE)], name="gpt-like")


@pytest.mark.parametrize("model_factory", [_gpt_like, OfflineModel], ids=["gpt-like", "offline"])
def test_an_emergency_gets_911_and_staff_before_any_model(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    model_factory: Callable[[], ChatModel],
) -> None:
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    model = model_factory()
    result = run_turn(deps, model, "my lip is turning white and it hurts so bad after filler")
    assert result.replies == [copy.EMERGENCY] and "911" in result.replies[0]
    assert result.handed_off and result.outcome == "guardrail" and result.steps == 0
    with ctx.db.session() as s:
        alerts = s.execute(select(StaffAlert.kind, StaffAlert.reason)).all()
        assert s.get(Conversation, deps.conversation_id).ai_paused  # type: ignore[union-attr]
    assert [tuple(a) for a in alerts] == [("alert", "emergency")]
    if isinstance(model, ScriptedModel):
        assert model.requests == []  # the model never saw the text


def test_a_medical_question_gets_no_advice_and_a_handoff(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    model = _gpt_like()
    result = run_turn(
        _deps(ctx, demo_clinic),
        model,
        "got botox 3 days ago and my eyelid is droopy, is that normal",
    )
    assert result.replies == [copy.MEDICAL] and ADVICE not in result.replies
    assert result.handed_off and model.requests == []
    with ctx.db.session() as s:
        assert s.execute(select(StaffAlert.reason)).scalars().all() == ["medical"]
        # The exchange is in the transcript the next turn's model will read.
        steps = s.execute(select(AgentStep.role, AgentStep.content)).all()
    assert [tuple(r) for r in steps][1] == ("assistant", copy.MEDICAL)


def test_a_medical_text_asking_for_a_person_is_handed_off_as_that_request(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    result = run_turn(
        _deps(ctx, demo_clinic), _gpt_like(), "can a real person call me, my lip has a rash"
    )
    assert result.replies == [copy.HANDED_OFF] and result.handed_off
    with ctx.db.session() as s:
        assert s.execute(select(StaffAlert.reason)).scalars().all() == ["patient_request"]


def test_ordinary_texts_and_policy_questions_reach_the_model(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    model = ScriptedModel([say("Botox is $13/unit."), say("Our policy is in our records.")])
    assert run_turn(deps, model, "how much is botox").replies == ["Botox is $13/unit."]
    # A condition with no symptom is answered from the clinic's written policy.
    policy = run_turn(deps, model, "can i get botox while breastfeeding?")
    assert policy.replies == ["Our policy is in our records."] and not policy.handed_off
    assert len(model.requests) == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("i cant breathe and my throat feels tight after my b12 shot", "emergency"),
        ("my vision went blurry after filler", "emergency"),
        ("can filler cause blurry vision?", "medical"),  # a hypothetical is not an emergency
        ("theres a weird bump where i got filler", "medical"),
        ("is botox safe while pregnant?", None),
        ("does botox hurt?", None),
        ("do you have anything thursday after 4?", None),
        ("", None),
    ],
)
def test_triage_reasons(demo_clinic: ClinicFile, text: str, reason: str | None) -> None:
    context = GuardrailContext(clinic=demo_clinic, now=NOW)
    tripwire = SafetyTriage().check(text, context)
    assert (tripwire.handoff_reason if tripwire else None) == reason
    if tripwire is not None:
        assert tripwire.reply == copy.handoff(reason or "")
