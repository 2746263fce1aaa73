"""Which of the offered slots did the patient pick? ("2", "the 3pm", "friday one", "ana")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from agent.nlu import _clock
from agent.nlu._lexicon import ORDINAL_WORDS, close_enough, weekday_of
from agent.nlu.providers import best_unique, provider_scores
from agent.nlu.text import normalize

__all__ = ["Option", "asked_time", "other_times", "parse_pick"]


@dataclass(frozen=True)
class Option:
    """A slot as it was offered: its 1-based ``position`` in the offer, its clinic-local
    (aware) start, and the provider's id and display name."""

    position: int
    start_local: datetime
    provider_id: str
    provider_name: str


_EXPLICIT = re.compile(r"\b(?:option|opt|number|num|no|choice|slot)\s*(\d{1,2})\b")
_ORDINAL_DIGITS = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_NEGATIVE = re.compile(
    r"\b(?:none|neither|nope|nah|not|dont|don't|doesn't|doesnt|cant|can't|other|else|"
    r"different|instead of)\b|^no\b(?!\s*\d)"
)
# A number that counts something ("2 of us", "we're 3", "i'm 35", "35 yo") is a quantity.
_QUANTITY_AFTER = re.compile(
    r"\s*(?:of us|of them|of you|ppl|people|persons?|guys|girls|ladies|friends|kids|yo\b|"
    r"years?|yrs?|y o\b)"
)
_QUANTITY_BEFORE = re.compile(
    r"(?:\b(?:im|i am|i'm|were|we're|we are|theres|there's|there are|there will be|party of|"
    r"group of|total of|age|aged|turning|turned|just turned)\s*)$"
)
# A question about a time right before a number ("can u do 2", "is 4 ok?", "how about 3",
# "would 3 work"): the number is a clock hour, as a question is not a commitment to an option.
# Matched against the text before the number ("i would like 2" stays a pick).
_ASKS_TIME = re.compile(
    r"\b(?:(?:can|could|would|will)(?:\s+(?:you|u|ya|yall|we|i))?(?:\s+(?:do|get|go|come|make it))?"
    r"|is|does|how about|what about|hbu|any ?thing(?:\s+(?:at|around))?|any chance(?:\s+(?:at|of))?"
    r"|any ?time(?:\s+(?:at|around))?)\s*$"
)
# An ordinal with a date's context ("on the 2nd", "dec 2nd", "the 2nd of dec") is a date.
_DATE_ORDINAL = re.compile(
    r"\b(?:on|for|by|until|till|til|before|after)\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)\s+of\b"
)
# A number right after a time bound or window word ("back at work by 1", "after 2",
# "around 3") is that bound of a wish, never an option and never a start to pick by.
_BOUND_BEFORE = re.compile(
    r"\b(?:by|before|b4|until|till|til|after|past|around|no later than|no earlier than|"
    r"earlier than|later than)\s*$"
)
_EARLY = {"earlier", "earliest", "sooner", "soonest", "early"}
_LATE = {"later", "latest", "late"}
_SUPERLATIVE = {"earliest", "soonest", "latest"}
_PICK_NOUNS = {"one", "option", "slot", "time", "spot", "appt", "appointment"}


@dataclass
class _Ask:
    position: int | None = None
    weekdays: set[int] | None = None
    times: list[tuple[int, int | None, str | None]] | None = None
    providers: set[str] | None = None
    extreme: str | None = None  # "early" | "late"
    bounds: list[tuple[str, time]] | None = None  # ("after" | "before", clinic-local time)


_AFTER_WORDS = ("after", "past", "later than", "no earlier than")
_BEFORE_WORDS = ("by", "before", "b4", "until", "till", "til", "no later than", "earlier than")


def _bound(prefix: str, m: re.Match[str]) -> tuple[str, time] | None:
    """The bound a time after a bound word sets ("after 2" -> ("after", 14:00)), or None for
    "around" and for numbers that are not a clock time."""
    word = _BOUND_BEFORE.search(prefix)
    found = word.group(0).strip() if word else ""
    kind = "after" if found in _AFTER_WORDS else "before" if found in _BEFORE_WORDS else None
    at = _clock.to_time(int(m.group("h")), int(m.group("m") or 0), m.group("ap"))
    return (kind, at) if kind and at else None


def _within(opt: Option, bounds: Sequence[tuple[str, time]]) -> bool:
    """``opt`` starts inside every bound: at or after an "after" time, before a "before" one."""
    start = opt.start_local.time()
    return all(start >= at if kind == "after" else start < at for kind, at in bounds)


