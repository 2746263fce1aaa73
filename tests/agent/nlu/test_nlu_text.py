"""Tests for agent.nlu.text."""

from __future__ import annotations

import pytest

from agent.nlu.text import normalize, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Thursday after 4?? 👍 ", "thursday after 4"),
        ("Café   CRÈME", "cafe creme"),
        ("it\u2019s Jane", "it's jane"),
        ("$50 for 20-40 units", "$50 for 20-40 units"),
        ("3.30 or 12/3", "3.30 or 12/3"),
        ("lip-filler, please!", "lip filler please"),
        ("“quoted”", "quoted"),
        ("botox & filler @ 3", "botox and filler at 3"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_tokens() -> None:
    assert tokens("Lets do #2 at 3:30pm!") == ["lets", "do", "2", "at", "3:30pm"]
    assert tokens("It's $50 on 12/3") == ["it's", "$50", "on", "12/3"]
    assert tokens("🙂🙂") == []
