"""The engine's side of the clinic's limits (issue 11; ``clinic.limits`` in the clinic file):
how much patient text one turn passes to the model, and the clinic's daily model-token budget.

The per-number limits (texts per minute and hour, replies per day) stop a turn before the
engine runs (:mod:`app.flows.limits`); these two need what only the engine knows: the text the
model is given, and whether a model is about to be called.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from agent.store import tokens_used_since
from knowledge.clinic_file import ClinicFile

#: The staff alert's reason when the clinic's daily model-token budget is spent.
BUDGET_REASON = "token_budget"


def cap_text(text: str, max_chars: int) -> str:
    """``text`` as the model may see it: unchanged when it has at most ``max_chars``
    characters, else its first third and last two thirds of ``max_chars`` with a note in
    between telling the model what was cut (patients often ramble first and ask last, so the
    end is kept; the model answers what it saw rather than guessing at the rest).

    The safety triage reads the whole text before this (an emergency in the cut part is still
    caught).
    """
    if len(text) <= max_chars:
        return text
    head = max_chars // 3
    tail = max_chars - head
    note = (
        f"[{len(text) - max_chars} of the {len(text)} characters of the patient's message are "
        "cut here.]"
    )
    return f"{text[:head].rstrip()}\n{note}\n{text[-tail:].lstrip()}"


def tokens_today(session: Session, clinic: ClinicFile, now: dt.datetime) -> int:
    """Model tokens (prompt + completion) the clinic's turns used since the start of its
    local day holding ``now`` (aware), from the ``agent_turns`` rows of all its conversations;
    read in the caller's transaction."""
    return tokens_used_since(session, clinic.clinic.id, clinic.clinic.day_start(now))


def budget_alert(used: int, allowed: int) -> str:
    """The staff alert's summary when the clinic's daily model-token budget is spent (no
    patient text)."""
    return (
        f"The clinic's daily AI budget is spent ({used:,} of {allowed:,} model tokens today). "
        "The AI is paused on this conversation; please reply to the patient. Resume it "
        "tomorrow, or raise clinic.limits.daily_model_tokens."
    )
