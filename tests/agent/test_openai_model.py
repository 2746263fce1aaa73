"""OpenAIChatModel against a fake Chat Completions endpoint (respx, at the HTTP layer).

Response bodies follow the documented ``chat.completion`` object:
https://platform.openai.com/docs/api-reference/chat/object
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
import respx
import tenacity
from structlog.testing import capture_logs

from agent.models.base import (
    ChatMessage,
    ChatRequest,
    ModelError,
    ToolCall,
    ToolSpec,
    TurnContext,
    Usage,
)
from agent.models.openai import OpenAIChatModel, estimate_cost_cents, parse_tool_arguments
from agent.models.toolspec import ToolArgumentError, parse_arguments

API_KEY = "sk-test-SECRETKEY1234567890"
URL = "https://api.openai.com/v1/chat/completions"
NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)

FIND_SLOTS = ToolSpec(
    name="find_slots",
    description="Find open appointment slots.",
    parameters={
        "type": "object",
        "properties": {"service_id": {"type": "string"}, "weekday": {"type": "string"}},
        "required": ["service_id"],
        "additionalProperties": False,
    },
)
CLINIC_INFO = ToolSpec(
    name="clinic_info",
    description="Look up clinic facts.",
    parameters={"type": "object", "properties": {}, "required": [], "additionalProperties": False},
)


def completion(
    *,
    content: str | None = None,
    tool_calls: list[tuple[str, str, str]] | None = None,
    refusal: str | None = None,
    prompt_tokens: int = 120,
    completion_tokens: int = 30,
    model: str = "gpt-4o-mini-2024-07-18",
) -> dict[str, Any]:
    """A ``chat.completion`` body; ``tool_calls`` as (id, name, arguments JSON string)."""
    calls = [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        for call_id, name, arguments in tool_calls or []
    ]
    return {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "tool_calls": calls or None,
                    "refusal": refusal,
                },
                "logprobs": None,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    """The API's error envelope."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def make_model(**overrides: Any) -> OpenAIChatModel:
    """A model on a legacy ``httpx.Client`` (respx intercepts it) with zero backoff."""
    options: dict[str, Any] = {
        "api_key": API_KEY,
        "wait": tenacity.wait_none(),
        "sleep": lambda _seconds: None,
        "http_client": httpx.Client(),
    }
    options.update(overrides)
    return OpenAIChatModel(**options)


def request(messages: list[ChatMessage], tools: list[ToolSpec] | None = None) -> ChatRequest:
    """A ChatRequest; the context is ignored by this backend, so any placeholder will do."""
    context = TurnContext(clinic=cast(Any, None), now=NOW)
    return ChatRequest(messages=messages, tools=tools or [], context=context)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def sent_body(route: respx.Route, index: int = -1) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(route.calls[index].request.content))


HISTORY = [
    ChatMessage(role="system", content="You are the front desk of Glow Med Spa."),
    ChatMessage(role="user", content="any botox thursday after 4?"),
    ChatMessage(
        role="assistant",
        content=None,
        tool_calls=(
            ToolCall(id="call_a", name="find_slots", arguments={"service_id": "botox"}),
            ToolCall(id="call_b", name="clinic_info", arguments={}),
        ),
    ),
    ChatMessage(
        role="tool", content='{"slots": ["Thu 4:15pm"]}', tool_call_id="call_a", name="find_slots"
    ),
    ChatMessage(role="tool", content="Open 9-6.", tool_call_id="call_b", name="clinic_info"),
]


def test_request_body_carries_model_messages_and_tools(api: respx.MockRouter) -> None:
    route = api.post(URL).respond(200, json=completion(content="We have Thu 4:15pm. Want it?"))
    model = make_model(model="gpt-4o-mini", temperature=0.2)

    response = model.complete(request(HISTORY, [FIND_SLOTS, CLINIC_INFO]))

    assert response.content == "We have Thu 4:15pm. Want it?"
    assert route.call_count == 1
    assert route.calls[0].request.headers["authorization"] == f"Bearer {API_KEY}"
    body = sent_body(route)
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0.2
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is True
    assert body["messages"] == [
        {"role": "system", "content": "You are the front desk of Glow Med Spa."},
        {"role": "user", "content": "any botox thursday after 4?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "find_slots", "arguments": '{"service_id": "botox"}'},
                },
                {
                    "id": "call_b",
                    "type": "function",
                    "function": {"name": "clinic_info", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": '{"slots": ["Thu 4:15pm"]}'},
        {"role": "tool", "tool_call_id": "call_b", "content": "Open 9-6."},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "find_slots",
                "description": "Find open appointment slots.",
                "parameters": FIND_SLOTS.parameters,
            },
        },
        {
            "type": "function",
            "function": {
                "name": "clinic_info",
                "description": "Look up clinic facts.",
                "parameters": CLINIC_INFO.parameters,
            },
        },
    ]


