"""The offline rule-based ``ChatModel``: books through the same tools, with no LLM.

It is a scripted model in the openai-agents-python sense: it reads the history (the patient's
texts and earlier tool results) and answers with tool calls or a final text. It understands
patients through :mod:`agent.nlu` (services by name/alias/typo, day and time wishes, slot
picks, yes/no, intents) and states only what the clinic records or a tool returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.models.base import ChatMessage, ChatRequest, ChatResponse
from agent.nlu.intents import detect_intents, yes_no
from agent.nlu.picks import parse_pick
from agent.nlu.providers import match_provider
from agent.nlu.services import match_services
from agent.nlu.when import TimePreference, parse_when
from agent.offline_changes import ChangePolicy, change_state
from agent.offline_common import (
    ToolResult,
    call,
    option,
    refine,
    say,
    slot_args,
    tool_results,
    turns,
)
from agent.offline_replies import Replies, unknown_words
from knowledge.clinic_file import ClinicFile

#: Two service matches closer than this are treated as "the patient could mean either".
AMBIGUITY_MARGIN = 0.08


@dataclass
class DialogState:
    """What the history says so far (derived fresh every call; the model keeps no memory).

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


class OfflineModel:
    """A deterministic ``ChatModel`` for the embedded default (no API key needed)."""

    name = "offline"

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer with the next tool call or the final SMS text. Never raises ModelError."""
        clinic = request.context.clinic
        now_local = request.context.now.astimezone(clinic.clinic.zone)
        messages = [m for m in request.messages if m.role != "system"]
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
        before, turn = messages[:last_user], messages[last_user + 1 :]
        text = messages[last_user].content or "" if last_user >= 0 else ""
        state = self._state(clinic, before, now_local)
        replies = Replies(clinic, now_local)
        changed = change_state(turns(before))
        if changed.offers_closed:
            state.offers = []
        changes = ChangePolicy(clinic, now_local, changed, state.offers)
        if turn:
            return self._after_tools(
                clinic, state, text, tool_results(turn), replies, changes, now_local
            )
        return self._on_text(clinic, state, text, now_local, replies, changes)

    # --- reading the history -------------------------------------------------------------
    def _state(self, clinic: ClinicFile, history: list[ChatMessage], now_local: Any) -> DialogState:
        state = DialogState()
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
        for m in history:
            if m.role == "user" and m.content:
                matches = match_services(m.content, clinic.services)
                if matches:
                    state.service_id = matches[0].service_id
                when = parse_when(m.content, now_local)
                if when is not None:
                    state.preference = when
                provider = match_provider(m.content, clinic.providers)
                if provider:
                    state.provider_id = provider
        last_assistant = next(
            (m for m in reversed(history) if m.role == "assistant" and m.content), None
        )
        if last_assistant is not None:
            said = last_assistant.content or ""
            state.asked_service = Replies.ASK_SERVICE_MARK in said
            state.offered_search = Replies.OFFER_SEARCH_MARK in said
        return state

    # --- a new patient text ---------------------------------------------------------------
    def _on_text(
        self,
        clinic: ClinicFile,
        state: DialogState,
        text: str,
        now_local: Any,
        replies: Replies,
        changes: ChangePolicy | None,
    ) -> ChatResponse:
        """The next step for a new patient text (``changes`` None: not about an existing
        appointment, already checked)."""
        intents = detect_intents(text)
        if not text.strip():
            return say(replies.empty())
        if intents.emergency:
            return call(
                "handoff_to_staff",
                reason="emergency",
                summary="Patient describes possible emergency symptoms after treatment.",
            )
        if intents.wants_human:
            return call(
                "handoff_to_staff",
                reason="patient_request",
                summary="Patient asked to speak with a person.",
            )
        if intents.medical_concern and not intents.health_policy:
            return call(
                "handoff_to_staff",
                reason="medical",
                summary="Patient has a medical question or post-treatment concern.",
            )
        if intents.health_policy:
            # pregnancy, medications...: the clinic's written policy if it has one, else staff
            return call("search_knowledge", query=text)
        answer = yes_no(text)
        if changes is not None:
            step = changes.on_text(text, intents, answer)
            if step is not None:
                return step

        matches = match_services(text, clinic.services)
        when = parse_when(text, now_local)
        named_provider = match_provider(text, clinic.providers)
        provider_id = named_provider or state.provider_id

        # Picking one of the offered slots.
        if state.offers and not matches:
            options = [option(o) for o in state.offers]
            pick = parse_pick(text, options)
            if pick is None and answer is True and len(options) == 1:
                pick = options[0].position
            if pick is not None:
                return call("hold_slot", option=pick)

        if len(matches) > 1 and matches[0].score - matches[1].score < AMBIGUITY_MARGIN:
            names = [clinic.service(m.service_id).name for m in matches[:4]]
            return say(replies.which_of(names))
        service = clinic.service(matches[0].service_id) if matches else None

        if (
            service is not None
            and intents.asks_price
            and when is None
            and not intents.wants_booking
        ):
            return say(replies.price(service))

        in_booking = bool(state.offers or state.asked_service or state.offered_search)
        if service is None and not intents.wants_booking and not in_booking:
            if intents.asks_hours:
                return say(replies.hours(_days_of(when)))
            if when is not None and intents.is_question and unknown_words(clinic, text):
                # "whats the weather tmrw": a day, but about something other than a visit
                return call("search_knowledge", query=text)

        known = service or (clinic.service(state.service_id) if state.service_id else None)
        wants_slots = (
            when is not None
            or intents.wants_booking
            or (answer is True and (state.offered_search or bool(state.offers)))
            or (state.asked_service and service is not None)
            or (provider_id is not None and known is not None and bool(state.offers))
            or (named_provider is not None and service is not None)
        )
        if wants_slots and known is not None:
            same_service = service is None or service.id == state.service_id
            preference = refine(when, state.preference if same_service else None) or (
                state.preference if service is None or state.asked_service else None
            )
            return call("find_slots", **slot_args(known, preference, provider_id))
        if wants_slots:
            return say(replies.ask_service())
        if service is not None:
            return say(replies.service_info(service))
        if state.offers and answer is False:
            return say(replies.other_times())
        if intents.asks_hours:
            return say(replies.hours())
        if intents.asks_services:
            return say(replies.menu())
        if intents.greeting and not intents.is_question:
            return say(replies.greeting())
        if intents.thanks and not intents.is_question:
            return say(replies.thanks())
        if intents.asks_location or intents.is_question or len(text.split()) >= 3:
            return call("search_knowledge", query=text)
        return say(replies.fallback())

    # --- after tool results -------------------------------------------------------------------
    def _after_tools(
        self,
        clinic: ClinicFile,
        state: DialogState,
        text: str,
        results: list[ToolResult],
        replies: Replies,
        changes: ChangePolicy,
        now_local: Any,
    ) -> ChatResponse:
        name, args, result = results[-1]
        if "error" in result:
            return say(replies.tool_error(name, result["error"]))
        step = changes.after_tools(text, results)
        if step is not None:
            return step
        if name == "my_appointments":  # a loose wish ("another day") and nothing to change
            return self._on_text(clinic, state, text, now_local, replies, None)
        if name == "find_slots":
            asks_price = detect_intents(text).asks_price
            return say(replies.slots(result, args, clinic, with_price=asks_price))
        if name == "hold_slot":
            if result.get("held"):
                return call("send_deposit_link")
            return say(replies.taken(result))
        if name == "send_deposit_link":
            return say(replies.deposit(result))
        if name == "search_knowledge":
            if detect_intents(text).health_policy and not replies.answerable(result, text):
                return call(
                    "handoff_to_staff",
                    reason="medical",
                    summary="Patient asked a health question the clinic's records do not cover.",
                )
            if not replies.answerable(result, text) and not detect_intents(text).is_question:
                return say(replies.fallback())
            return say(replies.knowledge(result, text))
        if name == "handoff_to_staff":
            return say(replies.handoff(args.get("reason", "other")))
        return say(replies.fallback())


def _days_of(when: TimePreference | None) -> set[int] | None:
    """The weekdays a wish names ("sundays", "tomorrow"), or None."""
    if when is None:
        return None
    if when.weekdays:
        return set(when.weekdays)
    if when.date_from and when.date_from == when.date_to:
        return {when.date_from.weekday()}
    return None
