"""Holiday names patients use ("open christmas eve?", "thanksgiving", "new years"), as dates.

Field vocabulary, kept in this one documented module: the US public and shopping holidays a
clinic's closures are usually named after. A name resolves to its next date on or after a
given day, so "thanksgiving" asked in November is this year's and asked in December next
year's. Clinic-specific closures ("staff training") are matched on their own ``reason`` words
by :func:`agent.offline.dated_hours.asked_dates`, not here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from typing import NamedTuple

from agent.nlu.text import normalize

__all__ = ["Holiday", "holiday_spans", "holidays_in"]


def _fixed(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda year: dt.date(year, month, day)


def _nth_weekday(month: int, weekday: int, n: int) -> Callable[[int], dt.date]:
    """The ``n``-th ``weekday`` (0=Monday) of ``month``; ``n = -1`` for the last."""

    def on(year: int) -> dt.date:
        days = [
            d
            for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if dt.date(year, month, d).weekday() == weekday
        ]
        return dt.date(year, month, days[n if n < 0 else n - 1])

    return on


def _after(rule: Callable[[int], dt.date], days: int) -> Callable[[int], dt.date]:
    return lambda year: rule(year) + dt.timedelta(days=days)


_THANKSGIVING = _nth_weekday(11, 3, 4)

#: (pattern over normalized text, label, date rule); longer names first so "christmas eve"
#: is not read as "christmas".
_HOLIDAYS: tuple[tuple[str, str, Callable[[int], dt.date]], ...] = (
    (r"(?:christmas|xmas|x-mas) eve", "Christmas Eve", _fixed(12, 24)),
    (r"(?:christmas|xmas|x-mas)(?: day)?", "Christmas", _fixed(12, 25)),
    (r"new ?year'?s? eve|nye", "New Year's Eve", _fixed(12, 31)),
    (r"new ?year'?s?(?: day)?", "New Year's Day", _fixed(1, 1)),
    (r"black friday", "Black Friday", _after(_THANKSGIVING, 1)),
    (r"thanksgiving|turkey day", "Thanksgiving", _THANKSGIVING),
    (
        r"(?:the )?(?:4th|fourth) of july|july (?:4th|4|fourth)|independence day",
        "July 4th",
        _fixed(7, 4),
    ),
    (r"memorial day", "Memorial Day", _nth_weekday(5, 0, -1)),
    (r"labou?r day", "Labor Day", _nth_weekday(9, 0, 1)),
    (r"mlk day|martin luther king(?: jr)?(?: day)?", "MLK Day", _nth_weekday(1, 0, 3)),
    (r"president'?s? day", "Presidents' Day", _nth_weekday(2, 0, 3)),
    (r"valentine'?s?(?: day)?", "Valentine's Day", _fixed(2, 14)),
    (r"halloween", "Halloween", _fixed(10, 31)),
    (r"easter", "Easter", lambda year: _easter(year)),
    (r"mother'?s? day", "Mother's Day", _nth_weekday(5, 6, 2)),
)
_PATTERNS = tuple((re.compile(rf"\b(?:{p})\b"), label, rule) for p, label, rule in _HOLIDAYS)


def _easter(year: int) -> dt.date:
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


class Holiday(NamedTuple):
    """A named holiday: its name as we write it ("Christmas Eve") and its next date."""

    label: str
    date: dt.date


def holidays_in(text: str, today: dt.date) -> list[Holiday]:
    """The holidays ``text`` names, in the order named, each at its next date on or after
    ``today`` (a clinic-local date).

    Args:
        text: the patient's text, in any case and spelling of the names above.
        today: the clinic-local date of the question.

    Returns:
        ``[Holiday(label, date), ...]``; empty when no holiday is named.
    """
    return [h for _, _, h in holiday_spans(normalize(text), today)]


def holiday_spans(lowered: str, today: dt.date) -> list[tuple[int, int, Holiday]]:
    """The holidays already-normalized text ``lowered`` names, as ``(start, end, Holiday)``
    character spans in the order named, each at its next date on or after ``today`` (so a
    date parser can read the name as a day and consume it)."""
    found: list[tuple[int, int, Holiday]] = []
    for pattern, label, rule in _PATTERNS:
        for m in pattern.finditer(lowered):
            if any(a < m.end() and m.start() < b for a, b, _ in found):
                continue  # "christmas" inside "christmas eve", already read
            day = rule(today.year)
            if day < today:
                day = rule(today.year + 1)
            found.append((m.start(), m.end(), Holiday(label, day)))
    return sorted(found, key=lambda x: x[0])
