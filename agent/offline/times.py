"""One exact time the patient names, and a time asked about after a numbered list.

* After a list, a bare hour in a question about a time ("is 3 ok?") is that hour, not an
  option (:func:`agent.nlu.picks.asked_time`): :func:`wish` turns it into a day/time wish.
* A start named to the minute that was not in the list ("do you have 11:15 thursday?",
  "what about 2:45") is searched for exactly: ``find_slots`` with a one-minute window on
  that one date (an *exact probe*, :func:`exact_args`). When the start is free it is the
  probe's only option and is held (or, for a move, offered alone); when not, the same day
  around that time is searched (:func:`nearby_args`) and the reply says the time is taken.
* A move to a time relative to the booked visit ("an hour later") is probed the same way.

The probe is recognised from its own arguments (:func:`is_probe`), so nothing about it is
kept anywhere but in the tool calls of the turn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from agent.nlu._clock import label
from agent.nlu.picks import Option, asked_time, other_times
from agent.nlu.relative import parse_shift
from agent.nlu.when import TimePreference, exact_start, parse_when
from agent.offline.parser import ToolResult

#: How far either side of a taken exact time the same day is searched, in minutes.
NEARBY_MINUTES = 120
_PROBE = dt.timedelta(minutes=1)


def _plus(t: dt.time, minutes: int) -> dt.time:
    total = min(max(t.hour * 60 + t.minute + minutes, 0), 23 * 60 + 59)
    return dt.time(total // 60, total % 60)


def wish(text: str, now_local: dt.datetime, options: Sequence[Option]) -> TimePreference | None:
    """The patient's day/time wish in ``text``: :func:`agent.nlu.when.parse_when`, or, when
    that finds none and ``options`` are on offer, a wish read against them: the hour a
    question about a time names ("is 3 ok?" -> a start from 3:00 to 4:00 PM), or times later
    or earlier than those offered, on their days ("anything later?", "an hour earlier?",
    "a day later?")."""
    when = parse_when(text, now_local)
    if when is not None or not options:
        return when
    t = asked_time(text, options)
    if t is not None:
        return TimePreference(None, None, frozenset(), t, _plus(t, 60), text=f"at {label(t)}")
    return _beyond(text, now_local, options)


def _beyond(text: str, now_local: dt.datetime, options: Sequence[Option]) -> TimePreference | None:
    """Times later or earlier than every offered one ("anything later?"), or the offers' day
    moved ("a day later?" after offers on one day)."""
    days = sorted({o.start_local.date() for o in options})
    shift = parse_shift(text, now_local)
    if shift is not None and shift.day is None and shift.delta.days and len(days) == 1:
        day = days[0] + dt.timedelta(days=shift.delta.days)
        return TimePreference(day, day, frozenset(), None, None, text=day.strftime("%a %b %d"))
    way = other_times(text) if shift is None else ("late" if shift.delta.days >= 0 else "early")
    if way is None:
        return None
    clocks = [o.start_local.time() for o in options]
    if way == "late":
        last = max(clocks)
        after = _plus(last, 15 - last.minute % 15)  # the next quarter hour: "after 3:15 PM"
        return TimePreference(days[0], days[-1], frozenset(), after, None, text="later")
    return TimePreference(days[0], days[-1], frozenset(), None, min(clocks), text="earlier")


def probe_args(args: dict[str, Any], day: dt.date, start: dt.time) -> dict[str, Any]:
    """``find_slots`` ``args`` narrowed to exactly ``start`` on ``day`` (clinic-local)."""
    out = {k: v for k, v in args.items() if k not in ("weekdays", "after", "before")}
    out["date_from"] = out["date_to"] = day.isoformat()
    out["after"] = start.strftime("%H:%M")
    out["before"] = _plus(start, 1).strftime("%H:%M")
    out["exact"] = True  # a taken time gets a search around it, not the nearest days
    return out


def exact_args(text: str, args: dict[str, Any], offers: Sequence[Option]) -> dict[str, Any] | None:
    """An exact probe for the clock time ``text`` names exactly ("sat 9am", "fri 10:30").

    The day is the one date ``args`` (the search the wish would make) is limited to, else
    the one date all open ``offers`` share; None when there is no such start or no single
    day (an exact time on "any weekday" is a window to list, not one start to hold).
    """
    start = exact_start(text)
    if start is None:
        return None
    if args.get("date_from") and args.get("date_from") == args.get("date_to"):
        day = dt.date.fromisoformat(str(args["date_from"]))
    else:
        days = {o.start_local.date() for o in offers}
        if not offers or len(days) != 1 or args.get("date_from") or args.get("weekdays"):
            return None
        day = days.pop()
    return probe_args(args, day, start)


def is_probe(args: dict[str, Any]) -> bool:
    """``find_slots`` arguments of an exact probe: ``exact``, one date, a one-minute window."""
    after, before = args.get("after"), args.get("before")
    if not (args.get("exact") and after and before and args["date_from"] == args.get("date_to")):
        return False
    a, b = dt.time.fromisoformat(str(after)), dt.time.fromisoformat(str(before))
    return _plus(a, 1) == b and args.get("date_from") is not None


def nearby_args(probe: dict[str, Any]) -> dict[str, Any]:
    """``find_slots`` arguments for the same day around a probe's start."""
    start = dt.time.fromisoformat(str(probe["after"]))
    out = {k: v for k, v in probe.items() if k != "exact"}
    out["after"] = _plus(start, -NEARBY_MINUTES).strftime("%H:%M")
    out["before"] = _plus(start, NEARBY_MINUTES).strftime("%H:%M")
    return out


def found(result: dict[str, Any]) -> bool:
    """A probe's result: the exact start is free (it is option 1)."""
    return bool(result.get("matched_preferences") and result.get("slots"))


def missed_probe(results: list[ToolResult]) -> dict[str, Any] | None:
    """The arguments of this turn's exact probe when it found nothing and the latest
    search looked around it instead; else None."""
    if len(results) < 2 or results[-1][0] != "find_slots":
        return None
    name, args, result = results[-2]
    if name == "find_slots" and is_probe(args) and not found(result):
        return args
    return None
