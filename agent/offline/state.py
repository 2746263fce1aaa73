"""Where a booking conversation stands, derived fresh from the history on every call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from agent import copy
from agent.models.base import ChatMessage
from agent.nlu.providers import match_provider
from agent.nlu.services import match_services
from agent.nlu.when import TimePreference, parse_when
from agent.offline.parser import tool_results
from knowledge.clinic_file import ClinicFile


@dataclass
class DialogState:
    """What the history says so far (the model keeps no memory).

    Attributes:
        service_id: the service last asked about or searched.
        offers: the options of the latest offer still open for picking (none after a hold).
        held: True when a hold was made after the latest offer.
        preference: the patient's latest stated day/time wish (before the latest offer).
        provider_id: a provider the patient asked for.
        asked_service: the assistant last asked which service.
        offered_search: the assistant last offered to look for openings.
    """

    service_id: str | None = None
    offers: list[dict[str, Any]] = field(default_factory=list)
    held: bool = False
    preference: TimePreference | None = None
    provider_id: str | None = None
    asked_service: bool = False
    offered_search: bool = False


def dialog_state(
    clinic: ClinicFile, history: list[ChatMessage], now_local: dt.datetime
) -> DialogState:
    """Derive the :class:`DialogState` of ``history`` (earlier turns, oldest first) for a
    clinic at ``now_local`` (the clinic's zone)."""
    state = DialogState()
    _read_tools(state, history)
    for m in history:
        if m.role == "user" and m.content:
            _read_patient(state, clinic, m.content, now_local)
    last_assistant = next(
        (m for m in reversed(history) if m.role == "assistant" and m.content), None
    )
    if last_assistant is not None:
        said = last_assistant.content or ""
        state.asked_service = copy.ASK_SERVICE_MARK in said
        state.offered_search = copy.OFFER_SEARCH_MARK in said
    return state


def _read_tools(state: DialogState, history: list[ChatMessage]) -> None:
    for name, args, result in tool_results(history):
        if name == "find_slots" and result.get("slots"):
            state.service_id = result.get("service_id") or args.get("service_id")
            state.offers, state.held = result["slots"], False
        elif name == "hold_slot":
            if result.get("held"):
                state.held, state.offers = True, []
            elif result.get("alternatives"):
                state.offers = result["alternatives"]
        elif name == "reschedule_appointment" and result.get("rescheduled"):
            state.offers = []


def _read_patient(
    state: DialogState, clinic: ClinicFile, text: str, now_local: dt.datetime
) -> None:
    matches = match_services(text, clinic.services)
    if matches:
        state.service_id = matches[0].service_id
    when = parse_when(text, now_local)
    if when is not None:
        state.preference = when
    provider = match_provider(text, clinic.providers)
    if provider:
        state.provider_id = provider
