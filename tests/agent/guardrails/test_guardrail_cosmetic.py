"""Tests for agent.guardrails.triage.cosmetic: a concern the clinic treats, asked about as a
wish for treatment, is not a symptom report; a reaction or an acute problem stays medical."""

from __future__ import annotations

import pytest

from agent.guardrails.triage.cosmetic import cosmetic_request
from knowledge.clinic_file import load_clinic_file

CLINIC = load_clinic_file("testdata/laser-clinic.json")


@pytest.mark.parametrize(
    "text",
    [
        "redness on my cheeks, pretty sure its rosacea. can u get me in thursday?",
        "my 14 yo daughter has bad breakouts, can she come in?",
        "my skin is so blotchy lately, what would u recommend",
    ],
)
def test_a_concern_the_clinic_treats_is_a_request(text: str) -> None:
    assert cosmetic_request(text, CLINIC)


@pytest.mark.parametrize(
    "text",
    [
        "my cheeks are red after the peel yesterday",  # a reaction to a treatment
        "redness and swelling on my cheeks that keeps spreading",  # acute
        "got my ipl done and now theres redness",  # names the treatment
        "breakouts since my facial 3 days ago",
        "my lip is swollen",  # nothing the clinic treats
    ],
)
def test_a_reaction_or_an_acute_problem_stays_medical(text: str) -> None:
    assert not cosmetic_request(text, CLINIC)
