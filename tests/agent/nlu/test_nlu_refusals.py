"""A refusal anywhere beats an affirmation: putting an offer off is a no, not a yes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from agent.nlu.intents import puts_off, yes_no
from agent.nlu.when import parse_when

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/Chicago"))


@pytest.mark.parametrize(
    "text",
    [
        "not right now thanks",
        "Not right now, thanks!",
        "no thanks, I'll text when I know my schedule",
        "maybe later",
        "ok maybe later",
        "sure, maybe another time",
        "not at the moment",
        "not this time",
        "yes but not right now",
        "thanks but no",
        "no for now",
        "let's hold off",
    ],
)
def test_putting_it_off_is_a_refusal(text: str) -> None:
    assert yes_no(text) is False


@pytest.mark.parametrize("text", ["yes please", "sure", "ok sounds good", "right now works"])
def test_a_plain_yes_stays_a_yes(text: str) -> None:
    assert yes_no(text) is True


@pytest.mark.parametrize("text", ["maybe", "not sure", "no problem"])
def test_hedges_and_manners_are_neither(text: str) -> None:
    assert yes_no(text) is None


def test_a_negated_now_is_no_wish_for_the_soonest_opening() -> None:
    assert parse_when("not right now thanks", NOW) is None
    assert parse_when("not now", NOW) is None


def test_now_without_a_negation_is_still_the_soonest() -> None:
    wish = parse_when("anything right now?", NOW)
    assert wish is not None and wish.asap


@pytest.mark.parametrize(
    ("text", "later"),
    [
        ("ok maybe later", True),
        ("not right now thanks", True),
        ("none of those work", False),
        ("no thanks", False),
        ("anything later?", False),
    ],
)
def test_putting_off_is_told_from_turning_down(text: str, later: bool) -> None:
    assert puts_off(text) is later
