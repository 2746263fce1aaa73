"""The patient's answer to a visit reminder, as a normal turn of the conversation.

Runs after the safety check and before any model (:func:`agent.engine.answer`). When the
conversation's latest text to the patient is a reminder of an upcoming, unconfirmed visit
(read from the ``scheduled_texts`` rows, :func:`booking.reminders.reminded_visit`, never from
the reminder's wording) and the patient's text is a plain confirmation - "C" (what the
reminder asks for), "yes see you then", "confirmed", a thumbs up - the visit is marked
confirmed and the patient thanked. Anything else ("can we move it to thursday", "I need to
cancel", "do I need to arrive early?") is left to the usual flows, so reschedules and
cancellations run under the clinic's cancellation policy and questions get answered.
"""

from __future__ import annotations

import re

from agent.nlu.intents import detect_intents, yes_no
from agent.tool_base import AgentDeps
from booking.copy_reminders import visit_confirmed
from booking.reminders import mark_confirmed, reminded_visit

#: "C" alone (the reminder's own instruction), with any case, spaces or end punctuation.
_LETTER_C = re.compile(r"^\s*c\s*[.!]*\s*$", re.IGNORECASE)


def is_confirmation(text: str) -> bool:
    """True when ``text`` only says yes to a reminder ("C", "yes see you then", "👍",
    "confirmed"); a yes that also asks to change, cancel or know something is not one."""
    if _LETTER_C.match(text):
        return True
    if yes_no(text) is not True:
        return False
    intents = detect_intents(text)
    return not (
        intents.wants_cancel
        or intents.wants_reschedule
        or intents.names_change
        or intents.is_question
        or intents.emergency
        or intents.medical_concern
    )


def answer_reminder(deps: AgentDeps, user_text: str) -> str | None:
    """Confirm the reminded visit when ``user_text`` confirms it.

    Args:
        deps: the turn's dependencies (database, conversation, now).
        user_text: the patient's text.

    Returns:
        The thank-you to send, or None when this text is not an answer to a reminder (the
        turn then goes on as usual).
    """
    if not is_confirmation(user_text):
        return None
    with deps.db.session() as session:
        visit = reminded_visit(session, deps.conversation_id, deps.now)
        if visit is None:
            return None
        mark_confirmed(session, visit.id, deps.now)
        start, timezone = visit.start_at, visit.timezone
    return visit_confirmed(start, deps.now, timezone)
