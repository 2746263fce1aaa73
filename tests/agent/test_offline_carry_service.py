"""Tests for agent.offline.facets.carry_service: a pronoun in a question refers to the
service the conversation is about, unless the text names its own or is a pick or booking."""

from __future__ import annotations

import pytest

from agent.offline.facets import carry_service
from knowledge.clinic_file import load_clinic_file

CLINIC = load_clinic_file("testdata/laser-clinic.json")
CURRENT = "laser-hair-removal"


def test_a_question_about_it_is_about_the_conversations_service() -> None:
    [part] = carry_service(CLINIC, ["if i buy 6 sessions is it cheaper?"], CURRENT)
    assert "Laser Hair Removal" in part


@pytest.mark.parametrize(
    "part",
    [
        "i'll take that one",  # a pick
        "can i book it for friday instead",  # a booking
        "how much is a chemical peel",  # names its own service
        "where do i park",  # no pronoun
    ],
)
def test_picks_bookings_and_other_services_are_kept(part: str) -> None:
    assert carry_service(CLINIC, [part], CURRENT) == [part]


def test_without_a_service_in_the_conversation_nothing_changes() -> None:
    assert carry_service(CLINIC, ["is it cheaper?"], None) == ["is it cheaper?"]
