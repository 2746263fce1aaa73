"""Arrival notes and holiday names (agent.nlu.arrival, agent.nlu.holidays)."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.nlu.arrival import is_arrival
from agent.nlu.holidays import holidays_in


@pytest.mark.parametrize(
    "text",
    [
        "stuck in traffic be there in 10",
        "im outside",
        "running late sorry",
        "here!",
        "parking now",
        "omw! 5 min away",
        "sorry running 10 min late",
        "Im here for my 2pm",
        "hey im in the lobby",
        "pulling in now",
        "omw sorry traffic on the 10 is insane",  # "is" alone asks nothing
    ],
)
def test_arrival_notes(text: str) -> None:
    assert is_arrival(text)


@pytest.mark.parametrize(
    "text",
    [
        "can I come in at 5",
        "is there parking?",
        "where do i park",
        "here are my questions",
        "im here to ask about botox prices",
        "i will be there at 3 tomorrow",
        "how late are you open",
        "running late? whats ur late policy",
        "im late on my period is that ok",
        "ok, where do i park",
        "hi",
    ],
)
def test_not_arrival_notes(text: str) -> None:
    assert not is_arrival(text)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("open christmas eve?", dt.date(2026, 12, 21), [("Christmas Eve", dt.date(2026, 12, 24))]),
        ("r u open xmas??", dt.date(2026, 12, 21), [("Christmas", dt.date(2026, 12, 25))]),
        # the next one on or after today: asked after this year's, it is next year's
        ("open thanksgiving?", dt.date(2026, 12, 1), [("Thanksgiving", dt.date(2027, 11, 25))]),
        ("open thanksgiving?", dt.date(2026, 11, 2), [("Thanksgiving", dt.date(2026, 11, 26))]),
        ("new year's eve", dt.date(2026, 12, 21), [("New Year's Eve", dt.date(2026, 12, 31))]),
        ("labor day", dt.date(2027, 1, 5), [("Labor Day", dt.date(2027, 9, 6))]),
        ("easter", dt.date(2027, 1, 5), [("Easter", dt.date(2027, 3, 28))]),
        ("are you open saturday", dt.date(2026, 12, 21), []),
    ],
)
def test_holidays(text: str, today: dt.date, expected: list[tuple[str, dt.date]]) -> None:
    assert [(h.label, h.date) for h in holidays_in(text, today)] == expected
