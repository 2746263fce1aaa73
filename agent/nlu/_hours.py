"""Private time-of-day grammar and the parse accumulator for :mod:`agent.nlu.when`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from agent.nlu import _clock
from agent.nlu._lexicon import close_enough, weekday_of


def _t(pfx: str) -> str:
    return _clock.TIME.replace("?P<", f"?P<{pfx}")


_RANGE = re.compile(
    r"\b(?:(?P<pre>between|from|btwn|btw)\s+)?"
    + _t("a")
    + r"\s*(?:and|to|till|til|until|-|thru)\s*"
    + _t("b")
)
_AFTER = re.compile(
    r"\b(?:after|past|later than|no earlier than|starting at|starting|from|not before|aft)\s+"
    r"(?:like\s+|about\s+|around\s+)?" + _t("x")
)
_LATER = re.compile(_t("x") + r"\s*(?:or later|or after|onwards?|and later|and after|or so on)\b")
_BEFORE = re.compile(
    r"\b(?:before|by|until|till|til|no later than|earlier than|not after|b4)\s+(?:like\s+)?"
    + _t("x")
)
_AROUND = re.compile(
    r"\b(?:around|about|approx|approximately|roughly|near|close to|round)\s+" + _t("x")
)
_ISH = re.compile(_t("x") + r"\s?ish\b")
_AT = re.compile(r"\b(?:at)\s+(?:like\s+)?" + _t("x") + r"(?:\s?oclock)?")
_BARE = re.compile(_t("x") + r"(?:\s?oclock)?")

# part-of-day phrases (regex, start, end, label), most specific first
_PARTS: list[tuple[re.Pattern[str], time | None, time | None, str]] = [
    (re.compile(p), a, b, lab)
    for p, a, b, lab in [
        (r"\b(?:early morning|first thing|early in the morning)\b", None, time(10), "early morning"),
        (r"\b(?:late morning|mid ?morning)\b", time(10), time(12), "late morning"),
        (r"\b(?:early afternoon)\b", time(12), time(15), "early afternoon"),
        (r"\b(?:late afternoon|end of (?:the )?day|after school)\b", time(15), None, "late afternoon"),
        (r"\bafter lunch\b", time(13), None, "after lunch"),
        (r"\bbefore lunch\b", None, time(12), "before lunch"),
        (r"\b(?:lunch ?time|lunch ?break|over lunch|at lunch|during lunch|lunch|midday)\b",
         time(11), time(14), "around lunch"),
        (r"\b(?:in the )?(?:mornings?|morn|mornin)\b|\b(?:the|in) am\b", None, time(12), "morning"),
        (r"\b(?:in the )?(?:afternoons?|aft|arvo)\b|\b(?:the|in) pm\b", time(12), time(17), "afternoon"),
        (r"\b(?:evenings?|tonight|tonite|after work|night|nights)\b", time(17), None, "evening"),
    ]
]  # fmt: skip
_FUZZY_PARTS = ("morning", "afternoon", "evening")
_AFTERNOON = (time(12), time(17), "afternoon")


_TOMORROW = {"tmrw", "tmr", "tmrow", "tmw", "tmro", "tmrrw", "tomo", "tmorrow", "2morrow", "2moro"}
_TODAY = {"today", "tday", "2day", "todya", "tdy", "todays"}


@dataclass
class _Acc:
    now: datetime
    today: date
    points: list[date] = field(default_factory=list)
    wd_points: list[date] = field(default_factory=list)
    named: set[int] = field(default_factory=set)
    spans: list[tuple[date, date]] = field(default_factory=list)
    span_labels: list[str] = field(default_factory=list)
    wd_filter: set[int] = field(default_factory=set)
    date_from: date | None = None
    date_to: date | None = None
    windows: list[tuple[time | None, time | None, str]] = field(default_factory=list)
    after: list[time] = field(default_factory=list)
    before: list[time] = field(default_factory=list)
    exact: bool = False
    asap: bool = False
    found: bool = False


def _blank(s: str, m: re.Match[str]) -> str:
    return s[: m.start()] + " " * (m.end() - m.start()) + s[m.end() :]


def _clock_of(m: re.Match[str], pfx: str, hint: str | None) -> time | None:
    if m.group(pfx + "word"):
        return time(12)
    return _clock.to_time(
        int(m.group(pfx + "h")), int(m.group(pfx + "m") or 0), m.group(pfx + "ap"), hint
    )


def _shift(t: time, minutes: int) -> time:
    total = min(max(t.hour * 60 + t.minute + minutes, 0), 23 * 60 + 59)
    return time(total // 60, total % 60)


def _times(s: str, acc: _Acc, hint: str | None) -> str:
    """Clock times: ranges, after/before/around/at, bare '3pm'. Consumes what it reads."""
    for m in list(_RANGE.finditer(s)):
        if _clock.UNITS.match(s, m.end()):
            continue
        has_ap = m.group("aap") or m.group("bap") or m.group("aword") or m.group("bword")
        if not (m.group("pre") or has_ap or m.group("am") or m.group("bm")):
            continue
        a_hint = hint or (m.group("bap") if not m.group("aap") else None)
        a, b = _clock_of(m, "a", a_hint), _clock_of(m, "b", hint)
        if a and b and a >= b and not m.group("aap") and a.hour >= 12:
            a = time(a.hour - 12, a.minute)  # "between 11 and 1" style already fine; "10-2"
        if a and b and a < b:
            acc.after.append(a)
            acc.before.append(b)
            s = _blank(s, m)
    rules: list[tuple[re.Pattern[str], str]] = [
        (_AFTER, "after"),
        (_LATER, "after"),
        (_BEFORE, "before"),
        (_AROUND, "around"),
        (_ISH, "around"),
        (_AT, "at"),
        (_BARE, "bare"),
    ]
    for pattern, kind in rules:
        for m in list(pattern.finditer(s)):
            if _clock.UNITS.match(s, m.end()):
                continue
            if kind == "bare" and not (
                m.group("xap") or m.group("xm") or m.group("xword") or "oclock" in m.group(0)
            ):
                continue
            t = _clock_of(m, "x", hint)
            if t is None:
                continue
            if kind == "after":
                acc.after.append(t)
            elif kind == "before":
                acc.before.append(t)
            elif kind == "around":
                acc.after.append(_shift(t, -60))
                acc.before.append(_shift(t, 60))
            else:
                acc.after.append(t)
                acc.before.append(_shift(t, 60))
                acc.exact = True
            s = _blank(s, m)
    return s


def _parts(s: str, acc: _Acc) -> str:
    """Parts of the day ("morning", "after work", "friday pm", "evning")."""
    for pattern, a, b, lab in _PARTS:
        for m in list(pattern.finditer(s)):
            acc.windows.append((a, b, lab))
            if m.group(0).strip() in ("tonight", "tonite"):
                acc.points.append(acc.today)
            s = _blank(s, m)
    toks = s.split()
    for i, tok in enumerate(toks):
        if (
            tok in ("am", "pm")
            and i
            and (
                weekday_of(toks[i - 1]) is not None
                or toks[i - 1] in _TODAY | _TOMORROW | {"tomorrow"}
            )
        ):
            acc.windows.append((None, time(12), "morning") if tok == "am" else _AFTERNOON)
        for word in _FUZZY_PARTS:
            if len(tok) >= 6 and tok != word and close_enough(tok, word):
                pat = next(p for p in _PARTS if p[3] == word)
                acc.windows.append((pat[1], pat[2], word))
    return s


def _hint(s: str) -> str | None:
    if re.search(r"\b(?:morning|mornings|morn|mornin)\b|\b(?:the|in) am\b", s):
        return "am"
    if re.search(r"\b(?:afternoon|evening|tonight|night|pm)\b", s):
        return "pm"
    return None


_PART_LABELS = {
    "morning": "in the morning",
    "afternoon": "in the afternoon",
    "evening": "in the evening",
}


def _window(acc: _Acc) -> tuple[time | None, time | None, str]:
    """Join parts of day (union) and explicit clock limits (intersection)."""
    wa = wb = None
    wlabel = ""
    if acc.windows:
        starts = [a for a, _, _ in acc.windows]
        ends = [b for _, b, _ in acc.windows]
        wa = None if None in starts else min(x for x in starts if x is not None)
        wb = None if None in ends else max(x for x in ends if x is not None)
        labels = list(dict.fromkeys(lab for _, _, lab in acc.windows))
        wlabel = " or ".join(labels)
        wlabel = _PART_LABELS.get(wlabel, wlabel)
    ea = max(acc.after) if acc.after else None
    eb = min(acc.before) if acc.before else None
    if ea is None and eb is None:
        return wa, wb, wlabel
    after = max((x for x in (wa, ea) if x is not None), default=None)
    before = min((x for x in (wb, eb) if x is not None), default=None)
    if after is not None and before is not None and after >= before:
        after, before = ea, eb
        if after is not None and before is not None and after >= before:
            before = None
    if acc.exact and after and before and len(acc.after) == 1:
        tlabel = f"at {_clock.label(after)}"
    elif after and before:
        tlabel = f"between {_clock.label(after)} and {_clock.label(before)}"
    elif after:
        tlabel = f"after {_clock.label(after)}"
    else:
        tlabel = f"before {_clock.label(before)}" if before else ""
    return after, before, tlabel


def exact_clock(s: str, hint: str | None) -> time | None:
    """The one clock time prepared text ``s`` names exactly ("11:15", "at 2:45pm", "3:00",
    "9am", "3 oclock"), or None: a bound ("after 11:15"), a range, "around 2:45", a bare hour
    without am/pm ("at 3", "is 3 ok": too loose to hold) or two different times give None.
    A clock time is exact when it has minutes, am/pm or "oclock": that is how a patient
    writes the start they want, as opposed to a window ("after 2", "around 3", "morning")."""
    for pattern in (_RANGE, _AFTER, _LATER, _BEFORE, _AROUND, _ISH):
        for m in list(pattern.finditer(s)):
            s = _blank(s, m)
    found = {
        t
        for m in _BARE.finditer(s)
        if (m.group("xm") or m.group("xap") or m.group(0).endswith("oclock"))
        and not _clock.UNITS.match(s, m.end())
        for t in [_clock_of(m, "x", hint)]
        if t is not None
    }
    return found.pop() if len(found) == 1 else None
