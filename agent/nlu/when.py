"""When does the patient want to come in? Day and time-of-day preferences from free text.

:func:`parse_when` reads the grammar of dates and times in a patient's text ("thurs after 4",
"tmrw morning", "next tuesday or wednesday afternoon", "dec 3rd", "any weekday after 5") and
returns a :class:`TimePreference` the slot finder can filter with. Rules chosen:

* **Weekdays.** A bare weekday, or "this <weekday>", is its next occurrence; today counts when
  today is that weekday and it is before 17:00 local (otherwise a week later). "next <weekday>"
  is that weekday in the *following* calendar week (weeks run Monday..Sunday): on Monday
  Nov 23, "next friday" is Dec 4 and "friday" is Nov 27; on Saturday both are the coming
  Friday. A "next" is shared along a list: "next tue or wed" means both next week. Plurals
  and "any/every <weekday>" ("mondays") are a weekday filter with no date range.
* **Ranges.** "this week" = today..Sunday; "next week" = next Monday..Sunday; "this weekend"
  / "weekend" = the coming Saturday..Sunday (today onwards if it is the weekend); "next
  weekend" = the weekend of next week; "weekends" / "weekdays" = a weekday filter. "in 3
  days" = that day; "in 2 weeks" = the Monday..Sunday week holding today+14; "within 5 days" /
  "next 5 days" = today..today+5; months: "december", "early dec", "next month".
* **Explicit dates.** Holiday names ("christmas eve", "new years day": :mod:`agent.nlu.holidays`), "dec 3", "december 3rd", "3rd of dec", "12/3" (US month/day), "the 3rd"
  (this month, or next month if the 3rd has passed). A date without a year is the next one
  on or after today (so in December "jan 5" is next year).
* **Times** are clinic-local. Without am/pm, hours 1-7 are PM and 8-11 AM, 12 is noon (a spa
  books daytime); a part of day in the message overrides ("morning at 7" = 7 AM). "after 4" =
  start >= 16:00; "before 11" = start < 11:00; "around 2" = 13:00..15:00; "between 2 and 4" /
  "2-4pm" = 14:00..16:00; "at 3" / "3pm" = 15:00..16:00 (a start within that hour; the first
  on offer is 3:00 when free). "morning" = before 12:00, "afternoon" = 12:00..17:00,
  "evening" / "tonight" / "after work" = from 17:00, "lunch" = 11:00..14:00. Several parts of
  day are joined ("morning or afternoon" = before 17:00); explicit times narrow a part of day.
* **Not times:** bare numbers ("2"), prices ("$50"), quantities ("20 units", "24 hours"),
  and slot picks ("the 2nd one", "option 3") are ignored, so ``parse_when("2", now)`` is None.
* "asap", "soonest", "earliest", "first/next available" set ``asap``; "anytime", "whenever",
  "flexible" return an unconstrained preference (not None: the patient did answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from agent.nlu import _clock, _days
from agent.nlu._hours import (
    _TODAY,
    _TOMORROW,
    _Acc,
    _blank,
    _hint,
    _parts,
    _times,
    _window,
    exact_clock,
)
from agent.nlu._lexicon import NUMBER_WORDS, close_enough, weekday_of
from agent.nlu.holidays import holiday_spans
from agent.nlu.text import normalize

__all__ = ["TimePreference", "exact_start", "parse_when"]


@dataclass(frozen=True)
class TimePreference:
    """A patient's day/time preference, clinic-local.

    ``date_from``/``date_to``: inclusive local dates (None = open on that side).
    ``weekdays``: allowed weekdays, 0=Monday (empty = any). ``after``/``before``: a slot's
    start must satisfy ``start >= after`` and ``start < before``. ``asap``: the earliest
    opening is wanted. ``text``: a short description, e.g. ``"Thursday after 4:00 PM"``.
    """

    date_from: date | None
    date_to: date | None
    weekdays: frozenset[int]
    after: time | None
    before: time | None
    asap: bool = False
    text: str = ""


_ASAP = re.compile(
    r"\b(?:asap|a s a p|soonest|earliest|as soon as|(?:first|next|earliest|soonest) "
    r"(?:available|availability|opening|open|slot|spot|appt|appointment)|right away|right now)\b"
)
_ANYTIME = re.compile(
    r"\b(?:any ?time|whenever|any day|anyday|flexible|i'?m flexible|open schedule|"
    r"doesn'?t matter|does not matter|dont care|no preference|all day)\b"
)

_CONNECT = {"or", "and", "either", "maybe", "possibly", "also", "thru", "through", "to", "/"}
_MOD = {"next", "after", "before", "by", "until", "till", "til", "every", "any", "all"}


def _dates(s: str, acc: _Acc) -> str:
    """Explicit and relative dates. Consumes what it reads."""
    today = acc.today
    for start, end, holiday in holiday_spans(s, today):  # "christmas eve": its next date
        acc.points.append(holiday.date)
        s = s[:start] + " " * (end - start) + s[end:]
    m: re.Match[str] | None
    for m in list(re.finditer(r"\b(?:the )?day after (?:tomorrow|tmrw|tmr)\b", s)):
        acc.points.append(today + timedelta(days=2))
        s = _blank(s, m)
    for m in list(_days.RELATIVE.finditer(s)):
        raw = m.group("n")
        n = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
        acc.spans.append(_days.relative(today, m.group("kind"), n, m.group("unit")))
        acc.span_labels.append(m.group(0))
        s = _blank(s, m)
    for m in list(_days.NUMERIC.finditer(s)):
        if _clock.UNITS.match(s, m.end()):
            continue
        d = _days.make_date(today, int(m.group("m")), int(m.group("d")), m.group("y"))
        if d and 1 <= int(m.group("m")) <= 12:
            acc.points.append(d)
            s = _blank(s, m)
    for pattern in (_days.MONTH_DAY, _days.DAY_MONTH):
        for m in list(pattern.finditer(s)):
            month = _days.month_of(m.group("mon"))
            y = m.groupdict().get("y")
            d = _days.make_date(today, month, int(m.group("d")), y) if month else None
            if d:
                acc.points.append(d)
                s = _blank(s, m)
    for m in list(_days.ORDINAL_DAY.finditer(s)):
        d = _days.ordinal_day(today, int(m.group("d")))
        if d:
            acc.points.append(d)
            s = _blank(s, m)
    return s


def _periods(s: str, acc: _Acc) -> str:
    """Week/weekend/month phrases and weekday filters. Consumes what it reads."""
    today = acc.today
    this_mon, this_sun = _days.week_of(today)
    next_mon, next_sun = this_mon + timedelta(days=7), this_sun + timedelta(days=7)
    sat = _days.next_weekday(today, 5, include_today=True)
    weekend = (today, today) if today.weekday() == 6 else (sat, sat + timedelta(days=1))
    month_end = _days.month_span(today.year, today.month)[1]
    first_next = _days.add_months(today.replace(day=1), 1)
    next_month = _days.month_span(first_next.year, first_next.month)
    spans: list[tuple[str, tuple[date, date]]] = [
        (r"\b(?:the )?week after next\b", _days.week_of(today + timedelta(days=14))),
        (r"\b(?:early|beginning of|start of) next week\b", (next_mon, next_mon + timedelta(2))),
        (r"\b(?:late|later|end of|towards the end of) next week\b", (next_mon + timedelta(3), next_sun)),
        (r"\b(?:later|late|end of|towards the end of) (?:this|the) week\b",
         (max(today, this_mon + timedelta(3)), this_sun)),
        (r"\bnext weekend\b", (next_mon + timedelta(5), next_sun)),
        (r"\b(?:next|the following|this coming|coming) week\b", (next_mon, next_sun)),
        (r"\b(?:this|rest of the|rest of this) week\b", (today, this_sun)),
        (r"\b(?:(?:this|the|this coming|on the) )?weekend\b", weekend),
        (r"\bnext month\b", next_month),
        (r"\b(?:this|rest of the|rest of this) month\b", (today, month_end)),
        (r"\bend of (?:the |this )?month\b", (max(today, month_end - timedelta(6)), month_end)),
    ]  # fmt: skip
    m = re.search(r"\b(?:any|every|on) weekends?\b|\bweekends\b", s)
    if m:
        acc.wd_filter |= {5, 6}
        acc.found = True
        s = _blank(s, m)
    for pattern, span in spans:
        m = re.search(pattern, s)
        if m:
            acc.spans.append(span)
            acc.span_labels.append(m.group(0))
            s = _blank(s, m)
    filters = [
        (
            r"\b(?:any |on |every )?week ?days?\b|\bduring the week\b|\bm thru f\b|\bmon(?:day)? thru fri(?:day)?\b",
            set(range(5)),
        ),
    ]
    for pattern, days in filters:
        m = re.search(pattern, s)
        if m:
            acc.wd_filter |= days
            acc.found = True
            s = _blank(s, m)
    for m in list(_days.MONTH_ONLY.finditer(s)):
        month = _days.is_month_word(m.group("mon"), m.group("pos"))
        if month:
            acc.spans.append(_days.month_part(today, month, m.group("pos")))
            acc.span_labels.append(m.group(0).strip())
            s = _blank(s, m)
    return s


_AMBIGUOUS_WD = {"sun", "sat", "wed", "mon"}
_DAYISH = _MOD | _CONNECT | {"this", "on", "the", "coming", "thru"}


def _weekday_token(toks: list[str], i: int) -> int | None:
    """Weekday named by ``toks[i]``; the 3-letter forms that are also words ("sun spots",
    "i sat") need a day-like neighbour (this/next/on/or, a time, or the end of the message)."""
    tok = toks[i]
    if not tok.isalpha():
        return None
    wd = weekday_of(tok)
    if wd is None or tok not in _AMBIGUOUS_WD:
        return wd
    prev = toks[i - 1] if i else None
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if prev in _DAYISH or nxt is None or nxt in _DAYISH or nxt in ("at", "am", "pm"):
        return wd
    return wd if nxt[0].isdigit() else None


def _day_words(s: str, acc: _Acc) -> None:
    """today / tomorrow / weekday names, with this/next/after/before/by/every modifiers."""
    today = acc.today
    mode: str | None = None
    prev_wd: int | None = None
    toks = s.split()
    for i, tok in enumerate(toks):
        d: date | None = None
        wd = None
        if tok in _TODAY:
            d = today
        elif tok in _TOMORROW or (tok.startswith("tom") and close_enough(tok, "tomorrow")):
            d = today + timedelta(days=1)
        else:
            wd = _weekday_token(toks, i)
        if wd is not None:
            if (len(tok) > 6 and tok.endswith("s")) or mode in ("every", "any", "all"):
                acc.wd_filter.add(wd)
                acc.found = True
                continue
            if mode == "thru" and prev_wd is not None:
                for x in range(prev_wd + 1, wd + 1):
                    acc.named.add(x)
                    acc.wd_points.append(_days.next_weekday(today, x, include_today=True))
                prev_wd, mode = wd, None
                continue
            if mode == "next":
                d = _days.week_of(today)[0] + timedelta(days=7 + wd)
            else:
                d = _days.next_weekday(today, wd, include_today=acc.now.hour < 17)
            prev_wd = wd
        if d is None:
            if tok in ("thru", "through", "to") and prev_wd is not None:
                mode = "thru"
            elif tok in _MOD:
                mode = tok
            elif tok not in _DAYISH:
                mode, prev_wd = None, None
            continue
        if mode == "after":
            acc.date_from = d + timedelta(days=1)
        elif mode == "before":
            acc.date_to, acc.date_from = d - timedelta(days=1), today
        elif mode in ("by", "until", "till", "til"):
            acc.date_to, acc.date_from = d, today
        elif wd is not None:
            acc.named.add(wd)
            acc.wd_points.append(d)
        else:
            acc.points.append(d)
        if mode != "next":
            mode = None


_NEGATED = re.compile(
    r"\b(?:not|instead of|rather than|no longer)\s+(?:(?:on|the|this|next|at|right|just)\s+)*"
    r"(?P<what>[a-z0-9:]+(?:\s?(?:am|pm))?)"
)


def _drop_negated(s: str) -> str:
    """Blank a day or clock time the text negates ("tuesday not wednesday", "2 instead of
    3pm"): a correction names what it replaces, and that is no longer wished for. Bounds
    ("not before 10") are left to the time grammar."""
    for m in list(_NEGATED.finditer(s)):
        what = m.group("what")
        is_day = (
            what in _TODAY or what in _TOMORROW or what == "now" or weekday_of(what) is not None
        )
        if is_day or _clock.TIME_RE.fullmatch(what):
            s = _blank(s, m)
    return s


_REASON = re.compile(r"\b(?:because|bc|cuz|cause|coz|cos)\b[^.!?\n]*", re.IGNORECASE)


def parse_when(text: str, now_local: datetime) -> TimePreference | None:
    """Read a day/time preference from ``text``; None when it says nothing about time.

    A reason clause ("saturday morning, because my kids have soccer in the afternoon") explains
    the wish rather than stating one: when the rest of the message states a preference, the
    clause from "because"/"bc"/"cuz" to the end of its sentence is ignored.
    """
    main = _REASON.sub(" ", text)
    if main != text:
        found = _parse(main, now_local)
        if found is not None:
            return found
    return _parse(text, now_local)


def exact_start(text: str) -> time | None:
    """The clinic-local start ``text`` names to the minute ("do you have 11:15 thursday?",
    "what about 2:45") as the time wanted, not as a bound ("after 11:15") or a window
    ("around 2:45"); None otherwise, and for an hour alone ("3pm": that is a window)."""
    s = _clock.prepare(normalize(_REASON.sub(" ", text.lower())))
    s = re.sub(r"\b(?:how|what) about\b", "at", s)
    return exact_clock(s, _hint(s))


def _parse(text: str, now_local: datetime) -> TimePreference | None:
    """Read a day/time preference from ``text``; None when it says nothing about time.

    Args:
        text: the patient's message, raw.
        now_local: the current time, timezone-aware, in the clinic's zone.

    Returns:
        A :class:`TimePreference` (see the module docstring for every rule), or None.
    """
    s = re.sub(r"(?<=[a-z])\s*[-\u2013]\s*(?=[a-z])", " thru ", text.lower())
    s = _clock.prepare(normalize(s))
    s = re.sub(r"\b(?:how|what) about\b", "at", s)
    s = _drop_negated(s)
    if re.search(r"\bthis (?:morning|afternoon|evening)\b", s):
        s += " today"
    acc = _Acc(now=now_local, today=now_local.date())
    for pattern, flag in ((_ASAP, "asap"), (_ANYTIME, "any")):
        m = pattern.search(s)
        if m:
            acc.found = True
            acc.asap = acc.asap or flag == "asap"
            s = _blank(s, m)
    hint = _hint(s)
    s = _dates(s, acc)
    s = _times(s, acc, hint)
    s = _parts(s, acc)
    s = _periods(s, acc)
    _day_words(s, acc)
    return _assemble(acc)


def _assemble(acc: _Acc) -> TimePreference | None:
    has_days = acc.points or acc.wd_points or acc.spans or acc.date_from or acc.date_to
    if not (acc.found or has_days or acc.after or acc.before or acc.windows):
        return None
    weekdays = set(acc.wd_filter)
    start: date | None = None
    end: date | None = None
    if acc.spans:
        start = min(a for a, _ in acc.spans)
        end = max(b for _, b in acc.spans)
        weekdays |= acc.named
        if acc.points:
            start, end = min(start, *acc.points), max(end, *acc.points)
    else:
        points = sorted(set(acc.points + acc.wd_points))
        if points:
            start, end = points[0], points[-1]
            if len(points) > 1 and (end - start).days < 7:
                weekdays |= {p.weekday() for p in points}
            weekdays |= acc.named
    if acc.date_from:
        start = max(start, acc.date_from) if start and acc.date_to is None else acc.date_from
    if acc.date_to:
        end = acc.date_to if end is None else min(end, acc.date_to)
        start = start or acc.today
    if start and end and start > end:
        end = start
    after, before, tlabel = _window(acc)
    wds = frozenset(weekdays)
    day_label = (
        acc.span_labels[0]
        if len(acc.spans) == 1 and not (acc.points or acc.wd_points or weekdays)
        else _days.describe(acc.today, start, end, wds)
    )
    if acc.asap:
        tlabel = f"{tlabel} as soon as possible".strip()
    text = f"{day_label} {tlabel}".strip() or "any time"
    return TimePreference(start, end, wds, after, before, acc.asap, text)
