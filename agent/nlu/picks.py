"""Which of the offered slots did the patient pick? ("2", "the 3pm", "friday one", "maya")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agent.nlu import _clock
from agent.nlu._lexicon import ORDINAL_WORDS, close_enough, weekday_of
from agent.nlu.providers import best_unique, provider_scores
from agent.nlu.text import normalize

__all__ = ["Option", "parse_pick"]


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
_EARLY = {"earlier", "earliest", "sooner", "soonest", "early"}
_LATE = {"later", "latest", "late"}


@dataclass
class _Ask:
    position: int | None = None
    weekdays: set[int] | None = None
    times: list[tuple[int, int | None, str | None]] | None = None
    providers: set[str] | None = None
    extreme: str | None = None  # "early" | "late"


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


def _read(s: str, options: Sequence[Option]) -> _Ask:
    ask = _Ask()
    positions = {o.position for o in options}
    m = _EXPLICIT.search(s) or _ORDINAL_DIGITS.search(s)
    if m:
        ask.position = int(m.group(1))
        s = s[: m.start()] + " " + s[m.end() :]
    words = s.split()
    for w in words:
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
        if w in _EARLY:
            ask.extreme = "early"
        elif w in _LATE:
            ask.extreme = "late"
        wd = weekday_of(w) if w.isalpha() and len(w) >= 3 else None
        if wd is not None:
            ask.weekdays = (ask.weekdays or set()) | {wd}
    for m in _clock.TIME_RE.finditer(s):
        if _clock.UNITS.match(s, m.end()):
            continue
        if m.group("word"):
            ask.times = (ask.times or []) + [(12, 0, "pm")]
            continue
        hour, minute, ap = int(m.group("h")), m.group("m"), m.group("ap")
        before = s[: m.start()].split()
        prev = before[-1] if before else ""
        explicit_time = bool(ap or minute or prev == "at")
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
      exists (so ``"2"`` is option 2, never 2 PM); otherwise it is read as an hour.
    * a clock time among the options: ``"the 3pm"``, ``"3:30"``, ``"3.30"``, ``"10 am one"``,
      ``"at 11"``; without am/pm the hour matches either half of the day; without minutes an
      on-the-hour slot is preferred, else the one slot within that hour.
    * a weekday (``"friday one"``, ``"the thursday"``), a provider name (``"the one with dr
      lee"``, ``"maya"``), ``"the earlier one"`` / ``"the later one"`` (by start time).

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