def _time_matches(opt: Option, hour: int, minute: int | None, ap: str | None) -> bool:
    h = opt.start_local.hour
    if ap:
        want = _clock.to_time(hour, 0, ap)
        if want is None or h != want.hour:
            return False
    elif hour >= 13:
        if h != hour:
            return False
    elif h % 12 != hour % 12:
        return False
    return minute is None or opt.start_local.minute == minute


def _by_time(
    options: Sequence[Option], hour: int, minute: int | None, ap: str | None
) -> list[Option]:
    found = [o for o in options if _time_matches(o, hour, minute, ap)]
    if minute is None and len(found) > 1:
        on_hour = [o for o in found if o.start_local.minute == 0]
        found = on_hour or found
    return found


def _extreme_pick(words: list[str], i: int) -> bool:
    """``words[i]`` picks by order: a superlative ("earliest"), or a comparative that names
    an option ("the later one", "the earlier"); "anything later?" asks for other times."""
    w = words[i]
    if w not in _EARLY | _LATE:
        return False
    if w in _SUPERLATIVE:
        return True
    after = words[i + 1] if i + 1 < len(words) else ""
    return (i > 0 and words[i - 1] == "the") or after in _PICK_NOUNS


def other_times(text: str) -> str | None:
    """ "later" or "early" when ``text`` asks for times later or earlier than those offered
    ("anything later?", "do you have anything earlier", "got something sooner"), not picking
    one of them ("the later one", "earliest"); else None."""
    words = normalize(text).replace("'", "").split()
    found = [w for i, w in enumerate(words) if w in _EARLY | _LATE and not _extreme_pick(words, i)]
    if len(found) != 1 or _NEGATIVE.search(" ".join(words)):
        return None
    return "early" if found[0] in _EARLY else "late"


def _is_quantity(s: str, m: re.Match[str]) -> bool:
    """The number at ``m`` counts people, units or years ("2 of us", "we're 3", "i'm 35")."""
    return bool(_QUANTITY_AFTER.match(s, m.end()) or _QUANTITY_BEFORE.search(s[: m.start()]))


def _is_date_ordinal(s: str, m: re.Match[str], positions: set[int]) -> bool:
    """The ordinal at ``m`` names a day of the month: it has a date's context ("on the 2nd",
    "dec 2nd", "2nd of dec"), or no option has that position ("the 15th")."""
    if int(m.group(1)) not in positions:
        return True
    return any(d.start() <= m.start() < d.end() for d in _DATE_ORDINAL.finditer(s))


