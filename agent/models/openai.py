"""``ChatModel`` backend for OpenAI and any OpenAI-compatible server, via Chat Completions.

API reference: https://platform.openai.com/docs/api-reference/chat/create

The only module that imports the ``openai`` SDK (DESIGN.md §1). It converts our
:class:`~agent.models.base.ChatMessage` history to the API's message shape and the answer back
to a :class:`~agent.models.base.ChatResponse`, and retries transient failures itself (429,
5xx, timeouts, connection errors) with the shared policy of :mod:`app.vendor_http`; the SDK's
own retries are switched off so that ours are the only ones. The request's ``context`` is ignored: this backend reads the prompt.

Malformed tool-call arguments: when the model sends arguments that are not a JSON object, the
call is still returned, with ``arguments == {"_raw": <text>, "_error": <why>}`` (the keys are
:data:`agent.models.toolspec.RAW_ARGUMENTS_KEY` and :data:`agent.models.toolspec.ARGUMENTS_ERROR_KEY`);
:func:`agent.models.toolspec.parse_arguments` raises ``ToolArgumentError`` for it, so the engine returns
an error to the model like for any other bad arguments.

Privacy: nothing here logs message content, tool arguments or the API key; errors carry the
HTTP status and the API's error code/type, plus its (truncated, key-redacted) error message.
Note that the SDK itself logs request bodies when ``OPENAI_LOG=debug`` is set; leave it unset
in production.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any, cast

import openai
import structlog
import tenacity
from openai.types.chat import ChatCompletion

from agent.models.base import (
    ChatMessage,
    ChatRequest,
    ChatResponse,
    ModelError,
    ToolCall,
    ToolSpec,
    Usage,
)
from agent.models.toolspec import ARGUMENTS_ERROR_KEY, RAW_ARGUMENTS_KEY
from app.vendor_http import RetryAfterWait, log_retries, retrying
from knowledge.openai_errors import describe_error, is_retryable

log = structlog.get_logger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


class OpenAIChatModel:
    """Chat Completions backend (OpenAI or any OpenAI-compatible server).

    Args:
        api_key: the API key (``OPENAI_API_KEY``); any non-empty string for servers that
            ignore it. Never logged.
        model: model name sent as ``model`` (``OPENAI_MODEL``); also this backend's ``name``.
        base_url: API base URL (``OPENAI_BASE_URL``), e.g. ``http://localhost:11434/v1``;
            None means ``https://api.openai.com/v1``. The environment is not consulted here:
            settings pass it in.
        timeout_seconds: per-attempt HTTP timeout.
        max_attempts: total attempts per completion, including the first (>= 1).
        temperature: sampling temperature; None omits it (some reasoning models reject it).
        wait: tenacity wait strategy between attempts; default
            :class:`app.vendor_http.RetryAfterWait`: exponential backoff with jitter (0.5 s
            doubling, at most 8 s), stretched to the server's ``retry-after-ms`` /
            ``Retry-After`` hint (at most 8 s). Tests pass ``tenacity.wait_none()``.
        sleep: the sleep function tenacity calls between attempts (default ``time.sleep``).
        http_client: optional ``httpx.Client`` / ``httpx2.Client`` for the SDK (proxies, tests:
            the SDK's default transport is ``httpx2``, which ``respx`` does not intercept).

    Raises:
        ValueError: ``api_key`` is empty or ``max_attempts`` < 1.
    """

    def __init__(
        self,
        api_key: str,
        model: str = "gpt-4o-mini",
        base_url: str | None = None,
        timeout_seconds: float = 20.0,
        max_attempts: int = 3,
        temperature: float | None = 0.2,
        *,
        wait: tenacity.wait.wait_base | None = None,
        sleep: Callable[[float], None] = time.sleep,
        http_client: Any | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must be non-empty")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.name = model
        self.model = model
        self.base_url = base_url or DEFAULT_BASE_URL
        self.temperature = temperature
        self.max_attempts = max_attempts
        self._wait: tenacity.wait.wait_base = wait if wait is not None else RetryAfterWait()
        self._sleep = sleep
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=self.base_url,
            timeout=timeout_seconds,
            max_retries=0,  # ours (tenacity) are the only retries
            http_client=cast(Any, http_client),
        )

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, base_url={self.base_url!r})"

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Run one Chat Completion for ``request`` and convert the answer.

        Sends ``model``, ``messages`` (in the given order, so a static prompt prefix stays
        cacheable), ``temperature`` and, when ``request.tools`` is non-empty, ``tools`` (as
        function tools), ``tool_choice="auto"`` and ``parallel_tool_calls=True``.
        See https://platform.openai.com/docs/api-reference/chat/create.

        Args:
            request: messages and tools; ``request.context`` is ignored.

        Returns:
            ``ChatResponse`` with the assistant text (a refusal counts as text), every
            function tool call (arguments parsed; see the module docstring for malformed
            ones) and token usage (zeros when the server reports none).

        Raises:
            ModelError: a non-retryable API error (400, 401, 403, 404, ...), retries exhausted
                on 429/5xx/timeouts/connection errors, or an answer with no choice, or with
                neither text nor tool calls.
        """
        kwargs = self._request_body(request)
        policy = retrying(
            max_attempts=self.max_attempts,
            retry=is_retryable,
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=log_retries(log, "chat_completion_retry"),
        )
        started = time.monotonic()
        try:
            completion: ChatCompletion = policy(self._client.chat.completions.create, **kwargs)
        except openai.OpenAIError as exc:
            log.warning(
                "chat_completion_failed",
                model=self.model,
                error=type(exc).__name__,
                status=getattr(exc, "status_code", None),
                seconds=round(time.monotonic() - started, 3),
            )
            raise ModelError(describe_error(exc, "chat completion")) from None
        response = from_api_completion(completion)
        log.info(
            "chat_completion",
            model=self.model,
            seconds=round(time.monotonic() - started, 3),
            tool_calls=len(response.tool_calls),
            prompt_tokens=response.usage.prompt_tokens,
            completion_tokens=response.usage.completion_tokens,
        )
        return response

    def _request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The Chat Completions request parameters for ``request``."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": to_api_messages(request.messages),
        }
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if request.tools:
            # parallel_tool_calls / tool_choice are rejected by the API without tools.
            kwargs["tools"] = to_api_tools(request.tools)
            kwargs["tool_choice"] = "auto"
            kwargs["parallel_tool_calls"] = True
        return kwargs


