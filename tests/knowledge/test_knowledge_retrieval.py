"""Retrieval: typo and slang queries, per-clinic isolation, best_answer, fusion, caching."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from knowledge.clinic_file import ClinicFile, parse_clinic_file
from knowledge.retrieval import Passage, best_answer, fuse, search
from knowledge.seed import seed_clinic


def _clinic(clinic_id: str, number: str, docs: list[tuple[str, str]], **extra: Any) -> ClinicFile:
    data: dict[str, Any] = {
        "clinic": {
            "id": clinic_id,
            "name": clinic_id,
            "timezone": "America/Denver",
            "phone_numbers": [number],
        },
        "providers": [{"id": "np", "name": "Ana Ruiz", "hours": {"mon": [["09:00", "17:00"]]}}],
        "services": extra.pop(
            "services",
            [
                {
                    "id": "consult",
                    "name": "Consultation",
                    "duration_minutes": 30,
                    "provider_ids": ["np"],
                }
            ],
        ),
        "documents": [{"title": t, "content": c} for t, c in docs],
        "faqs": extra.pop("faqs", []),
    }
    return parse_clinic_file(data)


@pytest.fixture
def demo_db(sqlite_db: Database, demo_clinic: ClinicFile) -> Database:
    seed_clinic(sqlite_db, demo_clinic)
    return sqlite_db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("do u validate parkng", {"Do you validate parking?", "Parking and directions"}),
        ("cancelation polcy", {"Cancellation and deposit policy"}),
        ("can i workout after my botx", {"Aftercare for Botox, Dysport and Xeomin"}),
        ("swollen lips after filler", {"Aftercare for dermal filler"}),
        ("do yall take cherry", {"Financing and payment options"}),
        ("pregnant", {"Can I get treatments while pregnant or breastfeeding?"}),
        ("GIFT CARDS???", {"Do you sell gift cards?"}),
    ],
)
def test_typo_and_slang_queries_on_the_demo_clinic(
    demo_db: Database, query: str, expected: set[str]
) -> None:
    with demo_db.session() as s:
        found = search(s, "glow-austin", query)
    assert found and found[0].title in expected, [p.title for p in found]
    assert len(found) <= 3


def test_typos_compounds_and_service_aliases_on_another_clinic(sqlite_db: Database) -> None:
    clinic = _clinic(
        "peak-denver",
        "+13035550100",
        [
            (
                "Sculpting aftercare",
                "Massage the treated area for two minutes. Mild numbness is normal.",
            ),
            (
                "Skin resurfacing",
                "Our Morpheus8 treatment tightens skin. Expect redness for 3 days.",
            ),
            ("Membership", "Members save on every visit and get a monthly facial."),
        ],
        services=[
            {
                "id": "m8",
                "name": "Morpheus8",
                "aliases": ["rf microneedling", "morpheus"],
                "duration_minutes": 60,
                "provider_ids": ["np"],
            },
        ],
    )
    seed_clinic(sqlite_db, clinic)
    with sqlite_db.session() as s:
        assert search(s, "peak-denver", "numbnes after sculpting")[0].title == "Sculpting aftercare"
        assert (
            search(s, "peak-denver", "redness from rf microneedling")[0].title == "Skin resurfacing"
        )
        assert search(s, "peak-denver", "membrship perks")[0].title == "Membership"
        assert search(s, "peak-denver", "morpheus 8 downtime")[0].title == "Skin resurfacing"


def test_faq_question_matching(sqlite_db: Database) -> None:
    faqs = [
        {"question": "Do you offer payment plans?", "answer": "Ask us about monthly options."},
        {"question": "Is there parking?", "answer": "Free lot behind the building."},
    ]
    clinic = _clinic(
        "peak-denver",
        "+13035550100",
        [
            (
                "Pricing",
                "Payment is due at the visit. We accept cards and plans are not offered "
                "for skincare products.",
            )
        ],
        faqs=faqs,
    )
    seed_clinic(sqlite_db, clinic)
    with sqlite_db.session() as s:
        top = search(s, "peak-denver", "do u have payment plans")[0]
    assert (top.source_kind, top.title) == ("faq", "Do you offer payment plans?")
    assert top.text.startswith("Q: Do you offer payment plans?\nA: ")


def test_search_is_strictly_per_clinic(sqlite_db: Database) -> None:
    a = _clinic("clinic-a", "+13035550101", [("Parking", "Valet parking at the front door.")])
    b = _clinic(
        "clinic-b",
        "+13035550102",
        [("Parking", "Free garage parking on level 2."), ("Gift cards", "We sell gift cards.")],
    )
    seed_clinic(sqlite_db, a)
    seed_clinic(sqlite_db, b)
    with sqlite_db.session() as s:
        found_a = search(s, "clinic-a", "parking garage gift cards", k=10)
        found_b = search(s, "clinic-b", "parking", k=10)
        assert search(s, "no-such-clinic", "parking") == []
    assert [p.text for p in found_a] == ["Valet parking at the front door."]
    assert [p.text for p in found_b] == ["Free garage parking on level 2."]


def test_reseed_invalidates_the_cached_index(sqlite_db: Database) -> None:
    seed_clinic(sqlite_db, _clinic("c", "+13035550103", [("Hours", "Open Monday to Friday.")]))
    with sqlite_db.session() as s:
        assert search(s, "c", "open monday")[0].title == "Hours"
    seed_clinic(sqlite_db, _clinic("c", "+13035550103", [("Hours", "Open Tuesday to Saturday.")]))
    with sqlite_db.session() as s:
        assert search(s, "c", "open monday")[0].text == "Open Tuesday to Saturday."
        assert search(s, "c", "saturday")[0].title == "Hours"


@pytest.mark.parametrize(
    "query",
    [
        "whats your wifi password",
        "who won the game last night",
        "can you fix my iphone screen",
        "is the dmv open saturday",
        "ok",
    ],
)
def test_best_answer_is_none_for_unrelated_questions(demo_db: Database, query: str) -> None:
    with demo_db.session() as s:
        assert best_answer(search(s, "glow-austin", query), query) is None


def test_best_answer_accepts_a_good_match(demo_db: Database) -> None:
    with demo_db.session() as s:
        query = "do u guys validate parking"
        answer = best_answer(search(s, "glow-austin", query), query)
    assert answer is not None and answer.coverage >= 0.55
    assert "validate" in answer.text
    assert best_answer([], "x") is None
    outside = Passage("Parking", None, "We validate parking.", 1.0, "document")
    assert best_answer([outside], "validate parking") is outside


def test_fuse_reciprocal_rank() -> None:
    fused = fuse([["a", "b", "c"], ["c", "a"]], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fuse([]) == []


class _TopicEmbedder:
    """Embeds by which of a few topic words a text mentions (deterministic, no network)."""

    TOPICS = ("parking", "deposit", "swelling", "gift")

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[1.0 if t in text.lower() else 0.0 for t in self.TOPICS] + [0.1] for text in texts]


def test_fused_search_uses_stored_embeddings(sqlite_db: Database, demo_clinic: ClinicFile) -> None:
    embedder = _TopicEmbedder()
    seed_clinic(sqlite_db, demo_clinic, embedder=embedder)
    with sqlite_db.session() as s:
        fused = search(s, "glow-austin", "where do i leave my car parking", embedder=embedder)
        lexical = search(s, "glow-austin", "where do i leave my car parking")
    assert fused[0].title in {"Parking and directions", "Do you validate parking?"}
    assert fused[0].score < 1.0 < lexical[0].score  # RRF scores vs BM25F
