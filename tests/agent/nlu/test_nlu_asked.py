"""Tests for agent.nlu.asked: a treatment asked about by name that no service offers."""

from __future__ import annotations

import pytest

from agent.nlu.asked import unoffered_treatment
from agent.nlu.services import match_services
from knowledge.clinic_file import Faq, ServiceInfo


def _svc(sid: str, name: str, aliases: list[str], treats: list[str] | None = None) -> ServiceInfo:
    return ServiceInfo(
        id=sid,
        name=name,
        aliases=aliases,
        treats=treats or [],
        duration_minutes=30,
        provider_ids=["dr-lee"],
    )


SERVICES = [
    _svc("lhr", "Laser Hair Removal", ["laser hair"], ["underarms", "brazilian", "upper lip hair"]),
    _svc("lash", "Lash Lift & Tint", ["lash lift", "lashes"]),
    _svc("facial", "Signature Glow Facial", ["facial"], ["dull skin"]),
    _svc("b12", "B12 Shot", ["b12", "vitamin b12"]),
]
FAQS = [Faq(question="Do you sell gift cards?", answer="Yes.")]


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("how much is a brazilian butt lift", "brazilian butt lift"),  # a modifier word only
        ("do u do eyelash extensions??", "eyelash extensions"),  # another head word
        ("can i book a spray tan for friday", "spray tan"),
        ("do you guys offer teeth whitening", "teeth whitening"),
        ("can i get a brazilian wax sat morning", "brazilian wax"),
    ],
)
def test_a_treatment_no_service_offers_by_its_head_word(text: str, missing: str) -> None:
    assert unoffered_treatment(text, SERVICES, FAQS) == missing


@pytest.mark.parametrize(
    "text",
    [
        "how much is a facial",
        "how much is a brazilian",  # a treats area of an offered service
        "can i book a facial tuesday after 2",
        "do you do laser",
        "do u do upper lip laser",  # two words shared with a treats phrase
        "how much for underarm laser and how long",  # head in the name, area in its treats
        "how much is a b12 shot btw",  # the clinic's own name, whatever the head
        "do you have parking",
        "how much is the deposit",
        "do u have gift cards",  # an FAQ's to answer
        "can i book with dr ruiz",
        "how much is it",
        "what do you have for dull skin",
    ],
)
def test_offered_things_and_other_asks_are_not_unoffered(text: str) -> None:
    assert unoffered_treatment(text, SERVICES, FAQS) is None


def test_a_modifier_of_an_unoffered_treatment_selects_no_service() -> None:
    assert match_services("how much is a brazilian butt lift", SERVICES) == []
    assert [m.service_id for m in match_services("how much is a brazilian", SERVICES)] == ["lhr"]
