"""Tests for agent.nlu.picks: which offered slot the patient chose."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from agent.nlu.picks import Option, asked_time, other_times, parse_pick

TZ = ZoneInfo("America/Chicago")
OPTIONS = [
    Option(1, datetime(2026, 11, 26, 14, 0, tzinfo=TZ), "dr-lee", "Dr. Maya Lee"),  # Thu 2pm
    Option(2, datetime(2026, 11, 26, 15, 30, tzinfo=TZ), "amy", "Amy Chen, RN"),  # Thu 3:30pm
    Option(3, datetime(2026, 11, 27, 10, 0, tzinfo=TZ), "dr-lee", "Dr. Maya Lee"),  # Fri 10am
]
TWO = [
    Option(1, datetime(2026, 11, 24, 11, 0, tzinfo=TZ), "amy", "Amy Chen"),
    Option(2, datetime(2026, 11, 26, 16, 0, tzinfo=TZ), "dr-lee", "Dr. Maya Lee"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("#2", 2),
        ("option 2", 2),
        ("number 2", 2),
        ("2 please", 2),
        ("lets do 2", 2),
        ("2 works 👍", 2),
        ("i want #3", 3),
        ("3", 3),
        ("the first one", 1),
        ("First!", 1),
        ("the frist one", 1),
        ("second", 2),
        ("secnd one pls", 2),
        ("1st", 1),
        ("the 3rd one", 3),
        ("last one", 3),
        ("the middle one", 2),
        ("the earlier one", 1),
        ("the later one", 3),
        ("anything later?", None),  # asks for other times
        ("do you have anything earlier", None),
        ("the 3pm", 2),  # no 3:00 slot: the one slot in that hour
        ("3:30", 2),
        ("3.30", 2),
        ("the 3:30 one", 2),
        ("10 am one", 3),
        ("the 10", 3),
        ("at 10", 3),
        ("the 2pm", 1),
        ("2pm", 1),
        ("the 2:00", 1),
        ("friday one", 3),
        ("fri", 3),
        ("the thursday", None),  # two Thursday slots
        ("thursday 2pm", 1),
        ("thurs at 3:30", 2),
        ("what about friday after 2", None),  # Friday's is at 10 AM: a new wish, not a pick
        ("friday before 11", 3),
        ("thursday after 3", 2),  # a bound narrows the day to the one option inside it
        ("thursday by 3", 1),
        ("the one with amy", 2),
        ("amy", 2),
        ("nurse amy pls", 2),
        ("the one with dr lee", None),  # two slots with Dr. Lee
        ("the one with lee on friday", 3),
        ("maya friday", 3),
        ("2 with amy", 2),
        ("2 with maya", None),  # contradiction
        ("option 2 on friday", None),  # contradiction
        ("at 11", None),
        ("4", None),  # not a position, no 4:00 slot
        ("option 7", None),
        ("none of those work", None),
        ("neither", None),
        ("something else", None),
        ("no", None),
        ("ok", None),
        ("", None),
    ],
)
def test_parse_pick(text: str, expected: int | None) -> None:
    assert parse_pick(text, OPTIONS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 2),  # not a position: the 4:00 PM slot
        ("the 4", 2),
        ("11", 1),
        ("2", 2),  # a position wins over a time
        ("tuesday", 1),
        ("the thursday one", 2),
        ("earliest", 1),
        ("latest", 2),
        ("dr lee", 2),
        ("with amy", 1),
    ],
)
def test_parse_pick_two_options(text: str, expected: int | None) -> None:
    assert parse_pick(text, TWO) == expected


def test_no_options() -> None:
    assert parse_pick("1", []) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a number is a pick only when it cannot be a time or a quantity in context
        ("can u do 2", 1),  # a question about a time: the 2:00 PM slot, not option 2
        ("is 2 ok?", 1),
        ("how about 2?", 1),
        ("is 3 ok?", None),  # asks about 3:00; 3:30 is not 3:00
        ("does 10 work?", 3),
        ("would 10 work??", 3),
        ("i would like 2", 2),  # no question about a time right before the number
        ("2?", 2),  # no question about a time: still option 2
        ("2 works", 2),
        ("oh wait its 2 of us", None),  # people, not option 2
        ("were 3", None),
        ("im 35", None),
        ("2 ppl", None),
        ("anything on the 2nd?", None),  # a date
        ("dec 2nd", None),
        ("the 2nd of dec", None),
        ("the 15th", None),  # no 15th option: a date
        ("the 2nd", 2),
        ("the 2nd one", 2),
    ],
)
def test_numbers_in_context(text: str, expected: int | None) -> None:
    assert parse_pick(text, OPTIONS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is 3 ok?", time(15)),
        ("can u do 11", time(11)),
        ("what about 2:45", time(14, 45)),
        ("noon?", time(12)),
        ("2", None),  # a position
        ("2 of us", None),
        ("none of those", None),
    ],
)
def test_asked_time(text: str, expected: time | None) -> None:
    assert asked_time(text, OPTIONS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anything later?", "late"),
        ("do u have anything earlier", "early"),
        ("got something sooner", "early"),
        ("the later one", None),  # a pick
        ("earliest pls", None),
        ("ok", None),
    ],
)
def test_other_times(text: str, expected: str | None) -> None:
    assert other_times(text) == expected


@pytest.mark.parametrize(
    "text", ["i need to be back at work by 1", "after 2 pls", "around 3?", "have to leave by 2"]
)
def test_a_number_after_a_time_bound_is_not_a_pick(text: str) -> None:
    assert parse_pick(text, OPTIONS) is None
