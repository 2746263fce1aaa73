"""Reply wording for group requests (several people, one appointment each).

Every sentence a patient can receive about a group booking is here; it states only what the
group tools returned (:mod:`agent.tools_group`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agent.copy import describe
from booking.terms import clock_label

#: The question "how many of you?" (its reply stores :attr:`agent.dialog.Asked.COUNT`, so the
#: next text's bare number reads as a count).
HOW_MANY = "How many of you are coming in? I'll find times that fit everyone."
TOO_MANY = (
    "For a group that size our team sets things up personally. I've passed your request on "
    "and someone will text you back shortly."
)

_COUNT_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _you(count: int) -> str:
    """``both of you`` / ``all 3 of you``."""
    return "both of you" if count == 2 else f"all {count} of you"


def _clock(start: str) -> str:
    return clock_label(dt.datetime.fromisoformat(start))


def _day(start: str) -> str:
    local = dt.datetime.fromisoformat(start)
    return f"{local.strftime('%a %b')} {local.day}"


def _names(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]


def group_line(group: dict[str, Any]) -> str:
    """One numbered group option: ``1) Sat Nov 28 at 9:00 AM and 9:30 AM, back to back with
    Dr. A``, ``2) Wed Nov 25 at 3:00 PM side by side with A and B``, or each time with its
    provider when they differ."""
    slots = group["slots"]
    day = _day(slots[0]["start"])
    providers = [s["provider"] for s in slots]
    times = list(dict.fromkeys(_clock(s["start"]) for s in slots))
    if group["kind"] == "side_by_side":
        text = f"{day} at {times[0]} side by side with {_names(providers)}"
    elif group["kind"] == "back_to_back" and len(times) > 2 and group.get("end"):
        text = f"{day} from {times[0]} to {_clock(group['end'])}, back to back with {providers[0]}"
    elif group["kind"] == "back_to_back":
        text = f"{day} at {_names(times)}, back to back with {providers[0]}"
    else:
        text = f"{day}: " + ", ".join(f"{_clock(s['start'])} with {s['provider']}" for s in slots)
    return f"{group['option']}) {text}"


def group_offers(result: dict[str, Any], args: dict[str, Any], max_days: int) -> str:
    """Numbered group options from a ``find_group_slots`` result (or that there are none),
    saying plainly when the wished time fits only some of the group."""
    size = int(result.get("party_size", 2))
    name = result.get("service", "that")
    wanted = describe(args)
    groups = result.get("groups") or []
    fewer = result.get("fits_fewer")
    if fewer:
        count = int(fewer["count"])
        but = "not both" if size == 2 else f"not all {size}"
        who = _COUNT_WORDS.get(count, str(count))
        head = f"I can fit {who} of you at {_clock(fewer['start'])} but {but}; "
    elif not result.get("matched_preferences", True) and groups:
        head = f"I don't have {name} openings for {_you(size)} {wanted or 'then'}; "
    else:
        head = ""
    if not groups:
        return (
            f"{head}I'm sorry, I don't see {name} openings for {_you(size)} together in the "
            f"next {max_days} days. Want me to have the team reach out?"
        )
    lead = "here is when I can fit" if head else "I can fit"
    if result.get("matched_preferences", True):
        where = wanted or "soonest"
    elif result.get("same_days"):
        where = describe({**args, "after": None, "before": None}) or "soonest"
    else:
        where = "soonest"
    lines = "\n".join(group_line(g) for g in groups)
    deposit = result.get("deposit")
    tail = "Reply with the number that works"
    tail += f" (a {deposit} deposit per person holds each spot)." if deposit else "."
    text = f"{head}{lead} {_you(size)} in for {name} {where}:\n{lines}\n{tail}"
    return text[0].upper() + text[1:]


def group_held(result: dict[str, Any], clinic_name: str) -> str:
    """The group's holds with a deposit link per person, or the bookings when no deposit
    applies (``hold_group`` result). Kept compact: every link must survive the reply's SMS
    segment budget."""
    holds = result.get("holds") or []
    service = result.get("service", "")
    providers = [h["provider"] for h in holds]
    times = [_clock(h["start"]) for h in holds]
    same_provider = len(set(providers)) == 1
    same_time = len(set(times)) == 1
    who = f" with {providers[0]}" if same_provider else ""
    at = f" at {times[0]}" if same_time else ""

    def label(i: int) -> str:
        bits = [] if same_time else [times[i]]
        bits += [] if same_provider else [providers[i]]
        return " ".join(bits) or f"Person {i + 1}"

    day = _day(holds[0]["start"])
    if all(h.get("booked") for h in holds):
        lines = "\n".join(f"- {label(i)}" for i in range(len(holds)))
        return (
            f"You're all booked: {len(holds)} {service}, {day}{at}{who}:\n{lines}\n- {clinic_name}"
        )
    lines = "\n".join(f"{label(i)}: {h['link']}" for i, h in enumerate(holds))
    return (
        f"Holding {len(holds)} {service} spots {day}{at}{who} for {result['hold_minutes']} min. "
        f"Each is confirmed by its own {result['deposit']} deposit:\n{lines}"
    )


def group_taken(result: dict[str, Any], args: dict[str, Any], max_days: int) -> str:
    """Those times were just taken: the group options offered instead."""
    rest = group_offers({**result, "fits_fewer": None, "matched_preferences": True}, {}, max_days)
    return "Sorry, one of those times was just taken. " + rest
