"""Every question of a text answered: "how much is botox? also are you open saturdays".

A text (or a burst of texts) may ask several things. :func:`split_questions` cuts it where a
new question starts: at a sentence end or line break, and at "and"/"also"/"plus" when a question
word follows ("where are you located and do you validate parking"). :func:`answer_each` then
runs the offline policy on each part as if it came alone, with the tool calls each part needs,
and joins the answers in the order asked. Only texts whose every part asks for information
(prices, hours, location, the clinic's records) are split; a booking, a pick or a change is
answered as one text, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.dialog import StateUpdate
from agent.models.base import ChatResponse
from agent.nlu.arrival import is_arrival
from agent.nlu.intents import detect_intents
from agent.offline.parser import ToolResult
from agent.offline.steps import say

__all__ = ["answer_each", "split_questions"]

_QUESTION_WORD = (
    r"(?:do|does|did|is|are|r|can|could|will|would|should|what|whats|where|wheres|when|how|hows|"
    r"who|which|why|any|anything)"
)
_BREAK = re.compile(
    r"(?<=[?!.])\s+|\n+|[;]\s*|,?\s+(?:and|n|&|\+|also|plus|and also|oh and)\s+(?=(?:also\s+)?"
    + _QUESTION_WORD
    + r"\b)|\?\s*(?:and|also|plus)\s+",
    re.IGNORECASE,
)
#: Words that join a question to the one before ("and do you take carecredit").
_LEAD = re.compile(
    r"^\s*(?:(?:and|n|also|plus|oh|btw|ps|and also|oh and|one more thing)\b[\s,]*)+", re.I
)
#: A question asked at the end of a statement ("my mom uses a wheelchair is it accessible").
_ENDS_ASKING = re.compile(
    r"\b(?:is|are|do|does|can|could|will|would) (?:it|there|you|u|yall|they|she|he|i|we)\b"
    r"[^.?!]*$",
    re.IGNORECASE,
)
#: How many questions of one text are answered one by one (more are answered as one text).
MAX_PARTS = 4


_COMMA_ASK = re.compile(r",\s+(?=(?:which|where|wheres|what|whats|how|do|does|can|is|are)\s)", re.I)


def _note_apart(chunk: str) -> list[str]:
    """``chunk`` cut after an arrival note that opens it ("im outside, which door do i use"
    -> the note and the question); else ``[chunk]``."""
    head, sep, tail = chunk.partition(",")
    if sep and _COMMA_ASK.search(chunk) and is_arrival(head):
        return [head, tail]
    return [chunk]


def split_questions(text: str) -> list[str]:
    """The information questions of ``text``, in order, when there are two or more; else
    ``[text]``.

    A part counts when it asks for information (a price, hours, a location, the services, or
    any question) and asks for no pick, cancellation or reschedule; one part may instead
    ask for openings, and a part may be an arrival note ("im outside").
    """
    pieces = [p for chunk in _BREAK.split(text) if chunk for p in _note_apart(chunk)]
    parts = [_LEAD.sub("", p).strip(" ,.") for p in pieces if p.strip(" ,.?!")]
    if not 2 <= len(parts) <= MAX_PARTS:
        return [text]
    wishes = 0  # one booking wish rides along ("whats the address and any openings tmrw")
    for part in parts:
        intents = detect_intents(part)
        if is_arrival(part):
            continue  # "im outside, which door?": the note is told to staff, the question answered
        if intents.wants_booking and not (intents.wants_cancel or intents.wants_reschedule):
            wishes += 1
            if wishes > 1 or intents.asks_my_appointment:
                return [text]
            continue
        asks = (
            intents.asks_price
            or intents.asks_hours
            or intents.asks_location
            or intents.asks_services
            or intents.is_question
            or bool(_ENDS_ASKING.search(part))
        )
        changes = intents.wants_booking or intents.wants_cancel or intents.wants_reschedule
        if not asks or changes or intents.asks_my_appointment:
            return [text]
    return parts


def answer_each(
    parts: list[str],
    first_step: Callable[[str], ChatResponse],
    next_step: Callable[[str, list[ToolResult]], ChatResponse],
    results: list[ToolResult],
) -> ChatResponse:
    """The next step of answering every part: a tool call a part still needs, or the joined
    answers once every part has one.

    Args:
        parts: the questions (:func:`split_questions`).
        first_step: the policy's step for a part on its own (``Policy.on_text``).
        next_step: the policy's step after tool results (``Policy.after_tools``).
        results: this turn's tool exchanges so far, oldest first.

    Returns:
        A tool call (this request's answer) or the final SMS text, with what its answers
        ask (:class:`agent.dialog.StateUpdate`).
    """
    answers: list[str] = []
    asked = StateUpdate()  # what the joined reply asks: each answer's question, the last wins
    unused = list(results)
    for part in parts:
        step = first_step(part)
        mine: list[ToolResult] = []
        while step.tool_calls:
            call = step.tool_calls[0]
            found = next((r for r in unused if r[0] == call.name and r[1] == call.arguments), None)
            if found is None:
                return step  # the engine runs it and asks again
            unused.remove(found)
            mine.append(found)
            step = next_step(part, mine)
        if step.content and step.content not in answers:
            answers.append(step.content)
            asked = asked.merged(step.state or StateUpdate())
    return say("\n\n".join(answers), asked)
