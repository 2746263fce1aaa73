"""Hours on a given date: "are you open on the 24th?", "open christmas eve?", "open
thanksgiving?", answered from the weekly hours and ``clinic.closures`` (DESIGN.md §4.1).

A date is asked by a holiday name (:mod:`agent.nlu.holidays`), by a closure's own reason
("open during the staff retreat?"), or by an explicit single date ("the 24th", "tomorrow").
A weekday alone ("open saturdays?") is the weekly question, answered by
:func:`agent.copy.hours`, unless the coming such day is a closure.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from agent import copy_questions
from agent.nlu.holidays import holidays_in
from agent.nlu.text import normalize
from agent.nlu.when import TimePreference
from knowledge.clinic_file import WEEKDAYS, ClinicFile

__all__ = ["AskedDay", "asked_days", "dated_hours"]

#: Words that ask whether the clinic is open (a holiday named without one is not an hours
#: question: "any specials for christmas?").
_OPEN = re.compile(r"\b(?:open|opened|close|closed|closing|hours|hrs|working|work)\b")
#: Reason words too general to name a closure.
_GENERIC = frozenset(
    [
        "day",
        "days",
        "the",
        "a",
        "an",
        "for",
        "of",
        "and",
        "clinic",
        "office",
        "closed",
        "closure",
        "holiday",
    ]
)
#: At most this many dates are answered in one reply.
MAX_DAYS = 3


@dataclass(frozen=True)
class AskedDay:
    """A date the patient asked about and the holiday name they used for it ("" if none)."""

    date: dt.date
    holiday: str = ""


def asked_days(
    clinic: ClinicFile, text: str, when: TimePreference | None, today: dt.date
) -> tuple[list[AskedDay], bool]:
    """The dates ``text`` asks about, and whether they were named (a holiday, a closure's
    reason, an explicit date) rather than read from a weekday.

    Args:
        clinic: the clinic's records (its closures' reasons are matched too).
        text: the patient's text.
        when: the text's parsed day/time wish, or None.
        today: the clinic-local date of the question.

    Returns:
        ``(days, named)``; ``days`` is empty when the text names no single date.
    """
    days = [AskedDay(h.date, h.label) for h in holidays_in(text, today)]
    words = set(normalize(text).replace("'", "").split())
    for closure in clinic.clinic.closures:
        reason = set(normalize(closure.reason).replace("'", "").split()) - _GENERIC
        known = any(d.date == closure.date for d in days)
        if closure.date >= today and reason and reason <= words and not known:
            days.append(AskedDay(closure.date))
    if days:
        return days[:MAX_DAYS], True
    if when is None or when.date_from is None or when.date_from != when.date_to:
        return [], False
    return [AskedDay(when.date_from)], not when.weekdays


def dated_hours(
    clinic: ClinicFile, text: str, when: TimePreference | None, today: dt.date
) -> str | None:
    """The reply to an hours question about particular dates, or None when the text asks no
    such thing (then the weekly hours answer it, if anything).

    A weekday-only ask ("what time do u close saturday") is answered here only when the
    coming such day is a closure; the weekly answer is right for every other week.
    """
    if not _OPEN.search(normalize(text)):
        return None
    days, named = asked_days(clinic, text, when, today)
    closures = {c.date: c for c in clinic.clinic.closures}
    if not days or not (named or any(d.date in closures for d in days)):
        return None
    lines = []
    for asked in days:
        closure = closures.get(asked.date)
        if closure is not None:
            spans = list(closure.hours or [])
            reason: str | None = closure.reason or asked.holiday
        else:
            spans = list(clinic.clinic.hours.get(WEEKDAYS[asked.date.weekday()], []))
            reason = None
        lines.append(
            copy_questions.hours_on(asked.date, spans, closure=reason, holiday=asked.holiday)
        )
    return " ".join(lines)
