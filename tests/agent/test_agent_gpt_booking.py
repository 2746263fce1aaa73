"""The GPT path end to end: a patient's texts over the real webhook, Chat Completions faked at
the HTTP layer with tool-call responses, real tools booking against the local calendar."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import respx
from sqlalchemy import select

from app.context import AppContext
from app.web import create_app
from booking.models import Appointment, Deposit
from messaging.models import Message
from tests.agent.test_openai_model import completion, make_model
from tests.steps import JANE, post_text

URL = "https://api.openai.com/v1/chat/completions"


def _tool_result(request: httpx.Request) -> dict[str, Any]:
    messages = json.loads(request.content)["messages"]
    return json.loads(next(m for m in reversed(messages) if m["role"] == "tool")["content"])


def test_gpt_tool_calls_book_and_send_the_deposit_link(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url, chat_model=make_model())
    client = create_app(context=ctx).test_client()
    turns: list[Callable[[httpx.Request], dict[str, Any]]] = [
        # Turn 1: two tool calls in one response, then a grounded list of options.
        lambda r: completion(
            tool_calls=[
                ("call_a", "search_knowledge", '{"query": "botox price"}'),
                (
                    "call_b",
                    "find_slots",
                    '{"service_id": "botox", "weekdays": ["wed"], "after": "16:00"}',
                ),
            ]
        ),
        lambda r: completion(
            content="Botox is $13/unit. Openings: "
            + "; ".join(f"{s['option']}) {s['when']}" for s in _tool_result(r)["slots"])
        ),
        # Turn 2: the patient picks; hold, then the deposit link.
        lambda r: completion(tool_calls=[("call_c", "hold_slot", '{"option": 1}')]),
        lambda r: completion(tool_calls=[("call_d", "send_deposit_link", "{}")]),
        lambda r: completion(
            content=f"Held! Pay the {_tool_result(r)['amount']} deposit: {_tool_result(r)['link']}"
        ),
    ]
    with respx.mock(assert_all_called=True) as api:
        route = api.post(URL).mock(side_effect=lambda r: httpx.Response(200, json=turns.pop(0)(r)))
        post_text(client, ctx, "how much is botox, anything wednesday after 4?", "e1")
        post_text(client, ctx, "1 please", "e2")
    assert turns == [] and route.call_count == 5
    sent = json.loads(route.calls[0].request.content)
    assert sent["tools"] and sent["messages"][0]["role"] == "system"
    with ctx.db.session() as s:
        replies = (
            s.execute(select(Message.body).where(Message.to_number == JANE).order_by(Message.id))
            .scalars()
            .all()
        )
        appt = s.execute(select(Appointment)).scalar_one()
        deposit = s.execute(select(Deposit)).scalar_one()
    assert replies[0].startswith("Botox is $13/unit. Openings: 1) Wed Nov 25 at 4:00 PM CST")
    assert deposit.payment_link_url and deposit.payment_link_url in replies[-1]
    assert appt.status == "awaiting_deposit" and deposit.amount_cents == 5000


def test_gpt_outage_gives_the_patient_a_safe_reply_and_alerts_staff(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url, chat_model=make_model())
    client = create_app(context=ctx).test_client()
    with respx.mock() as api:
        api.post(URL).mock(
            return_value=httpx.Response(
                503,
                json={
                    "error": {
                        "message": "overloaded",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
        )
        post_text(client, ctx, "hi can i book", "e1")
    with ctx.db.session() as s:
        to_jane = s.execute(select(Message.body).where(Message.to_number == JANE)).scalars().all()
        to_staff = (
            s.execute(select(Message.body).where(Message.to_number == "+15125550199"))
            .scalars()
            .all()
        )
    assert to_jane == ["Thanks for your message! A team member will text you back shortly."]
    assert len(to_staff) == 1 and "could not answer" in to_staff[0]