def _read(s: str, options: Sequence[Option]) -> _Ask:
    ask = _Ask()
    positions = {o.position for o in options}
    m = _EXPLICIT.search(s) or _ORDINAL_DIGITS.search(s)
    if m and m.re is _ORDINAL_DIGITS and _is_date_ordinal(s, m, positions):
        s, m = s[: m.start()] + " " + s[m.end() :], None  # a day of the month, not an option
    if m:
        ask.position = int(m.group(1))
        s = s[: m.start()] + " " + s[m.end() :]
    words = s.split()
    for i, w in enumerate(words):
        if ask.position is None:
            if w in ORDINAL_WORDS:
                ask.position = ORDINAL_WORDS[w]
            elif len(w) >= 5 and w not in _EARLY | _LATE:
                hit = [n for word, n in ORDINAL_WORDS.items() if close_enough(w, word) >= 0.8]
                ask.position = hit[0] if len(hit) == 1 else None
            if w in ("last", "final", "bottom"):
                ask.position = max(positions)
            elif w in ("middle", "mid") and len(options) % 2 == 1:
                ask.position = sorted(positions)[len(options) // 2]
        if _extreme_pick(words, i):
            ask.extreme = "early" if w in _EARLY else "late"
        wd = weekday_of(w) if w.isalpha() and len(w) >= 3 else None
        if wd is not None:
            ask.weekdays = (ask.weekdays or set()) | {wd}
    for m in _clock.TIME_RE.finditer(s):
        if _clock.UNITS.match(s, m.end()) or _is_quantity(s, m):
            continue
        if _BOUND_BEFORE.search(s[: m.start()]) and not m.group("word"):
            bound = _bound(s[: m.start()], m)  # "after 2": a bound, never a pick by itself
            ask.bounds = (ask.bounds or []) + ([bound] if bound else [])
            continue
        if m.group("word"):
            ask.times = (ask.times or []) + [(12, 0, "pm")]
            continue
        hour, minute, ap = int(m.group("h")), m.group("m"), m.group("ap")
        before = s[: m.start()].split()
        prev = before[-1] if before else ""
        asks = bool(_ASKS_TIME.search(s[: m.start()]))
        explicit_time = bool(ap or minute or prev == "at" or asks)
        if asks and not minute:
            minute = "0"  # "is 3 ok?" asks about 3:00, not whichever slot is in that hour
        if not explicit_time and ask.position is None and hour in positions:
            ask.position = hour
            continue
        if not explicit_time and ask.position is not None:
            continue
        ask.times = (ask.times or []) + [(hour, int(minute) if minute else None, ap)]
    people = {(o.provider_id, o.provider_name, "") for o in options}
    scores = provider_scores(s, sorted(people))
    chosen = best_unique(scores)
    if chosen:
        ask.providers = {chosen}
    return ask


def parse_pick(text: str, options: Sequence[Option]) -> int | None:
    """Return the ``position`` of the option ``text`` picks, or None.

    Understood, in this order of strength:

    * explicit numbers: ``"2"``, ``"#2"``, ``"option 2"``, ``"number 2"``, ``"2 please"``,
      ``"lets do 2"``; ordinals ``"2nd"``, ``"the second one"`` (typos like ``"secnd"``),
      ``"last one"``, ``"middle one"``. A bare number is a position when such a position
      exists (so ``"2"`` is option 2, never 2 PM) and it cannot be a time or a quantity in
      context: in a question about a time (``"can u do 2"``, ``"is 4 ok?"``, ``"how about
      3"``) it is an hour; counting people, units or years (``"2 of us"``, ``"we're 3"``,
      ``"i'm 35"``) it is nothing here; after a time bound (``"back at work by 1"``,
      ``"after 2"``, ``"around 3"``) it is a bound of a wish, not a pick, and an option
      outside it is never picked (``"friday after 2"`` does not pick Friday 9 AM); an ordinal with a date's context (``"on the 2nd"``,
      ``"dec 2nd"``) or beyond the options (``"the 15th"``) is a date, not a position.
    * a clock time among the options: ``"the 3pm"``, ``"3:30"``, ``"3.30"``, ``"10 am one"``,
      ``"at 11"``; without am/pm the hour matches either half of the day; without minutes an
      on-the-hour slot is preferred, else the one slot within that hour.
    * a weekday (``"friday one"``, ``"the thursday"``), a provider name (``"the one with dr
      ruiz"``, ``"ana"``), ``"the earlier one"`` / ``"the later one"`` (by start time).

    All clues in the message must agree: a position that contradicts a stated weekday, time
    or provider gives None, and so does a description that fits zero or several options.
    Refusals ("none of those", "neither", "something else") give None.
    """
    if not options:
        return None
    s = _clock.prepare(normalize(text.replace("#", " number ")))
    if _NEGATIVE.search(s):
        return None
    ask = _read(s, options)
    pool = list(options)
    if ask.weekdays is not None:
        pool = [o for o in pool if o.start_local.weekday() in ask.weekdays]
    if ask.providers is not None:
        pool = [o for o in pool if o.provider_id in ask.providers]
    if ask.bounds:
        pool = [o for o in pool if _within(o, ask.bounds)]
    if ask.times is not None:
        timed: list[Option] = []
        for hour, minute, ap in ask.times:
            timed += [o for o in _by_time(pool, hour, minute, ap) if o not in timed]
        pool = timed
    if ask.position is not None:
        hit = [o for o in pool if o.position == ask.position]
        return hit[0].position if len(hit) == 1 else None
    if ask.extreme and pool:
        ordered = sorted(pool, key=lambda o: (o.start_local, o.position))
        return (ordered[0] if ask.extreme == "early" else ordered[-1]).position
    constrained = ask.weekdays is not None or ask.providers is not None or ask.times is not None
    if constrained and len(pool) == 1:
        return pool[0].position
    return None


def asked_time(text: str, options: Sequence[Option]) -> time | None:
    """The one clock time ``text`` names in the context of ``options``, or None.

    This is the reading :func:`parse_pick` gives a number that cannot be a position: a
    bare hour in a question about a time (``"is 3 ok?"`` -> 15:00, ``"can u do 11"`` ->
    11:00), or any clock time (``"2:45"``). Hours without am/pm follow
    :func:`agent.nlu._clock.to_time` (1-7 PM, 8-11 AM). Quantities and dates give None.
    """
    s = _clock.prepare(normalize(text.replace("#", " number ")))
    if _NEGATIVE.search(s):
        return None
    ask = _read(s, options)
    if ask.position is not None or not ask.times or len(ask.times) != 1:
        return None
    hour, minute, ap = ask.times[0]
    if ap == "pm" and hour == 12 and minute == 0:
        return time(12)
    return _clock.to_time(hour, minute or 0, ap)
