"""A scripted ``ChatModel``: replays prepared responses, records every request it saw.

For tests and demos of the tool loop without a network (openai-agents-python keeps such a
fake beside its real models). Each script entry is a :class:`ChatResponse`, or a callable
that builds one from the request (to use earlier tool results), or an exception to raise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from agent.models.base import ChatRequest, ChatResponse, ModelError, ToolCall

ScriptStep = ChatResponse | Callable[[ChatRequest], ChatResponse] | Exception


def call(name: str, call_id: str = "call_1", **arguments: Any) -> ChatResponse:
    """A response asking for one tool call."""
    return ChatResponse(content=None, tool_calls=(ToolCall(call_id, name, arguments),))


def say(text: str) -> ChatResponse:
    """A final text response."""
    return ChatResponse(content=text)


class ScriptedModel:
    """Plays ``script`` in order; raises :class:`ModelError` when it runs out.

    Attributes:
        requests: every :class:`ChatRequest` received, for assertions.
    """

    def __init__(self, script: Iterable[ScriptStep], name: str = "scripted") -> None:
        self.script = list(script)
        self.name = name
        self.requests: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Return (or raise) the next scripted step."""
        self.requests.append(request)
        if not self.script:
            raise ModelError("script exhausted")
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        return step
