"""Tests for agent.nlu.party: how many people a booking text is for."""

from __future__ import annotations

import pytest

from agent.nlu.party import Party, count_word, party_of


@pytest.mark.parametrize(
    ("text", "size"),
    [
        # a total counts the texter in
        ("can you fit 2 of us?", 2),
        ("3 of us for a bachelorette!!", 3),
        ("the two of us want lip flips", 2),
        ("party of 4 for facials", 4),
        ("hey we're 2 ppl looking for a consult", 2),
        ("5 people", 5),
        ("oh can you do 2 at the same time?", 2),
        # companions joined to the texter
        ("me and my friend want botox sat", 2),
        ("me n my bff want lip filler fri", 2),
        ("my sister and i wanna come in wed", 2),
        ("my best friend and I", 2),
        ("me, my mom and my sister want botox", 3),
        ("me and my mom and sister", 3),
        ("can u squeeze in me + 2 friends", 3),
        ("me and 3 girls", 4),
        ("me and 2 of my girls want a consult", 3),
        ("oh wait my mom wants one too lol", 2),
        ("actually can my bf come too?", 2),
        ("bringing my coworker", 2),
        ("im the bride and my mom and i want lip flips", 2),
        # both
        ("my husband and I would both like dysport", 2),
        ("we both want botox", 2),
        # several, count not said
        ("my friends and i want facials", None),
        ("me and the girls", None),
        # "just me" ends a group
        ("just me actually", 1),
        ("only one of us", 1),
    ],
)
def test_a_group_and_its_size(text: str, size: int | None) -> None:
    assert party_of(text) == Party(size)


@pytest.mark.parametrize(
    "text",
    [
        "2",
        "the 2nd",
        "botox at 2",
        "can we do 3pm",
        "we want botox",
        "my mom wants botox",  # booking for mom alone
        "let me check with my husband",
        "my friend told me about you",
        "i have 2 kids is that ok",
        "both times work",
        "my sister went to you guys last year and my husband thinks i look tired",
    ],
)
def test_no_group(text: str) -> None:
    assert party_of(text) is None


def test_count_words() -> None:
    assert [count_word(w) for w in ("3", "three", "couple", "lots")] == [3, 3, 2, None]