def test_two_tool_calls_in_one_response(api: respx.MockRouter) -> None:
    api.post(URL).respond(
        200,
        json=completion(
            tool_calls=[
                ("call_1", "find_slots", '{"service_id": "botox", "weekday": "thu"}'),
                ("call_2", "clinic_info", "{}"),
            ],
            prompt_tokens=812,
            completion_tokens=41,
        ),
    )
    response = make_model().complete(request(HISTORY[:2], [FIND_SLOTS, CLINIC_INFO]))

    assert response.content is None
    assert response.tool_calls == (
        ToolCall(
            id="call_1", name="find_slots", arguments={"service_id": "botox", "weekday": "thu"}
        ),
        ToolCall(id="call_2", name="clinic_info", arguments={}),
    )
    assert response.usage == Usage(prompt_tokens=812, completion_tokens=41)


def test_plain_answer_without_tools_sends_no_tool_fields(api: respx.MockRouter) -> None:
    route = api.post(URL).respond(200, json=completion(content="Botox is $13 per unit."))
    response = make_model().complete(request(HISTORY[:2]))

    assert response.content == "Botox is $13 per unit."
    assert response.tool_calls == ()
    assert response.usage == Usage(prompt_tokens=120, completion_tokens=30)
    body = sent_body(route)
    assert "tools" not in body and "tool_choice" not in body and "parallel_tool_calls" not in body


def test_429_then_success_retries_with_backoff(api: respx.MockRouter) -> None:
    route = api.post(URL)
    route.side_effect = [
        httpx.Response(
            429,
            headers={"retry-after": "3"},
            json=error_body(
                "Rate limit reached for gpt-4o-mini", "requests", "rate_limit_exceeded"
            ),
        ),
        httpx.Response(200, json=completion(content="hi!")),
    ]
    sleeps: list[float] = []
    model = make_model(wait=None, sleep=sleeps.append)  # default backoff, recorded not slept

    response = model.complete(request(HISTORY[:2]))

    assert response.content == "hi!"
    assert route.call_count == 2
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 8.0  # Retry-After honoured, capped
    assert sent_body(route, 0) == sent_body(route, 1)


def test_500_three_times_raises_model_error(api: respx.MockRouter) -> None:
    route = api.post(URL).respond(
        500, json=error_body("The server had an error.", "server_error", None)
    )
    with pytest.raises(ModelError, match="HTTP 500"):
        make_model(max_attempts=3).complete(request(HISTORY[:2]))
    assert route.call_count == 3


def test_timeouts_and_connection_errors_are_retried(api: respx.MockRouter) -> None:
    route = api.post(URL)
    route.side_effect = [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=completion(content="ok")),
    ]
    assert make_model().complete(request(HISTORY[:2])).content == "ok"
    assert route.call_count == 3


def test_connection_errors_exhausted_raise_model_error(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ModelError, match="connection error"):
        make_model(max_attempts=2).complete(request(HISTORY[:2]))
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, error_body("Invalid 'messages[2]': bad", "invalid_request_error", None)),
        (
            401,
            error_body(
                f"Incorrect API key provided: {API_KEY}.",
                "invalid_request_error",
                "invalid_api_key",
            ),
        ),
        (
            429,
            error_body(
                "You exceeded your current quota.", "insufficient_quota", "insufficient_quota"
            ),
        ),
    ],
)
def test_non_retryable_errors_fail_at_once_without_leaking_the_key(
    api: respx.MockRouter, status: int, body: dict[str, Any]
) -> None:
    route = api.post(URL).respond(status, json=body)
    with pytest.raises(ModelError) as info:
        make_model().complete(request(HISTORY[:2]))
    assert route.call_count == 1
    assert f"HTTP {status}" in str(info.value)
    assert API_KEY not in str(info.value)
    assert info.value.__cause__ is None


def test_malformed_arguments_become_flagged_tool_call(api: respx.MockRouter) -> None:
    api.post(URL).respond(
        200,
        json=completion(
            tool_calls=[
                ("call_1", "find_slots", '{"service_id": "botox", weekday: thu'),
                ("call_2", "find_slots", '["botox"]'),
                ("call_3", "clinic_info", ""),
            ]
        ),
    )
    response = make_model().complete(request(HISTORY[:2], [FIND_SLOTS, CLINIC_INFO]))

    bad_json, not_object, empty = response.tool_calls
    assert bad_json.arguments["_raw"] == '{"service_id": "botox", weekday: thu'
    assert "not valid JSON" in bad_json.arguments["_error"]
    assert not_object.arguments == {
        "_raw": '["botox"]',
        "_error": "arguments were JSON list, not an object",
    }
    assert empty.arguments == {}

    from pydantic import BaseModel

    class FindSlotsArgs(BaseModel):
        service_id: str

    with pytest.raises(ToolArgumentError, match="not valid JSON"):
        parse_arguments(FindSlotsArgs, bad_json.arguments)


