"""Tests for agent.nlu.relative: changes relative to a booked visit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.nlu.relative import Shift, mentions_shift, parse_shift

TZ = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # Monday
VISIT = datetime(2026, 11, 26, 14, 0, tzinfo=TZ)  # Thu 2:00 PM


@pytest.mark.parametrize(
    ("text", "new_start"),
    [
        ("hey can we push my appt an hour later if possible", datetime(2026, 11, 26, 15, 0)),
        ("can we push it 30 min", datetime(2026, 11, 26, 14, 30)),
        ("can we push it back 2 hrs", datetime(2026, 11, 26, 16, 0)),
        ("half an hour earlier pls", datetime(2026, 11, 26, 13, 30)),
        ("can we do an hour and a half later", datetime(2026, 11, 26, 15, 30)),
        ("move it up an hour", datetime(2026, 11, 26, 13, 0)),
        ("or a day earlier?", datetime(2026, 11, 25, 14, 0)),
        ("the day after works better", datetime(2026, 11, 27, 14, 0)),
        ("same slot the following week", datetime(2026, 12, 3, 14, 0)),
        ("next week same time?", datetime(2026, 12, 3, 14, 0)),
        ("a week later", datetime(2026, 12, 3, 14, 0)),
        ("same time next friday", datetime(2026, 12, 4, 14, 0)),
        ("thursday wont work, same time tmrw?", datetime(2026, 11, 24, 14, 0)),
        ("same time on the 3rd", datetime(2026, 12, 3, 14, 0)),
    ],
)
def test_shift_resolves_against_the_visit(text: str, new_start: datetime) -> None:
    shift = parse_shift(text, NOW)
    assert shift is not None
    assert shift.apply(VISIT) == new_start.replace(tzinfo=TZ)


@pytest.mark.parametrize(
    "text",
    [
        "the earlier one",  # no amount: a pick
        "anything later?",
        "do you need 24 hours notice",
        "20 units",
        "push it to next week",  # a day wish, read by parse_when
        "i can come 15 min early",
        "same as last time pls",
        # the day belongs to the booking wish, "same time" to the group ("side by side")
        "can my friend and i both get facials saturday? back to back or same time works",
    ],
)
def test_not_a_shift(text: str) -> None:
    assert parse_shift(text, NOW) is None
    assert not mentions_shift(text)


def test_shift_apply_day_keeps_time() -> None:
    assert Shift(day=date(2026, 12, 1)).apply(VISIT) == datetime(2026, 12, 1, 14, 0, tzinfo=TZ)
    assert Shift(delta=timedelta(days=-1)).apply(VISIT).day == 25
