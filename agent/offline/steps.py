"""The offline model's two kinds of answer (a tool call, a final text) and the arguments of
its slot searches."""

from __future__ import annotations

import itertools
from typing import Any

from agent.dialog import StateUpdate
from agent.models.base import ChatResponse, ToolCall
from agent.nlu.when import TimePreference
from knowledge.clinic_file import WEEKDAYS, ServiceInfo

_ids = itertools.count(1)


def call(name: str, **arguments: Any) -> ChatResponse:
    """Answer with one call of tool ``name`` (a fresh call id each time)."""
    return ChatResponse(content=None, tool_calls=(ToolCall(f"call_{next(_ids)}", name, arguments),))


def say(text: str, state: StateUpdate | None = None) -> ChatResponse:
    """Answer with the final SMS text; ``state`` names what the reply asks (the question, the
    confirmation it waits for; :mod:`agent.offline.state`), None when it asks nothing."""
    return ChatResponse(content=text, state=state)


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
    """``find_slots`` arguments for ``service`` and the patient's wish (a provider the
    service does not have is left out)."""
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
