"""Grounding: replies state only prices, times, dates, providers and links with a source;
an invented one is sent back once, then replaced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from agent import copy
from agent.engine import run_turn
from agent.guardrails import GroundingCheck, GuardrailContext, Regenerate, Replace
from agent.guardrails.grounding import ungrounded
from agent.models.base import ChatMessage, ToolCall
from agent.models.scripted import ScriptedModel, call, say
from agent.prompt import clinic_block
from app.context import AppContext
from knowledge.clinic_file import ClinicFile
from tests.agent.test_agent_engine import _deps

NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
SLOTS = (
    '{"slots": [{"option": 1, "when": "Thu Nov 26 at 4:00 PM CST"}], "link": "https://pay.test/x"}'
)


def test_facts_from_the_records_pass_and_invented_ones_are_named(demo_clinic: ClinicFile) -> None:
    records = [clinic_block(demo_clinic)]
    assert ungrounded("Botox is $13/unit with a $50 deposit.", records, demo_clinic) == []
    assert ungrounded("Botox is $9/unit.", records, demo_clinic) == ["$9.00"]
    assert ungrounded("Dr. Smith can see you.", records, demo_clinic) == ["Dr. Smith"]
    assert ungrounded("Maya Lee is our MD.", records, demo_clinic) == []


def test_times_dates_and_links_need_a_tool_result(demo_clinic: ClinicFile) -> None:
    reply = "1) Thu Nov 26 at 4:00 PM. Pay: https://pay.test/x"
    assert ungrounded(reply, [SLOTS], demo_clinic) == []
    assert ungrounded("How about Nov 27 at 3:30 pm?", [SLOTS], demo_clinic) == [
        "3:30 PM",
        "Nov 27",
    ]
    assert ungrounded("Pay here: https://evil.test/pay", [SLOTS], demo_clinic) == [
        "https://evil.test/pay"
    ]


def test_the_check_reads_this_turns_tools_and_sends_back_once(demo_clinic: ClinicFile) -> None:
    check = GroundingCheck()
    search = ChatMessage(
        role="assistant", tool_calls=(ToolCall("c1", "find_slots", {"service_id": "botox"}),)
    )
    result = ChatMessage(role="tool", content=SLOTS, tool_call_id="c1", name="find_slots")
    context = GuardrailContext(clinic=demo_clinic, now=NOW, turn=(search, result))
    assert check.check("Thu Nov 26 at 4:00 PM is open: https://pay.test/x", context) is None
    # The patient's own words are not a source.
    patient = GuardrailContext(
        clinic=demo_clinic, now=NOW, turn=(ChatMessage(role="user", content="is it $5?"),)
    )
    first = check.check("Yes, it's $5!", patient)
    assert isinstance(first, Regenerate) and "$5.00" in first.note
    again = GuardrailContext(clinic=demo_clinic, now=NOW, regenerations=1)
    assert check.check("Yes, it's $5!", again) == Replace(copy.UNGROUNDED, outcome="ungrounded")


def test_an_invented_price_is_regenerated_once(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    model = ScriptedModel([say("Botox is $8/unit today!"), say("Botox is $13/unit.")])
    result = run_turn(_deps(ctx, demo_clinic), model, "how much is botox")
    assert result.replies == ["Botox is $13/unit."] and result.outcome == "ok"
    note = model.requests[1].messages[-1]
    assert note.role == "system" and "$8.00" in (note.content or "")


def test_a_reply_that_stays_ungrounded_is_replaced(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    model = ScriptedModel(
        [
            call("find_slots", service_id="botox", weekdays=["thu"]),
            say("Great news, Thu Nov 26 at 7:15 PM is open!"),
            say("Yes, 7:15 PM on Nov 26 works."),
        ]
    )
    result = run_turn(_deps(ctx, demo_clinic), model, "thursday evening?")
    assert result.replies == [copy.UNGROUNDED] and result.outcome == "ungrounded"
