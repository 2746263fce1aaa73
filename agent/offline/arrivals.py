"""Arrival notes ("stuck in traffic be there in 10", "im outside"): told to staff without
pausing the assistant, acknowledged with the clinic's late policy from its documents, and
with the patient's appointment today when they have one.

Steps, one tool per model call (the offline model keeps no memory): ``my_appointments`` (is
there a visit today?), ``search_knowledge`` (the clinic's words on running late), then
``handoff_to_staff`` with reason ``arrival`` (an alert that leaves the AI on), then the reply.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from agent import copy_questions
from agent.guardrails.triage import quote
from agent.models.base import ChatResponse
from agent.offline.parser import ToolResult
from agent.offline.steps import call, say

__all__ = ["LATE_POLICY_QUERY", "arrival_step", "late_policy"]

#: What the clinic's documents are searched for.
LATE_POLICY_QUERY = "running late arrival policy"
_LATE = re.compile(r"\b(?:late|lateness|tardy|tardiness|grace period)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def late_policy(result: dict[str, Any]) -> str:
    """The clinic's own sentences about arriving late, from a ``search_knowledge`` result:
    the first sentence of the best passages that speaks of lateness and the one after it
    when it does too; "" when the documents say nothing about it."""
    for passage in result.get("passages") or []:
        body = re.sub(r"^#+\s*.*$", "", str(passage.get("text", "")), flags=re.M)
        if "\nA:" in body:
            body = body.split("\nA:", 1)[1]
        sentences = [s.strip() for s in _SENTENCE.split(" ".join(body.split())) if s.strip()]
        for i, sentence in enumerate(sentences):
            if _LATE.search(sentence):
                chosen = [sentence]
                if i + 1 < len(sentences) and _LATE.search(sentences[i + 1]):
                    chosen.append(sentences[i + 1])
                return " ".join(chosen)[:320]
    return ""


def _today(result: dict[str, Any], today: dt.date) -> str:
    """The patient's next visit today in words ("your Glass Facial at 12:00 PM CST"), or ""."""
    for appt in result.get("appointments") or []:
        start = dt.datetime.fromisoformat(str(appt.get("start")))
        if start.date() == today:
            clock = str(appt.get("when", "")).split(" at ", 1)[-1]
            return f"your {appt.get('service', 'visit')} at {clock}"
    return ""


def arrival_step(text: str, results: list[ToolResult], today: dt.date) -> ChatResponse:
    """The next step of answering an arrival note ``text``.

    Args:
        text: the patient's note.
        results: this turn's tool exchanges so far, oldest first.
        today: the clinic-local date.

    Returns:
        The next tool call, or the acknowledgement once staff were alerted.
    """
    done = {name: result for name, _, result in results}
    if "my_appointments" not in done:
        return call("my_appointments")
    visit = _today(done["my_appointments"], today)
    if "search_knowledge" not in done:
        return call("search_knowledge", query=LATE_POLICY_QUERY)
    if "handoff_to_staff" not in done:
        about = f" ({visit.removeprefix('your ')} today)" if visit else ""
        return call(
            "handoff_to_staff",
            reason="arrival",
            summary=f'Arrival note from the patient{about}: "{quote(text)}"',
        )
    return say(copy_questions.arrival(late_policy(done["search_knowledge"]), visit))