def test_parse_tool_arguments_plain_object() -> None:
    assert parse_tool_arguments('{"a": 1, "b": [2]}') == {"a": 1, "b": [2]}
    assert parse_tool_arguments("  ") == {}


def test_custom_base_url_is_honoured() -> None:
    with respx.mock(assert_all_called=True) as router:
        local = router.post("http://localhost:11434/v1/chat/completions").respond(
            200, json=completion(content="hello from a local server", model="llama3.1:8b")
        )
        model = make_model(base_url="http://localhost:11434/v1", model="llama3.1:8b")
        response = model.complete(request(HISTORY[:2]))
    assert response.content == "hello from a local server"
    assert sent_body(local)["model"] == "llama3.1:8b"
    assert model.name == "llama3.1:8b"


def test_refusal_counts_as_text_and_empty_answer_is_an_error(api: respx.MockRouter) -> None:
    route = api.post(URL)
    route.side_effect = [
        httpx.Response(200, json=completion(refusal="I can't help with that.")),
        httpx.Response(200, json=completion(content=None)),
    ]
    model = make_model()
    assert model.complete(request(HISTORY[:2])).content == "I can't help with that."
    with pytest.raises(ModelError, match="neither text nor tool calls"):
        model.complete(request(HISTORY[:2]))


def test_missing_usage_is_zero(api: respx.MockRouter) -> None:
    body = completion(content="hi")
    del body["usage"]
    api.post(URL).respond(200, json=body)
    assert make_model().complete(request(HISTORY[:2])).usage == Usage()


def test_logs_carry_no_content_or_key(api: respx.MockRouter) -> None:
    route = api.post(URL)
    route.side_effect = [
        httpx.Response(503, json=error_body("overloaded", "server_error", None)),
        httpx.Response(200, json=completion(content="We have Thu 4:15pm.")),
    ]
    with capture_logs() as logs:
        make_model().complete(request(HISTORY, [FIND_SLOTS]))
    text = repr(logs)
    assert [entry["event"] for entry in logs] == ["chat_completion_retry", "chat_completion"]
    for secret in (API_KEY, "botox", "Thu 4:15pm", "Glow Med Spa"):
        assert secret not in text


def test_invalid_history_raises_model_error() -> None:
    model = make_model()
    with pytest.raises(ModelError, match="tool_call_id"):
        model.complete(request([ChatMessage(role="tool", content="x")]))
    with pytest.raises(ModelError, match="unsupported role"):
        model.complete(request([ChatMessage(role="function", content="x")]))


def test_constructor_validates() -> None:
    with pytest.raises(ValueError):
        OpenAIChatModel(api_key="")
    with pytest.raises(ValueError):
        OpenAIChatModel(api_key=API_KEY, max_attempts=0)
    assert API_KEY not in repr(OpenAIChatModel(api_key=API_KEY))


def test_estimate_cost_cents() -> None:
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert estimate_cost_cents("gpt-4o-mini", usage) == pytest.approx(75.0)
    assert estimate_cost_cents("gpt-4o-mini-2024-07-18", usage) == pytest.approx(75.0)
    assert estimate_cost_cents("gpt-4o", usage) == pytest.approx(1250.0)
    assert estimate_cost_cents("gpt-4.1-mini", usage) == pytest.approx(200.0)
    assert estimate_cost_cents("gpt-4.1", usage) == pytest.approx(1000.0)
    small = Usage(prompt_tokens=1000, completion_tokens=500)
    assert estimate_cost_cents("gpt-4o-mini", small) == pytest.approx(0.045)
    assert estimate_cost_cents("llama3.1:8b", usage) is None


def test_default_transport_against_a_local_server() -> None:
    """Without an injected client the SDK's own transport (httpx2, which respx cannot see) is
    used; check it end to end against a real local HTTP server at a custom base_url."""
    seen: list[tuple[str, dict[str, Any]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers["content-length"])
            seen.append((self.path, json.loads(self.rfile.read(length))))
            payload = json.dumps(completion(content="local hello")).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        model = OpenAIChatModel(api_key=API_KEY, base_url=base_url, model="local-model")
        response = model.complete(request(HISTORY[:2]))
    finally:
        server.shutdown()
        server.server_close()
    assert response.content == "local hello"
    assert seen[0][0] == "/v1/chat/completions"
    assert seen[0][1]["model"] == "local-model"
