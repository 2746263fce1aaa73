"""Tests for agent.nlu.providers."""

from __future__ import annotations

import pytest

from agent.nlu.providers import match_provider
from knowledge.clinic_file import ProviderInfo

PROVIDERS = [
    ProviderInfo(id="dr-lee", name="Dr. Maya Lee", title="MD"),
    ProviderInfo(id="amy", name="Amy Chen", title="RN"),
    ProviderInfo(id="will", name="Will Grant", title="NP"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dr lee", "dr-lee"),
        ("Dr. Lee please", "dr-lee"),
        ("maya", "dr-lee"),
        ("with lee", "dr-lee"),
        ("dr mya", "dr-lee"),
        ("can i see maya lee?", "dr-lee"),
        ("nurse amy", "amy"),
        ("amy chen", "amy"),
        ("amyy", None),  # too short to risk a typo match... exact 3-letter names only
        ("with will", "will"),
        ("will grant", "will"),
        ("grnat", "will"),  # transposed letters
        ("the doctor", "dr-lee"),
        ("any provider", None),
        ("anyone is fine", None),
        ("no preference", None),
        ("will that hurt", None),
        ("i will come friday", None),
        ("amy or maya", None),
        ("thursday after 4", None),
        ("", None),
    ],
)
def test_match_provider(text: str, expected: str | None) -> None:
    assert match_provider(text, PROVIDERS) == expected


def test_same_first_name_is_ambiguous() -> None:
    two_amys = [*PROVIDERS, ProviderInfo(id="amy-r", name="Amy Ross")]
    assert match_provider("amy", two_amys) is None
    assert match_provider("amy ross", two_amys) == "amy-r"
