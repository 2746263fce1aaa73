"""Tests for agent.nlu.services: matching a message to the clinic's own service names."""

from __future__ import annotations

import pytest

from agent.nlu.services import match_services
from knowledge.clinic_file import ServiceInfo


def _svc(sid: str, name: str, *aliases: str) -> ServiceInfo:
    return ServiceInfo(
        id=sid, name=name, aliases=list(aliases), duration_minutes=30, provider_ids=["dr-lee"]
    )


SERVICES = [
    _svc("botox", "Botox", "tox", "wrinkle relaxer"),
    _svc("lip-filler", "Lip Filler", "lip injections"),
    _svc("cheek-filler", "Cheek Filler"),
    _svc("hydrafacial", "HydraFacial"),
    _svc("sig-facial", "Signature Facial"),
    _svc("peel", "Chemical Peel", "peel"),
    _svc("lhr", "Laser Hair Removal", "lhr"),
    _svc("consult", "Free Consultation"),
    _svc("glow", "Glow Package", "glow"),
    _svc("fill", "Touch-up", "fill"),  # an alias that is a common word
    _svc("neuro", "Neurotoxin (Dysport/Xeomin)"),
]


def _ids(text: str) -> list[str]:
    return [m.service_id for m in match_services(text, SERVICES)]


@pytest.mark.parametrize(
    ("text", "best"),
    [
        ("botox", "botox"),
        ("botx", "botox"),
        ("BOTOX!!", "botox"),
        ("hi how much is botox", "botox"),
        ("tox pls", "botox"),
        ("wrinkle relaxers", "botox"),
        ("lip filler", "lip-filler"),
        ("lip filer", "lip-filler"),
        ("lipfiller", "lip-filler"),
        ("how much for lip filler on friday", "lip-filler"),
        ("i want lip injections", "lip-filler"),
        ("cheek fillr", "cheek-filler"),
        ("hydrafacial", "hydrafacial"),
        ("hydra facial", "hydrafacial"),
        ("hydrofacial", "hydrafacial"),
        ("Hydra-Facial please", "hydrafacial"),
        ("laser hair removal", "lhr"),
        ("lazer hair removal", "lhr"),
        ("LHR on my legs", "lhr"),
        ("chemical peels", "peel"),
        ("do you do peels", "peel"),
        ("dysport", "neuro"),
        ("xeomin?", "neuro"),
        ("can i get a consultation", "consult"),
        ("glow", "glow"),
    ],
)
def test_best_match(text: str, best: str) -> None:
    assert _ids(text)[:1] == [best]


@pytest.mark.parametrize(
    "text",
    [
        "can i book for friday",
        "later today?",
        "i feel great",
        "thursday after 4",
        "yes",
        "2",
        "what time do you close",
        "can you fill me in",  # alias "fill" is a common word: never enough alone
        "i will",
        "",
    ],
)
def test_no_match(text: str) -> None:
    assert _ids(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("filler", {"lip-filler", "cheek-filler"}),
        ("how much is filler", {"lip-filler", "cheek-filler"}),
        ("fillers", {"lip-filler", "cheek-filler"}),
        ("facials", {"sig-facial", "hydrafacial"}),
        ("a facial", {"sig-facial", "hydrafacial"}),
    ],
)
def test_category_returns_all_with_close_scores(text: str, expected: set[str]) -> None:
    matches = match_services(text, SERVICES)
    assert {m.service_id for m in matches} == expected
    scores = [m.score for m in matches]
    assert max(scores) - min(scores) <= 0.05
    assert max(scores) < 0.9


def test_two_services_named() -> None:
    matches = match_services("botox and cheek filler", SERVICES)
    assert {m.service_id for m in matches} == {"botox", "cheek-filler"}
    assert all(m.score == 1.0 for m in matches)


def test_full_name_beats_category() -> None:
    assert _ids("lip filler") == ["lip-filler"]


def test_matched_text_and_order() -> None:
    (m,) = match_services("wrinkle relaxer", SERVICES)
    assert m.matched == "wrinkle relaxer"
    assert m.score == 1.0


def test_min_score() -> None:
    assert _ids("fill") == []
    assert [m.service_id for m in match_services("fill", SERVICES, min_score=0.5)] == ["fill"]
