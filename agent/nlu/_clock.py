"""Private clock-time grammar shared by :mod:`agent.nlu.when` and :mod:`agent.nlu.picks`."""

from __future__ import annotations

import re
from datetime import time

# A clock time inside normalised text. Groups: h, m, ap, word (noon/midday).
TIME = (
    r"(?:\b(?P<word>noon|midday)\b"
    r"|(?<![$\d.:/])(?P<h>\d{1,2})(?:[:.](?P<m>[0-5]\d))?\s?(?P<ap>am|pm)?(?![\d/%$])(?!(?!ish|oclock)[a-z]))"
)
TIME_RE = re.compile(TIME)
# words after a number that make it a quantity, never a clock time
UNITS = re.compile(
    r"\s*(?:units?|u\b|syringes?|vials?|ml|cc|mins?|minutes?|hours?|hrs?|days?|weeks?|wks?|"
    r"months?|years?|yrs?|people|persons?|areas?|sessions?|treatments?|pack|%|dollars?|bucks|"
    r"off|percent|x\b|st\b|nd\b|rd\b|th\b|lbs?|pounds?)"
)


def prepare(text: str) -> str:
    """Join spelled-out meridiems in normalised text: ``"3 p m"`` -> ``"3pm"``, ``"3p"`` -> ``"3pm"``."""
    s = re.sub(r"\b([ap])\s?m\b", r"\1m", text)
    s = re.sub(r"(\d)([ap])\b", r"\1\2m", s)
    s = re.sub(r"\bo\s?'?\s?clock\b", "oclock", s)
    return re.sub(r"\b12\s?(?:noon|pm)\b", "noon", s)


def to_time(
    hour: int, minute: int = 0, meridiem: str | None = None, hint: str | None = None
) -> time | None:
    """Resolve an hour/minute the way a clinic would.

    With ``am``/``pm``: the usual 12-hour reading (``12am`` is rejected: clinics are closed).
    Hours 13-23 are read as a 24-hour clock. Without a meridiem, ``hint`` ("am"/"pm" from a
    part of day in the same message) decides; otherwise hours 1-7 are PM and 8-11 are AM
    (nobody books a med spa at 4 AM; "at 9" is a morning appointment), 12 is noon.
    Returns None when the numbers are not a clock time.
    """
    if not 0 <= minute <= 59 or not 0 <= hour <= 23:
        return None
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        if meridiem == "pm":
            return time(12 if hour == 12 else hour + 12, minute)
        return None if hour == 12 else time(hour, minute)
    if hour >= 13:
        return time(hour, minute)
    if hour == 0:
        return None
    if hour == 12:
        return time(12, minute)
    if hint == "am":
        return time(hour, minute)
    if hint == "pm" or hour <= 7:
        return time(hour + 12, minute)
    return time(hour, minute)


def label(t: time) -> str:
    """``time(16, 0)`` -> ``"4:00 PM"``."""
    h = t.hour % 12 or 12
    return f"{h}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"
