"""Private calendar arithmetic and date grammar for :mod:`agent.nlu.when`."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from agent.nlu._lexicon import MONTH_LABELS, MONTH_NAMES, NUMBER_WORDS, WEEKDAY_LABELS, month_of

Span = tuple[date, date]

_NUM = r"(?P<n>\d{1,2}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
RELATIVE = re.compile(
    r"\b(?P<kind>in|within|next|after|over)\s+(?:the\s+)?(?:next\s+)?(?:a\s+)?"
    + _NUM
    + r"(?:\s+of)?\s+(?P<unit>days?|weeks?|wks?|months?)\b(?:\s+from\s+(?:now|today))?"
)
MONTH_DAY = re.compile(
    r"\b(?P<mon>[a-z]{3,9})\s+(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?"
    r"(?:\s+(?P<y>20\d\d))?\b(?!\s?(?:am|pm|oclock|:|units?))"
)
DAY_MONTH = re.compile(
    r"\b(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>[a-z]{3,9})\b"
)
NUMERIC = re.compile(r"(?<![$\d])\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\b")
MONTH_ONLY = re.compile(
    r"\b(?P<pos>early|beginning of|start of|mid|middle of|late|end of|in|during|for|"
    r"sometime in|next|this)?\s*(?:the\s+)?(?:month\s+of\s+)?(?P<mon>[a-z]{3,9})\b"
)
ORDINAL_DAY = re.compile(
    r"(?<!#)(?<!option )(?<!number )(?<!no )\b(?:on\s+)?(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)\b"
    r"(?!\s*(?:one|option|slot|choice|pick|time|appt|appointment|opening|spot)\b)"
)


def next_weekday(today: date, weekday: int, *, include_today: bool) -> date:
    """The first date on or after ``today`` (after, if not ``include_today``) on ``weekday``."""
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and not include_today:
        delta = 7
    return today + timedelta(days=delta)


def week_of(day: date) -> Span:
    """Monday..Sunday of the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_span(year: int, month: int) -> Span:
    """First..last day of a month."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def relative(today: date, kind: str, n: int, unit: str) -> Span:
    """``in 3 days`` -> that day; ``in 2 weeks`` -> that week (Mon..Sun); ``in a month`` ->
    that date +-3 days; ``within/next N <unit>`` -> today..today+N units."""
    days = n * (7 if unit.startswith("w") else 30 if unit.startswith("m") else 1)
    if kind in ("within", "next", "over"):
        return today, today + timedelta(days=days)
    target = today + timedelta(days=days)
    if unit.startswith("w"):
        start, end = week_of(target)
        return max(start, today), end
    if unit.startswith("m"):
        return target - timedelta(days=3), target + timedelta(days=3)
    return target, target


def make_date(today: date, month: int, day: int, year: str | None) -> date | None:
    """A month/day (optional year) as the next such date on or after today; None if invalid."""
    if year:
        y = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return date(y, month, day)
        except ValueError:
            return None
    for y in (today.year, today.year + 1):
        try:
            candidate = date(y, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def ordinal_day(today: date, day: int) -> date | None:
    """``the 3rd``: day 3 of this month if not past, else of the next month that has it."""
    for k in range(3):
        first = add_months(today.replace(day=1), k)
        if day <= calendar.monthrange(first.year, first.month)[1]:
            candidate = first.replace(day=day)
            if candidate >= today:
                return candidate
    return None


def month_part(today: date, month: int, pos: str | None) -> Span:
    """``december`` / ``early december`` / ``end of december`` as a span, rolled forward a year
    when the month is over, clipped to start today."""
    year = today.year if month >= today.month else today.year + 1
    start, end = month_span(year, month)
    if pos in ("early", "beginning of", "start of"):
        end = start + timedelta(days=9)
    elif pos in ("mid", "middle of"):
        start, end = start + timedelta(days=9), start + timedelta(days=19)
    elif pos in ("late", "end of"):
        start = end - timedelta(days=9)
    return max(start, today), max(end, today)


def is_month_word(word: str, pos: str | None) -> int | None:
    """A month-only mention. ``may``/``march`` (also English words) need a leading word such as
    ``in``/``early``; short forms must not be another word."""
    month = month_of(word)
    if month is None or (not pos and (len(word) < 4 or word in ("may", "march", "marc"))):
        return None
    if not pos and word not in MONTH_NAMES and len(word) < 6:
        return None
    return month


def describe(today: date, start: date | None, end: date | None, weekdays: frozenset[int]) -> str:
    """Human label for a day range, e.g. ``"tomorrow"``, ``"Thursday"``, ``"Dec 1-Dec 7"``."""

    def one(d: date) -> str:
        if d == today:
            return "today"
        if d == today + timedelta(days=1):
            return "tomorrow"
        name = WEEKDAY_LABELS[d.weekday()]
        if d - today < timedelta(days=7):
            return name
        return f"{name}, {MONTH_LABELS[d.month - 1]} {d.day}"

    def short(d: date) -> str:
        return f"{MONTH_LABELS[d.month - 1]} {d.day}"

    days = _weekday_label(weekdays)
    if start and end and start == end:
        return one(start)
    if start and end and (end - start).days < 7:
        covered = {(start + timedelta(days=k)).weekday() for k in range((end - start).days + 1)}
        if not weekdays or covered == set(weekdays):
            return f"{one(start)} to {one(end)}"
    if start and end:
        span = f"{short(start)}-{short(end)}"
        return f"{days} {span}" if days else span
    if start:
        return f"{days} from {short(start)}" if days else f"from {one(start)}"
    if end:
        return f"{days} until {short(end)}" if days else f"until {one(end)}"
    return days if len(weekdays) != 1 else f"any {days}"


def _weekday_label(weekdays: frozenset[int]) -> str:
    if not weekdays:
        return ""
    if weekdays == frozenset(range(5)):
        return "weekdays"
    if weekdays == frozenset({5, 6}):
        return "weekends"
    return " or ".join(WEEKDAY_LABELS[d] for d in sorted(weekdays))
