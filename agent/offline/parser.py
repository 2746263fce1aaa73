"""Reading the messages the engine sends: the patient's new text and this turn's tool
exchanges (their JSON results).

Where the conversation stood before this turn is not read from the messages: it is the stored
dialog state in the request's context (:mod:`agent.dialog`), so the offline model never reads
its own earlier replies.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
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


def option(view: dict[str, Any]) -> Option:
    """A ``find_slots`` slot view as a pickable :class:`Option`."""
    return Option(
        position=int(view["option"]),
        start_local=dt.datetime.fromisoformat(view["start"]),
        provider_id=view.get("provider_id", ""),
        provider_name=view.get("provider", ""),
    )
