"""Reading the conversation the engine sends: the patient's new text, this turn's tool
exchanges, and the history split into turns.

The offline model keeps no memory: everything it knows about the conversation so far comes
from the messages of each request (the patient's texts, its own tool calls with their JSON
results, and its replies). These functions take those messages apart.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from agent.models.base import ChatMessage, ToolCall
from agent.nlu.picks import Option

#: (tool name, arguments, parsed result) of one tool exchange.
ToolResult = tuple[str, dict[str, Any], dict[str, Any]]


@dataclass(frozen=True)
class Request:
    """One request taken apart.

    Attributes:
        text: the patient's latest text ("" when there is none).
        before: the messages before that text (earlier turns).
        turn: the messages after it (this turn's tool calls and results so far).
    """

    text: str
    before: list[ChatMessage]
    turn: list[ChatMessage]


def split_request(messages: list[ChatMessage]) -> Request:
    """Split ``messages`` (system messages are dropped) around the latest patient text."""
    chat = [m for m in messages if m.role != "system"]
    last_user = max((i for i, m in enumerate(chat) if m.role == "user"), default=-1)
    text = chat[last_user].content or "" if last_user >= 0 else ""
    return Request(text=text, before=chat[:last_user], turn=chat[last_user + 1 :])


def _parsed(content: str | None) -> dict[str, Any]:
    try:
        result = json.loads(content or "{}")
    except json.JSONDecodeError:
        return {"error": "unreadable tool result"}
    return result if isinstance(result, dict) else {"error": "unreadable tool result"}


def tool_results(messages: list[ChatMessage]) -> list[ToolResult]:
    """(tool name, arguments, parsed result) for every tool exchange in ``messages``; a
    result that is not a JSON object reads as ``{"error": "unreadable tool result"}``."""
    calls: dict[str, ToolCall] = {}
    out = []
    for m in messages:
        for c in m.tool_calls:
            calls[c.id] = c
        if m.role == "tool" and m.tool_call_id in calls:
            tc = calls[m.tool_call_id]
            out.append((tc.name, tc.arguments, _parsed(m.content)))
    return out


@dataclass
class Turn:
    """One past turn: the patient's text, the tools run for it, and the reply sent."""

    text: str
    tools: list[ToolResult] = field(default_factory=list)
    reply: str = ""

    def ran(self, *names: str) -> bool:
        """True when any of the tools ``names`` ran in this turn."""
        return any(name in names for name, _, _ in self.tools)


def turns(messages: list[ChatMessage]) -> list[Turn]:
    """The history split into turns, oldest first (tool exchanges before the first patient
    text are ignored)."""
    out: list[Turn] = []
    pending: list[ChatMessage] = []
    for m in messages:
        if m.role == "user":
            out.append(Turn(text=m.content or ""))
            pending = []
        elif not out:
            continue
        elif m.role == "assistant" and m.tool_calls:
            pending.append(m)
        elif m.role == "assistant" and m.content:
            out[-1].reply = m.content
        elif m.role == "tool":
            out[-1].tools.extend(tool_results([*pending, m]))
    return out


def option(view: dict[str, Any]) -> Option:
    """A ``find_slots`` slot view as a pickable :class:`Option`."""
    return Option(
        position=int(view["option"]),
        start_local=dt.datetime.fromisoformat(view["start"]),
        provider_id=view.get("provider_id", ""),
        provider_name=view.get("provider", ""),
    )
