"""A promise kept: a reply that says the team will follow up is a real staff alert carrying
the patient's question, whichever model wrote it (DESIGN.md §2)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.tools import AgentDeps

#: A reply that promises a person will follow up ("I'll check with the team", "someone will
#: get back to you"), whichever model wrote it.
PROMISE = re.compile(
    r"\b(?:check|confirm|ask|verify) with (?:the|our) (?:team|staff|providers?|front desk)|"
    r"\b(?:get|got|getting) back to you\b|\b(?:someone|a team member|our team|the team|a "
    r"provider|one of our \w+) (?:will|is going to|can) (?:text|call|reach out|follow up|"
    r"contact|get back)",
    re.IGNORECASE,
)


def keep_promise(deps: AgentDeps, alerted: bool, user_text: str, reply: str) -> None:
    """Alert staff (the AI stays on) with the patient's question when ``reply`` says the team
    will follow up, unless staff were already ``alerted`` this turn.

    Args:
        deps: the turn's dependencies (its ``notify`` alerts staff).
        alerted: staff were alerted or took over earlier in the turn.
        user_text: the patient's text; its first 300 characters go to staff.
        reply: the text about to be sent.
    """
    if alerted or not PROMISE.search(reply):
        return
    question = " ".join(user_text.split())[:300]
    deps.notify(
        "question",
        f'The assistant told the patient the team will follow up. The patient wrote: "{question}"',
        pause=False,
    )
