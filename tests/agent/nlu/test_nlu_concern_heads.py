"""Tests for agent.nlu.concern_heads: a concern named only by its head word reaches the
services whose ``treats`` phrases end in it, never through a generic word, an area or a
word for an opening."""

from __future__ import annotations

import pytest

from agent.nlu.concern_heads import head_hits
from agent.nlu.services import match_services
from knowledge.clinic_file import ServiceInfo


def _svc(sid: str, name: str, treats: list[str]) -> ServiceInfo:
    return ServiceInfo(
        id=sid, name=name, duration_minutes=30, provider_ids=["dr-lee"], treats=treats
    )


SERVICES = [
    _svc("needling", "Collagen Induction", ["acne scars", "enlarged pores", "fine lines"]),
    _svc("peel", "Resurfacing Peel", ["clogged pores", "dull skin", "uneven tone"]),
    _svc("facial", "Hydrating Facial", ["dry skin", "tired looking skin"]),
    _svc("contour", "Body Sculpt", ["loose skin", "belly pooch"]),
    _svc("photo", "Photo Rejuvenation", ["sun spots", "red cheeks"]),
    _svc("laser", "Hair Reduction", ["upper lip hair", "leg hair"]),
    _svc("consult", "Skin Consult", ["patch test before laser", "fade a tattoo before a cover up"]),
]


def _ids(text: str) -> list[str]:
    return [m.service_id for m in match_services(text, SERVICES)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what can u do for the lines on my forehead", ["needling"]),
        ("my pores are HUGE lol", ["needling", "peel"]),  # both: the caller asks which
        ("these scars from high school 😩", ["needling"]),
    ],
)
def test_a_concerns_head_word_reaches_the_services_that_treat_it(
    text: str, expected: list[str]
) -> None:
    assert sorted(_ids(text)) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        "any spots open thursday?",  # a word for an opening, not sun spots
        "my skin has been weird lately",  # "skin" ends phrases of most services
        "can i bring my kid",
        "where do i park",
        "my cheeks",  # an area alone is not a concern
        "laser tues",  # "patch test before laser" is about a test
        "tox touch up",  # "up" ends a phrase, it heads none
    ],
)
def test_generic_words_areas_and_openings_name_no_service(text: str) -> None:
    assert _ids(text) == []
    assert head_hits(text, SERVICES) == {}


def test_a_whole_concern_phrase_still_wins_over_a_head_word() -> None:
    matches = match_services("sun spots on my cheeks", SERVICES)
    assert [m.service_id for m in matches] == ["photo"]
    assert matches[0].via == "treats"
