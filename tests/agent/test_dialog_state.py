"""Both chat backends see the same stored facts (issue 12): what the offline model asked and
what a GPT-style model's tools found are one dialog state, summarised in the system prompt."""

from __future__ import annotations

from collections.abc import Callable

from agent.dialog import Asked, ConversationState, StateUpdate
from agent.engine import run_turn
from agent.models.scripted import ScriptedModel, call, say
from agent.offline import OfflineModel
from agent.store import load_state, save_state
from agent.tools import AgentDeps
from app.context import AppContext
from knowledge.clinic_file import ClinicFile
from tests.agent.test_agent_engine import _deps


def _stored(deps: AgentDeps) -> ConversationState:
    with deps.db.session() as s:
        return load_state(s, deps.conversation_id)


def test_a_gpt_turn_is_told_what_the_offline_model_asked(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    deps = _deps(make_ctx(database_url), demo_clinic)
    run_turn(deps, OfflineModel(), "how much is botox")
    gpt = ScriptedModel([say("Sure, shall I look?")])
    run_turn(deps, gpt, "hmm")
    system = gpt.requests[0].messages[0].content or ""
    assert "Service being discussed: Botox." in system
    assert "Your last reply asked whether to look for openings." in system
    # The GPT reply set no update: its turn asks nothing the state knows of.
    assert _stored(deps).question is None and _stored(deps).service_id == "botox"


def test_the_offline_model_picks_from_offers_a_gpt_turn_made(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    deps = _deps(make_ctx(database_url), demo_clinic)
    gpt = ScriptedModel(
        [
            call("find_slots", service_id="botox", weekdays=["thu"], after="16:00"),
            say("1) ... 2) ..."),
        ]
    )
    run_turn(deps, gpt, "botox thursday after 4?")
    offers = _stored(deps).offers
    assert len(offers) >= 2
    result = run_turn(deps, OfflineModel(), "the 2nd one")
    assert result.tool_names == ["hold_slot", "send_deposit_link"]
    hold = _stored(deps).hold
    assert hold is not None and hold.link_sent and hold.when == offers[1].when
    # ...and the next GPT turn is told about the hold.
    gpt = ScriptedModel([say("You're all set once the deposit is paid.")])
    run_turn(deps, gpt, "ok paying now")
    system = gpt.requests[0].messages[0].content or ""
    assert f"on {offers[1].when}; deposit link sent." in system


def test_a_reply_that_asks_nothing_clears_the_question_and_keeps_the_rest() -> None:
    state = ConversationState(service_id="botox")
    state.after_reply(StateUpdate.model_validate({"question": {"asked": "search"}}))
    assert state.question is not None and state.question.asked == Asked.SEARCH
    state.after_reply(None)
    assert state.question is None and state.service_id == "botox"
    state.after_reply(StateUpdate(request="move it", offers_closed=True))
    assert state.change.request == "move it" and state.change.offers_closed
    assert ConversationState.model_validate_json(state.model_dump_json()) == state


def test_a_service_removed_by_a_reseed_is_forgotten_not_a_crash(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    deps = _deps(make_ctx(database_url), demo_clinic)
    stale = ConversationState.model_validate(
        {"service_id": "retired-service", "question": {"asked": "search"}}
    )
    with deps.db.session() as s:
        save_state(s, deps.conversation_id, stale, deps.now)
    result = run_turn(deps, OfflineModel(), "yes please")
    assert result.outcome == "ok" and not result.handed_off
    assert "Which service" in result.replies[0]
