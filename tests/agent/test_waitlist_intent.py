"""Reading the waitlist in patients' own words: joining, and answers to an opening offered."""

from __future__ import annotations

import pytest

from agent.copy_waitlist import JOIN_HINT
from agent.waitlist_intent import answer_to_offer, wants_to_join

INVITED = f"I don't have Botox openings Sunday, but the nearest are: ... {JOIN_HINT}"


@pytest.mark.parametrize(
    "text",
    [
        "WAITLIST",
        "waitlist pls",
        "put me on the waitlist",
        "can you add me to the wait list for lip filler",
        "can you let me know if anything opens up thursday afternoon",
        "text me if you get a cancellation friday",
        "pls let me know if a spot opens",
        "is there a waiting list?",
    ],
)
def test_asking_to_join(text: str) -> None:
    assert wants_to_join(text, "")


@pytest.mark.parametrize("text", ["yes add me", "yes please", "sign me up", "ok put me down"])
def test_yes_after_the_invitation_joins(text: str) -> None:
    assert wants_to_join(text, INVITED)
    assert not wants_to_join(text, "Here are openings for Botox Friday: ...")


@pytest.mark.parametrize(
    "text",
    [
        "no thanks",
        "don't put me on the waitlist",
        "let me know when you're open on saturday",
        "how much is botox",
        "add me to the 3pm",
    ],
)
def test_not_a_request_to_join(text: str) -> None:
    assert not wants_to_join(text, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("YES!!", True),
        ("I'll take it", True),
        ("1", True),
        ("👍", True),
        ("no thanks", False),
        ("can't make it, pass", False),
        ("what time was it again?", None),
        ("how much is it", None),
    ],
)
def test_answers_to_an_opening(text: str, expected: bool | None) -> None:
    assert answer_to_offer(text) is expected


def test_leaving_is_not_joining() -> None:
    from agent.waitlist_intent import _LEAVE, _clean

    for text in (
        "take me off the waitlist",
        "pls remove me from the wait list",
        "cancel my waitlist",
    ):
        assert _LEAVE.search(_clean(text))
    assert not _LEAVE.search(_clean("put me on the waitlist"))
