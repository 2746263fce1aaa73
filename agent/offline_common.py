"""Shared helpers of the offline model: reading the history, building answers, slot search
arguments.

The offline model keeps no memory: everything it knows about the conversation so far comes
from the history the engine sends each call (the patient's texts, its own tool calls with
their JSON results, and its replies). These helpers split that history into tool exchanges
and turns, and build the two kinds of answer (a tool call, a final text).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from agent.models.base import ChatMessage, ChatResponse, ToolCall
from agent.nlu.picks import Option
from agent.nlu.when import TimePreference
from knowledge.clinic_file import WEEKDAYS, ServiceInfo

_ids = itertools.count(1)

#: (tool name, arguments, parsed result) of one tool exchange.
ToolResult = tuple[str, dict[str, Any], dict[str, Any]]


def call(name: str, **arguments: Any) -> ChatResponse:
    """Answer with one tool call."""
    return ChatResponse(content=None, tool_calls=(ToolCall(f"call_{next(_ids)}", name, arguments),))


def say(text: str) -> ChatResponse:
    """Answer with the final SMS text."""
    return ChatResponse(content=text)


def tool_results(messages: list[ChatMessage]) -> list[ToolResult]:
    """(tool name, arguments, parsed result) for every tool exchange in ``messages``."""
    calls: dict[str, ToolCall] = {}
    out = []
    for m in messages:
        for c in m.tool_calls:
            calls[c.id] = c
        if m.role == "tool" and m.tool_call_id in calls:
            tc = calls[m.tool_call_id]
            try:
                result = json.loads(m.content or "{}")
            except json.JSONDecodeError:
                result = {"error": "unreadable tool result"}
            if not isinstance(result, dict):
                result = {"error": "unreadable tool result"}
            out.append((tc.name, tc.arguments, result))
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


def refine(when: TimePreference | None, prior: TimePreference | None) -> TimePreference | None:
    """A time-only wish ("the 3pm", "after 2") narrows the days asked for before; a wish
    that names days replaces the earlier one."""
    if when is None or prior is None:
        return when
    if when.date_from or when.date_to or when.weekdays or not (when.after or when.before):
        return when
    return TimePreference(
        prior.date_from,
        prior.date_to,
        prior.weekdays,
        when.after,
        when.before,
        when.asap,
        f"{prior.text} {when.text}".strip(),
    )


def slot_args(
    service: ServiceInfo, preference: TimePreference | None, provider_id: str | None
) -> dict[str, Any]:
    """``find_slots`` arguments for ``service`` and the patient's wish."""
    args: dict[str, Any] = {"service_id": service.id}
    if provider_id and provider_id in service.provider_ids:
        args["provider_id"] = provider_id
    if preference is None:
        return args
    if preference.date_from:
        args["date_from"] = preference.date_from.isoformat()
    if preference.date_to:
        args["date_to"] = preference.date_to.isoformat()
    if preference.weekdays:
        args["weekdays"] = [WEEKDAYS[d] for d in sorted(preference.weekdays)]
    if preference.after:
        args["after"] = preference.after.strftime("%H:%M")
    if preference.before:
        args["before"] = preference.before.strftime("%H:%M")
    return args
