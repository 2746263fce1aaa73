"""Tests for the field vocabulary (agent.nlu.vocabulary, agent.nlu.catalog), concern matching
through ``treats`` and the similarity fallback (agent.nlu.similarity), and the shared-word
principle of agent.nlu.services."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from agent.nlu._phrase import words
from agent.nlu.catalog import alternatives, category_of, find_terms
from agent.nlu.services import match_services, unmet_terms
from agent.nlu.similarity import LEXICAL, root
from agent.nlu.vocabulary import CATEGORIES, category
from knowledge.clinic_file import ServiceInfo


def _svc(
    sid: str, name: str, *aliases: str, treats: Sequence[str] = (), description: str = ""
) -> ServiceInfo:
    return ServiceInfo(
        id=sid,
        name=name,
        aliases=list(aliases),
        treats=list(treats),
        description=description,
        duration_minutes=30,
        price=f"${len(sid)}0",
        provider_ids=["p1"],
    )


# A made-up clinic: two neurotoxins (no Botox), one filler naming a brand in its description,
# a fat treatment, RF microneedling and a facial whose alias is a body area.
CLINIC = [
    _svc("calm", "Jeuveau", "tox", treats=["forehead lines", "crow's feet", "11s"]),
    _svc("long", "Daxxify", treats=["forehead lines", "11s"]),
    _svc("pout", "Lip Enhancement", "lip filler", "lips", description="Versa or RHA filler."),
    _svc("chin", "Chin Sculpt", "kybella", treats=["double chin"]),
    _svc("rf", "Morpheus8", "rf microneedling", treats=["acne scars", "loose skin"]),
    _svc("buff", "Glow Facial", "facial", "cheeks", treats=["dull skin", "acne"]),
    _svc("fuzz", "Dermaplaning", "peach fuzz removal"),
]


def _ids(text: str) -> list[str]:
    return [m.service_id for m in match_services(text, CLINIC)]


def test_every_category_has_terms_and_known_relations() -> None:
    ids = {c.id for c in CATEGORIES}
    for cat in CATEGORIES:
        assert cat.terms and cat.label
        assert set(cat.related) <= ids, cat.id
    assert category("neurotoxin").injectable


@pytest.mark.parametrize(
    ("text", "term", "cat"),
    [
        ("how much is botox", "Botox", "neurotoxin"),
        ("botx pls", "Botox", "neurotoxin"),
        ("do u do cool sculpting", "CoolSculpting", "fat_reduction"),
        ("laser tattoo removal?", "laser tattoo removal", "tattoo_removal"),
        ("a lip flip", "lip flip", "neurotoxin"),
    ],
)
def test_find_terms_longest_first(text: str, term: str, cat: str) -> None:
    hit = find_terms(words(text))[0]
    assert (hit.term.text, hit.category_id) == (term, cat)


def test_find_terms_never_turns_everyday_words_into_treatments() -> None:
    text = "i look tired in pictures and my daughter is getting married"
    assert find_terms(words(text)) == []


def test_category_of_reads_the_clinics_own_words() -> None:
    cats = {s.id: category_of(s) for s in CLINIC}
    assert cats["calm"] == cats["long"] == "neurotoxin"
    assert cats["pout"] == "filler"
    assert cats["chin"] == "fat_reduction"
    assert cats["rf"] == "rf_microneedling"
    assert cats["buff"] == "facial"


def test_alternatives_same_kind_then_related() -> None:
    same, is_same = alternatives("neurotoxin", CLINIC)
    assert [s.id for s in same] == ["calm", "long"] and is_same
    related, is_same = alternatives("skin_tightening", CLINIC)
    assert [s.id for s in related] == ["rf"] and not is_same
    assert alternatives("tattoo_removal", CLINIC) == ([], False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how much for laser tattoo removal", []),  # not peach fuzz *removal*
        ("tattoo removal?", []),
        ("how much is a lip flip", []),  # not lip filler through "lip"/"lips"
        ("which injector is in on sunday", []),  # a role word is not "injection"
        ("lip filler", ["pout"]),
        ("restylane?", []),  # a filler brand the clinic does not name
        ("versa?", ["pout"]),  # a brand its description names
    ],
)
def test_no_match_through_a_shared_word(text: str, expected: list[str]) -> None:
    assert _ids(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the lines on my forehead", ["calm", "long"]),  # similarity, any order
        ("whats good for crowsfeet", ["calm"]),  # treats, spacing typo
        ("acne scarring on my cheeks", ["buff", "rf"]),  # the concerns beat the area alias
        ("double chin", ["chin"]),
    ],
)
def test_concerns_reach_services_through_treats(text: str, expected: list[str]) -> None:
    assert _ids(text)[: len(expected)] == expected


def test_concern_matches_say_how_they_matched() -> None:
    via = {m.service_id: m.via for m in match_services("the lines on my forehead", CLINIC)}
    assert via == {"calm": "similar", "long": "similar"}
    assert match_services("jeuveau", CLINIC)[0].via == "name"


class _Fixed:
    """A Similarity that scores one phrase only: stands in for an embedding model."""

    def scores(self, text: str, phrases: Sequence[str]) -> list[float]:
        return [1.0 if p == "loose skin" else 0.0 for p in phrases]


def test_a_similarity_model_plugs_in() -> None:
    got = match_services("my jawline is going soft", CLINIC, similarity=_Fixed())
    assert [m.service_id for m in got] == ["rf"]
    assert match_services("my jawline is going soft", CLINIC) == []


def test_lexical_similarity() -> None:
    assert root("scarring") == root("scars") == "scar"
    assert root("lines") == root("line") == "line"
    assert root("wrinkles") == root("wrinkly")
    scores = LEXICAL.scores("lines all over my forehead", ["forehead lines", "double chin"])
    assert scores[0] == 1.0 and scores[1] == 0.0


@pytest.mark.parametrize(
    ("text", "unmet"),
    [
        ("how much is botox", ["Botox"]),
        ("do you do coolsculpting", ["CoolSculpting"]),
        ("tox prices?", []),  # a generic name the clinic's alias answers
        ("how much is botox and lip filler", ["Botox"]),
        ("kybella", []),
        ("anything for spider veins", ["spider veins"]),
        ("anything for a double chin", []),  # the clinic's treats answer it
    ],
)
def test_unmet_terms(text: str, unmet: list[str]) -> None:
    assert [t.term.text for t in unmet_terms(text, CLINIC)] == unmet
