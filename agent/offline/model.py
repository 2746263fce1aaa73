"""The offline rule-based ``ChatModel``: books through the same tools, with no LLM."""

from __future__ import annotations

from agent.models.base import ChatRequest, ChatResponse
from agent.offline.changes import ChangePolicy, change_state
from agent.offline.facets import facet_questions
from agent.offline.parser import split_request, tool_results, turns
from agent.offline.policy import Policy
from agent.offline.questions import answer_each, split_questions
from agent.offline.state import dialog_state


class OfflineModel:
    """A deterministic ``ChatModel`` for the embedded default (no API key needed).

    Each call reads the whole conversation afresh (it keeps no memory), derives where the
    booking and any appointment change stand, and answers with the next tool call or the
    final SMS text.
    """

    name = "offline"

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer ``request`` with the next tool call or the final SMS text.

        Args:
            request: the history (system messages are ignored), tools and turn context.

        Returns:
            A :class:`ChatResponse`; never raises :class:`agent.models.base.ModelError`.
        """
        clinic = request.context.clinic
        now_local = request.context.now.astimezone(clinic.clinic.zone)
        parts = split_request(request.messages)
        state = dialog_state(clinic, parts.before, now_local)
        changed = change_state(turns(parts.before))
        if changed.offers_closed:
            state.offers = []
        policy = Policy(
            clinic, now_local, state, ChangePolicy(clinic, now_local, changed, state.offers)
        )
        questions = facet_questions(
            clinic, parts.text, split_questions(parts.text), state.service_id
        )
        if questions != [parts.text]:  # answer every question, each as if it came alone
            return answer_each(
                questions, policy.on_text, policy.after_tools, tool_results(parts.turn)
            )
        if parts.turn:
            return policy.after_tools(parts.text, tool_results(parts.turn))
        return policy.on_text(parts.text)
