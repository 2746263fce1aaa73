"""The offline rule-based ``ChatModel``: books through the same tools, with no LLM."""

from __future__ import annotations

import dataclasses

from agent.models.base import ChatRequest, ChatResponse
from agent.offline.changes import ChangePolicy, change_state
from agent.offline.facets import carry_service, facet_questions
from agent.offline.group import GroupFlow
from agent.offline.parser import split_request, tool_results
from agent.offline.policy import Policy
from agent.offline.questions import answer_each, split_questions
from agent.offline.state import dialog_state, turn_update


class OfflineModel:
    """A deterministic ``ChatModel`` for the embedded default (no API key needed).

    Each call reads where the conversation stood when the turn began from the stored dialog
    state in the request's context (:mod:`agent.dialog`), and this turn's tool results from
    the messages, and answers with the next tool call or the final SMS text. A final text
    carries the model's state update: what the reply asks, and the service, wish and provider
    the patient's text named.
    """

    name = "offline"

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer ``request`` with the next tool call or the final SMS text.

        Args:
            request: the history (system messages are ignored), tools and turn context
                (clinic, now, the stored dialog state).

        Returns:
            A :class:`ChatResponse`; never raises :class:`agent.models.base.ModelError`.
        """
        clinic = request.context.clinic
        stored = request.context.state
        now_local = request.context.now.astimezone(clinic.clinic.zone)
        parts = split_request(request.messages)
        state = dialog_state(stored, clinic)
        group = GroupFlow(clinic, now_local, stored, state)
        if group.offers_stand:
            state.offers = []  # a pick is of a group option, never of an older offer
        policy = Policy(
            clinic,
            now_local,
            state,
            ChangePolicy(clinic, now_local, change_state(stored), state.offers),
        )
        done = tool_results(parts.turn)
        questions = carry_service(
            clinic,
            facet_questions(clinic, parts.text, split_questions(parts.text), state.service_id),
            state.service_id,
        )
        grouped = group.after_tools(parts.text, done) if parts.turn else group.on_text(parts.text)
        if grouped is not None:
            step = grouped
        elif questions != [parts.text]:  # answer every question, each as if it came alone
            step = answer_each(questions, policy.on_text, policy.after_tools, done)
        elif parts.turn:
            step = policy.after_tools(parts.text, done)
        else:
            step = policy.on_text(parts.text)
        if step.tool_calls:
            return step
        update = turn_update(clinic, stored, parts.text, done, step.state, now_local)
        group.party_update(update, parts.text, {name for name, _, _ in done})
        return dataclasses.replace(step, state=update)
