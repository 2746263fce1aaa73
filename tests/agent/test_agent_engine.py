"""The turn loop with a scripted model: tools run for real, errors go back as text, failures
never leave the patient in silence."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select

from agent.copy import FALLBACK
from agent.engine import run_turn
from agent.models.base import ChatRequest, ChatResponse, ModelError
from agent.models.scripted import ScriptedModel, call, say
from agent.store import AgentStep, AgentTurn
from agent.tools import AgentDeps, execute
from app.context import AppContext
from app.flows.staff import alert_staff, handoff
from booking.models import Appointment, Deposit
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, StaffAlert
from tests.steps import open_conversation


def _deps(ctx: AppContext, clinic: ClinicFile) -> AgentDeps:
    conv = open_conversation(ctx, "+15125550123")
    return AgentDeps(
        db=ctx.db,
        clinic=clinic,
        terms=ctx.clinic_terms(clinic),
        emr=ctx.emr_for(clinic),
        deposits=ctx.deposits,
        conversation_id=conv,
        patient_phone="+15125550123",
        now=ctx.clock.now(),
        handoff=lambda r, s: handoff(ctx, conv, r, s),
        alert=lambda r, s: alert_staff(ctx, conv, r, s),
    )


def _last_tool(request: ChatRequest) -> dict[str, object]:
    tool = [m for m in request.messages if m.role == "tool"][-1]
    return json.loads(tool.content or "{}")


def test_a_gpt_style_tool_loop_books_with_a_deposit_link(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    model = ScriptedModel(
        [
            call("find_slots", service_id="botox", weekdays=["wed"], after="16:00"),
            lambda req: say(
                "Openings: "
                + "; ".join(f"{s['option']}) {s['when']}" for s in _last_tool(req)["slots"])
            ),  # type: ignore[index,union-attr]
        ]
    )
    first = run_turn(deps, model, "botox wednesday after 4?")
    assert first.replies[0].startswith("Openings: 1) Wed Nov 25 at 4:00 PM CST")
    # The system prompt leads with the static rules and carries the clinic's records.
    system = model.requests[0].messages[0]
    assert system.role == "system" and system.content and system.content.startswith("You are")
    assert "$13/unit" in system.content and "Now: Monday 2026-11-23 10:00 CST" in system.content

    model = ScriptedModel(
        [
            call("hold_slot", option=1),
            call("send_deposit_link", call_id="call_2"),
            lambda req: say(f"Pay here: {_last_tool(req)['link']}"),
        ]
    )
    second = run_turn(deps, model, "1")
    assert "/checkout/loc_" in second.replies[0]
    # History of the first turn (with its tool exchange) reached the model in the second.
    roles = [m.role for m in model.requests[0].messages]
    assert roles[:5] == ["system", "user", "assistant", "tool", "assistant"]
    with ctx.db.session() as s:
        assert s.execute(select(Appointment.status)).scalar_one() == "awaiting_deposit"
        assert s.execute(select(Deposit.status)).scalar_one() == "open"
        turns = s.execute(select(AgentTurn.steps)).scalars().all()
    assert turns == [2, 3]


def test_tool_errors_go_back_to_the_model_as_text(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    model = ScriptedModel(
        [
            call("find_slots", service_id="no-such-service"),
            call("hold_slot", call_id="c2", option="first"),
            call("teleport", call_id="c3"),
            lambda req: say("Sorry about that!"),
        ]
    )
    result = run_turn(_deps(ctx, demo_clinic), model, "book me")
    tools = [json.loads(m.content or "{}") for m in model.requests[-1].messages if m.role == "tool"]
    assert "unknown service_id" in str(tools[0]["error"])
    assert "option" in str(tools[1]["error"])
    assert "unknown tool" in str(tools[2]["error"])
    assert result.replies == ["Sorry about that!"] and not result.handed_off


def test_model_failure_sends_the_fallback_and_alerts_staff(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    result = run_turn(deps, ScriptedModel([ModelError("503 from upstream")]), "hello?")
    assert result.replies == [FALLBACK] and result.handed_off and result.outcome == "model_error"
    with ctx.db.session() as s:
        assert s.execute(select(StaffAlert.kind)).scalars().all() == ["alert"]
        assert s.get(Conversation, deps.conversation_id).ai_paused  # type: ignore[union-attr]


def test_step_cap_ends_a_looping_model_safely(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    loop = [call("search_knowledge", call_id=f"c{i}", query="parking") for i in range(10)]
    result = run_turn(_deps(ctx, demo_clinic), ScriptedModel(loop), "parking?", max_steps=3)
    assert result.outcome == "step_cap" and result.replies == [FALLBACK] and result.steps == 3


def test_markdown_is_stripped_from_replies(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    model = ScriptedModel(
        [ChatResponse(content="**Botox** is $13/unit. [Site](https://glowmedspa.example.com)")]
    )
    result = run_turn(_deps(ctx, demo_clinic), model, "botox price")
    assert result.replies == ["Botox is $13/unit. Site: https://glowmedspa.example.com"]
    with ctx.db.session() as s:
        assert s.execute(select(AgentStep.role)).scalars().all() == ["user", "assistant"]


def test_a_tool_that_breaks_is_told_to_the_model_as_text_and_nothing_is_lost(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    """Offers stood for a service, then a re-seed removed it: holding one used to raise a
    KeyError out of the turn; now the model reads the failure and answers."""
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    shown = json.loads(
        execute(deps, "find_slots", {"service_id": "botox", "weekdays": ["thu"], "after": "16:00"})
    )
    assert shown.get("slots"), shown
    deps.clinic = demo_clinic.model_copy(
        update={"services": [s for s in demo_clinic.services if s.id != "botox"]}
    )
    result = json.loads(execute(deps, "hold_slot", {"option": 1}))
    assert "failed" in result["error"]
    model = ScriptedModel(
        [call("hold_slot", option=1), say("Sorry, that didn't work; the team will text you.")]
    )
    answer = run_turn(deps, model, "the first one")
    assert answer.replies == ["Sorry, that didn't work; the team will text you."]