# --- retry policy ----------------------------------------------------------------------------


# --- conversions -----------------------------------------------------------------------------


def to_api_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Convert our history to Chat Completions ``messages``, keeping the order.

    Shapes (https://platform.openai.com/docs/api-reference/chat/create):
    ``{"role": "system"|"developer"|"user", "content": str}``;
    ``{"role": "assistant", "content": str|None, "tool_calls": [{"id", "type": "function",
    "function": {"name", "arguments": <JSON string>}}]}`` (``tool_calls`` only when present);
    ``{"role": "tool", "tool_call_id": str, "content": str}``.

    Raises:
        ModelError: unknown role, or a tool message without ``tool_call_id``.
    """
    out: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        role = message.role
        if role not in _ROLES:
            raise ModelError(f"message {index}: unsupported role {role!r}")
        if role == "tool":
            if not message.tool_call_id:
                raise ModelError(f"message {index}: tool message without tool_call_id")
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": message.tool_call_id,
                    "content": message.content or "",
                }
            )
        elif role == "assistant":
            item: dict[str, Any] = {"role": "assistant", "content": message.content}
            if message.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": json.dumps(call.arguments, ensure_ascii=False),
                        },
                    }
                    for call in message.tool_calls
                ]
            elif message.content is None:
                item["content"] = ""
            out.append(item)
        else:
            out.append({"role": role, "content": message.content or ""})
    return out


def to_api_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    """``[{"type": "function", "function": {"name", "description", "parameters"}}]``."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in tools
    ]


def from_api_completion(completion: ChatCompletion) -> ChatResponse:
    """Convert a ``chat.completion`` object to a :class:`ChatResponse` (first choice).

    Raises:
        ModelError: no choices, or the first choice has neither content, refusal nor
            function tool calls.
    """
    if not completion.choices:
        raise ModelError("chat completion had no choices")
    message = completion.choices[0].message
    calls: list[ToolCall] = []
    for index, raw_call in enumerate(message.tool_calls or []):
        function = getattr(raw_call, "function", None)
        if getattr(raw_call, "type", "function") != "function" or function is None:
            continue  # only function tools are offered; ignore anything else
        call_id = getattr(raw_call, "id", None) or f"call_{index}"
        calls.append(
            ToolCall(
                id=call_id, name=function.name, arguments=parse_tool_arguments(function.arguments)
            )
        )
    content = message.content if message.content else None
    if content is None and message.refusal:
        content = message.refusal
    if content is None and not calls:
        finish = completion.choices[0].finish_reason
        raise ModelError(
            f"chat completion had neither text nor tool calls (finish_reason={finish})"
        )
    usage = completion.usage
    return ChatResponse(
        content=content,
        tool_calls=tuple(calls),
        usage=Usage(
            prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
            completion_tokens=(usage.completion_tokens or 0) if usage else 0,
        ),
    )


def parse_tool_arguments(text: str | None) -> dict[str, Any]:
    """Parse a tool call's ``arguments`` JSON string.

    Returns:
        The JSON object; ``{}`` for an empty string (some compatible servers send that for
        no-argument calls); otherwise ``{"_raw": text, "_error": reason}`` when ``text`` is
        not valid JSON or not a JSON object (see the module docstring).
    """
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return {
            RAW_ARGUMENTS_KEY: text,
            ARGUMENTS_ERROR_KEY: f"arguments were not valid JSON ({exc.msg})",
        }
    if not isinstance(value, dict):
        return {
            RAW_ARGUMENTS_KEY: text,
            ARGUMENTS_ERROR_KEY: f"arguments were JSON {type(value).__name__}, not an object",
        }
    return value


# --- cost --------------------------------------------------------------------------------------

# USD per 1M tokens, (input, output), Standard tier, from https://openai.com/api/pricing/
# (platform.openai.com/docs/pricing) as published with GPT-4.1 on 2025-04-14 and unchanged
# through early 2026. Cached-input discounts are not applied (Usage has no cached count), so
# estimates err high. Verify before relying on them for billing.
_PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-2024-05-13": (5.00, 15.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}
_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def estimate_cost_cents(model: str, usage: Usage) -> float | None:
    """Estimated cost in US cents of one completion.

    Args:
        model: model name; dated snapshots (``gpt-4o-mini-2024-07-18``) price as their alias
            unless listed separately.
        usage: token counts.

    Returns:
        Cents as a float (e.g. ``0.0195``), or None for a model not in the table (including
        models on OpenAI-compatible servers, whose price we cannot know).
    """
    prices = _PRICES_PER_MILLION.get(model) or _PRICES_PER_MILLION.get(
        _SNAPSHOT_SUFFIX.sub("", model)
    )
    if prices is None:
        return None
    input_price, output_price = prices
    dollars = (usage.prompt_tokens * input_price + usage.completion_tokens * output_price) / 1e6
    return dollars * 100
