"""Reply wording for answered questions: hours on a date, records that are silent, arrivals.

Split from :mod:`agent.copy` (at its size limit); every sentence here states only what the
clinic's records say (weekly hours, ``clinic.closures``, documents) or that the team will
check, which :func:`agent.engine._keep_promise` turns into a real staff alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from agent.copy import clock

__all__ = [
    "arrival",
    "day_label",
    "deposit",
    "hours_on",
    "min_age",
    "records_silent",
]


def day_label(day: dt.date) -> str:
    """``Thu Dec 24``."""
    return f"{day.strftime('%a %b')} {day.day}"


def _spans(spans: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{clock(a)}-{clock(b)}" for a, b in spans)


def hours_on(
    day: dt.date,
    spans: Sequence[tuple[str, str]],
    *,
    closure: str | None,
    holiday: str = "",
) -> str:
    """One date's hours in a sentence.

    Args:
        day: the clinic-local date.
        spans: that day's open ``("HH:MM", "HH:MM")`` intervals (empty: closed).
        closure: the closure's reason when the date is in ``clinic.closures`` ("" when it
            gives none), else None (the weekly hours apply).
        holiday: the holiday the patient named for it ("Christmas Eve"), or "".
    """
    # A date not in the records (a weekly day) is named without its month: the grounding
    # guardrail accepts only dates the clinic's records or a tool result contain.
    label = day_label(day) if closure is not None else f"{day.strftime('%a')} the {_nth(day.day)}"
    why = closure or holiday
    named = f"{label} ({why})" if why else label
    if closure is not None and not spans:
        return f"We're closed {named}."
    if closure is not None:
        return f"On {named} we're open {_spans(spans)} only."
    if not spans:
        return f"We're closed on {day.strftime('%A')}s, so we're closed {named}."
    if holiday:
        return (
            f"{holiday} isn't on our closure list, so we're open our usual "
            f"{day.strftime('%A')} hours, {_spans(spans)}."
        )
    return f"We're open {label}, {_spans(spans)}."


def _nth(day: int) -> str:
    """``1`` -> ``1st``, ``22`` -> ``22nd``, ``13`` -> ``13th``."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


#: The records do not answer a policy question: say so; the engine alerts staff.
def records_silent(topic: str) -> str:
    """The clinic's records say nothing about ``topic`` ("late arrivals"): no guess, the
    team checks (the wording is a promise :func:`agent.engine._keep_promise` keeps)."""
    return (
        f"I don't see anything in our records about {topic}, so I don't want to guess. "
        "I'll check with the team and get back to you."
    )


def min_age(service: str, age: int) -> str:
    """A service's minimum age from the clinic file."""
    return f"{service} is for patients {age} and older."


def arrival(policy: str, appointment: str) -> str:
    """The acknowledgement of an arrival text ("stuck in traffic", "I'm outside").

    Args:
        policy: the clinic's late-arrival sentences from its documents, or "".
        appointment: the patient's visit today in words ("your Glass Facial at 2:00 PM"), or "".
    """
    about = f" about {appointment}" if appointment else ""
    text = f"Thanks for the heads-up{about}! I've let the team know."
    if policy:
        text += f" {policy}"
    return text + " See you soon!"


def deposit(service: str, amount: str | None) -> str:
    """A service's deposit from the clinic file (``amount`` formatted, None: no deposit)."""
    if amount is None:
        return f"{service} needs no deposit to book."
    return f"{service} needs a {amount} deposit to hold your time."
