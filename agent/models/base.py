"""The small ``ChatModel`` interface every backend implements (OpenAI-compatible, offline).

Shaped like Chat Completions (https://platform.openai.com/docs/api-reference/chat): messages
with roles system | user | assistant | tool, assistant tool calls, tool results by call id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agent.dialog import ConversationState, StateUpdate

if TYPE_CHECKING:
    from knowledge.clinic_file import ClinicFile


class ModelError(Exception):
    """The model backend failed (network, 5xx after retries, malformed answer)."""


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for: call id, tool name, parsed JSON arguments."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ChatMessage:
    """One message of the history. ``tool_calls`` on assistant messages; ``tool_call_id`` and
    ``name`` on tool results."""

    role: str
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: name, description, JSON-schema ``parameters``."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class TurnContext:
    """Structured facts of the turn, for backends that do not read prose (the offline model).

    Attributes:
        clinic: the clinic's validated records (services, providers, hours, policies).
        now: the current instant, aware.
        state: where the conversation stood when the turn began (:mod:`agent.dialog`); the
            tools' facts of this turn are in its tool results, not here.
    """

    clinic: ClinicFile
    now: dt.datetime
    state: ConversationState = field(default_factory=ConversationState)


@dataclass(frozen=True)
class ChatRequest:
    """Everything a backend needs for one completion."""

    messages: list[ChatMessage]
    tools: list[ToolSpec]
    context: TurnContext


@dataclass(frozen=True)
class Usage:
    """Token counts of one completion."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class ChatResponse:
    """The model's answer: final ``content`` or ``tool_calls`` to run (or both), and with a
    final answer what the model learned that no tool knows (``state``: the question its reply
    asks, the wish it read; None: nothing, and the reply asks nothing), which the engine
    stores with the conversation at the end of the turn."""

    content: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    state: StateUpdate | None = None


class ChatModel(Protocol):
    """A chat backend. ``name`` identifies it in turn records (e.g. "offline", "gpt-4o-mini")."""

    name: str

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer ``request``. Raises :class:`ModelError` on failure."""
        ...
