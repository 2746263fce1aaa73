"""Patient-facing wording about one exact time the patient named (see
:mod:`agent.offline.times`). The rest of the booking wording is in :mod:`agent.copy`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from agent.copy import clock


def _named(probe: dict[str, Any]) -> str:
    day = dt.date.fromisoformat(str(probe["date_from"]))
    start = dt.time.fromisoformat(str(probe["after"]))
    return f"{clock(start.strftime('%H:%M'))} on {day.strftime('%a %b')} {day.day}"


def _numbered(slots: list[dict[str, Any]]) -> str:
    return "\n".join(f"{s['option']}) {s['when']} with {s['provider']}" for s in slots)


def unavailable(probe: dict[str, Any], result: dict[str, Any]) -> str:
    """That the start an exact probe (``find_slots`` arguments for one minute of one date)
    asked for is not free, with the openings of the search around it (``result``), e.g.
    ``"Sorry, 2:45 PM on Thu Nov 26 isn't available. The closest openings: ..."``."""
    found = result.get("slots") or []
    head = f"Sorry, {_named(probe)} isn't available."
    if not found:
        return f"{head} Want me to look at another day?"
    near = "The closest openings that day" if result.get("matched_preferences") else "The nearest"
    tail = "Reply with the number that works"
    tail += f" (a {result['deposit']} deposit holds it)." if result.get("deposit") else "."
    return f"{head} {near}:\n{_numbered(found)}\n{tail}"


def move_exact(appt: dict[str, Any], result: dict[str, Any]) -> str:
    """The one opening an exact probe found for a move ("an hour later"), offered alone so a
    plain "yes" takes it."""
    slot = (result.get("slots") or [{}])[0]
    return (
        f"{slot['when']} with {slot['provider']} is open. Want me to move your "
        f"{appt['service']} on {appt['when']} there? Reply YES (or 1) to move it."
    )


def move_unavailable(appt: dict[str, Any], probe: dict[str, Any], result: dict[str, Any]) -> str:
    """That the start a move asked for is not free, with the openings around it."""
    found = result.get("slots") or []
    head = (
        f"Sorry, {_named(probe)} isn't available to move your {appt['service']} on {appt['when']}."
    )
    if not found:
        return f"{head} What other day or time would work?"
    near = "The closest openings that day" if result.get("matched_preferences") else "The nearest"
    return f"{head} {near}:\n{_numbered(found)}\nReply with the number that works."
