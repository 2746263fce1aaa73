"""Say so when the days a patient asked to book fall on a closure (DESIGN.md §4.1).

A wish for a day the clinic is closed ("facial new years day") or open short ("the 24th in
the afternoon" when it closes at 1 PM) finds nothing, or less than usual, on that day; the
slot reply alone ("I don't have openings Fri Jan 1") would leave the patient guessing why.
:func:`closure_note` names each closure in the searched dates with its reason and hours, to
be put before the slot reply, which already offers the nearest open times.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agent.copy_questions import day_label, hours_on
from knowledge.clinic_file import ClinicFile

__all__ = ["closure_note"]

#: A search over more days than this is a loose wish ("next month"): closures in it are
#: not what the patient asked about, so they are not announced.
MAX_NAMED_DAYS = 7
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def closure_note(clinic: ClinicFile, args: dict[str, Any]) -> str:
    """The closures within ``find_slots`` ``args``' dates, as sentences ("We're closed Fri
    Jan 1 (New Year's Day)."), or "" when there are none or the search has no short date
    range (``date_from``..``date_to``, at most :data:`MAX_NAMED_DAYS` days; ISO strings,
    clinic-local). Weekday filters in ``args`` ("mon".."sun") are respected."""
    start, end = args.get("date_from"), args.get("date_to")
    if not start or not end:
        return ""
    first, last = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    if (last - first).days >= MAX_NAMED_DAYS:
        return ""
    weekdays = {_WEEKDAYS.index(w) for w in args.get("weekdays") or [] if w in _WEEKDAYS}
    notes = [
        hours_on(c.date, list(c.hours or []), closure=c.reason)
        for c in sorted(clinic.clinic.closures, key=lambda c: c.date)
        if first <= c.date <= last and (not weekdays or c.date.weekday() in weekdays)
    ]
    return " ".join(notes)


def away_note(result: dict[str, Any]) -> str:
    """The sentence for a ``find_slots`` result whose provider is off on the days asked
    ("Alex Doe is off Mon Dec 7 to Sun Dec 13."), or ""."""
    away = result.get("provider_away")
    if not away:
        return ""
    first = dt.date.fromisoformat(str(away["from"]))
    last = dt.date.fromisoformat(str(away["to"]))
    span = day_label(first) if first == last else f"{day_label(first)} to {day_label(last)}"
    return f"{away['provider']} is off {span}."
