"""Changes relative to a booked visit: "an hour later", "a day earlier", "push it 30 min",
"same slot the following week", "same time next friday".

:func:`parse_shift` reads such a change as a :class:`Shift`; :meth:`Shift.apply` resolves it
against the visit's start. Rules chosen:

* **An amount and a direction**: ``N min|hour|day|week`` with ``later``/``after``/``back``/
  ``out`` (later) or ``earlier``/``sooner``/``before``/``up`` (earlier): "an hour later",
  "2 hrs earlier", "half an hour later", "an hour and a half later", "a day earlier",
  "a week later". Without a direction word, a verb gives it: "push/bump/slide it 30 min"
  is later, "pull it up 30 min" / "move it up an hour" is earlier.
* **The day next to it**: "the day before" / "day after" / "the next day" / "the following
  day" move the visit one day, same time.
* **Same time, another day**: "same slot the following week", "same time next week", "the
  week after" are seven days later; "same time next friday", "same time tomorrow", "same
  slot on the 3rd" keep the visit's clock time on the day named (read by
  :func:`agent.nlu.when.parse_when`).

A bare "later"/"earlier" ("the earlier one", "anything later?") is not a shift: it has no
amount. "24 hours notice before" has no verb of moving nor a "later/earlier" and is ignored
only by its context (callers apply shifts to a visit being moved, never to policy questions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from agent.nlu._lexicon import NUMBER_WORDS
from agent.nlu.text import normalize
from agent.nlu.when import parse_when

__all__ = ["Shift", "mentions_shift", "parse_shift"]


@dataclass(frozen=True)
class Shift:
    """A change relative to a visit: ``delta`` added to its start, or, when ``day`` is set,
    the visit's clock time on that clinic-local date. ``text``: the phrase read."""

    delta: timedelta = timedelta(0)
    day: date | None = None
    text: str = ""

    def apply(self, start: datetime) -> datetime:
        """The new start for a visit starting at ``start`` (aware, clinic-local)."""
        if self.day is not None:
            return start.replace(year=self.day.year, month=self.day.month, day=self.day.day)
        return start + self.delta


_MINUTES = {"min": 1, "hr": 60, "hour": 60, "day": 1440, "week": 10080, "wk": 10080}
_AMOUNT = (
    r"(?P<n>\d{1,3}|an?|one|two|three|four|five|six|couple(?: of)?|a couple(?: of)?|"
    r"half an?|an? half)"
)
_UNIT = r"(?P<unit>min(?:ute)?s?|hrs?|hours?|days?|weeks?|wks?)(?P<half> and a half)?"
_LATER = r"later|after|back|out|past"
_EARLIER = r"earlier|sooner|before|up|ahead"
_AMOUNT_SHIFT = re.compile(
    rf"\b(?:by |like |about |maybe )?{_AMOUNT} {_UNIT}(?: or so)?(?: (?P<dir>{_LATER}|{_EARLIER})\b)?"
)
_PUSH = re.compile(r"\b(?:push|bump|slide|shift|move|pull|make)\b(?P<rest>[^.?!]*)")
_NEXT_DAY = re.compile(
    r"\b(?P<dir>(?:the )?day (?:before|after)|the (?:next|following) day|next day)\b"
)
_SAME = re.compile(r"\bsame (?:time|slot|spot|hour|appt|appointment|time slot)\b")
#: Words either side of "same time" that may name its day ("can we do thursday instead").
_NEAR = 3
_WEEK_ON = re.compile(
    r"\b(?:(?:the )?(?:following|next) week|the week after|a week later|week later)\b"
)


def _amount(m: re.Match[str]) -> float:
    raw = m.group("n")
    if raw.isdigit():
        n: float = int(raw)
    elif raw.startswith("half") or raw.endswith("half"):
        n = 0.5
    elif "couple" in raw:
        n = 2
    else:
        n = NUMBER_WORDS.get(raw, 1)
    return n + (0.5 if m.group("half") else 0)


def _direction(m: re.Match[str], s: str) -> int:
    """+1 later, -1 earlier, 0 unknown, for the amount at ``m`` in ``s``."""
    word = m.group("dir")
    if word:
        return 1 if re.fullmatch(_LATER, word) else -1
    verb = _PUSH.search(s[: m.start()])
    if verb is None:
        return 0
    name, rest = verb.group(0).split()[0], verb.group("rest")
    if name == "pull" or re.search(r"\b(?:up|earlier|sooner)\b", rest):
        return -1
    return 1 if name in ("push", "bump", "slide") or re.search(r"\b(?:back|later)\b", rest) else 0


def parse_shift(text: str, now_local: datetime) -> Shift | None:
    """Read a change relative to a booked visit from ``text``; None when there is none.

    Args:
        text: the patient's message, raw.
        now_local: the current time in the clinic's zone (for "same time next friday").

    Returns:
        A :class:`Shift` (see the module docstring for the rules), or None.
    """
    s = normalize(text).replace("'", "")
    for m in _AMOUNT_SHIFT.finditer(s):
        sign = _direction(m, s)
        if sign:
            unit = next(v for k, v in _MINUTES.items() if m.group("unit").startswith(k))
            minutes = round(_amount(m) * unit)
            return Shift(delta=timedelta(minutes=sign * minutes), text=m.group(0).strip())
    m2 = _NEXT_DAY.search(s)
    if m2:
        sign = -1 if "before" in m2.group("dir") else 1
        return Shift(delta=timedelta(days=sign), text=m2.group(0))
    same = _SAME.search(s)
    week = _WEEK_ON.search(s)
    if week and (same or "later" in week.group(0) or "after" in week.group(0)):
        return Shift(delta=timedelta(days=7), text=week.group(0))
    if same:
        # the day named next to "same time" ("same time next friday", "tmrw same time"),
        # not one the message names for another reason ("thursday isnt gonna work")
        # (normalizing drops the punctuation, so a clause is the few words beside it:
        # "saturday? back to back or same time works" names no day for "same time")
        after = " ".join(re.split(r"[,.;!?]| but ", s[same.end() :])[0].split()[:_NEAR])
        before = " ".join(re.split(r"[,.;!?]| but ", s[: same.start()])[-1].split()[-_NEAR:])
        for clause in (after, before):
            when = parse_when(clause, now_local)
            if when is not None and when.date_from is not None and when.date_from == when.date_to:
                return Shift(day=when.date_from, text=same.group(0))
    return None


#: Any instant serves to tell whether a text states a shift at all (the day it would resolve
#: to does not matter then).
_REFERENCE = datetime(2026, 1, 5, 9, 0)


def mentions_shift(text: str) -> bool:
    """True when ``text`` states a change relative to a visit ("a day earlier")."""
    return parse_shift(text, _REFERENCE) is not None
