"""Tests for agent.nlu.providers.provider_question: the shape of questions about providers."""

from __future__ import annotations

import pytest

from agent.nlu.providers import provider_question


@pytest.mark.parametrize(
    ("text", "kind", "pronoun", "role", "who"),
    [
        ("does she do lips too?", "does", True, None, "she"),
        ("can nurse amy do b12", "does", False, "nurse", "nurse amy"),
        ("which injector is in on the weekend?", "who", False, "injector", ""),
        ("who does laser?", "who", False, None, ""),
        ("whos in on sunday", "who", False, None, ""),
        ("is dr smith in on friday?", "in", False, None, "dr smith"),
        ("is he working tmrw", "in", True, None, "he"),
        ("when does jo work", "in", False, None, "jo"),
    ],
)
def test_provider_questions(
    text: str, kind: str, pronoun: bool, role: str | None, who: str
) -> None:
    ask = provider_question(text)
    assert ask is not None
    assert (ask.kind, ask.pronoun, ask.role, ask.who) == (kind, pronoun, role, who)


@pytest.mark.parametrize(
    "text",
    [
        "do you do coolsculpting",
        "can i get tox with jo",
        "which one is cheaper, botox or dysport",
        "is there parking",
        "is dr smith available friday",  # availability: a booking search, not hours
        "does it hurt",
    ],
)
def test_not_provider_questions(text: str) -> None:
    assert provider_question(text) is None
