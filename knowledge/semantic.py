"""Rank short candidate texts (service names, concerns) by meaning against a patient's text.

:func:`rank` is the small API the agent's service/concern matching uses beside its lexical
matching: given the context's embedder (``AppContext.embedder``: the local model in the
embedded default, see :mod:`knowledge.embedder_choice`), it returns every candidate's cosine
similarity to the query, best first; without an embedder, or when it fails, it returns None
and the caller keeps its lexical answer.

Candidate vectors are cached per (model, text) in this process (bounded LRU), so a clinic's
service list is embedded once and each call costs one query embedding (about 10-30 ms on
one CPU core with the local model; ``python bench/embeddings.py``).

Scores are cosines in -1..1, but e5 models put most pairs of texts between about 0.7 and 0.9:
compare candidates with each other (the margin of the best over the next), not with a fixed
absolute bar tuned on one sentence.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence

import structlog

from knowledge.embeddings import EmbeddingError
from knowledge.retrieval import Embedder, embed_passages

log = structlog.get_logger(__name__)

#: Candidate vectors kept per process (a clinic has tens of services and aliases).
CACHE_SIZE = 4096

_CACHE: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
_LOCK = threading.Lock()


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [float(x) / norm for x in vector]


def _model_key(embedder: Embedder) -> str:
    return f"{type(embedder).__qualname__}:{getattr(embedder, 'model', '')}"


def _candidate_vectors(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """Unit vectors of ``texts`` as passages, from the cache or embedded in one batch."""
    model = _model_key(embedder)
    found: dict[str, list[float]] = {}
    with _LOCK:
        for t in texts:
            vector = _CACHE.get((model, t))
            if vector is not None:
                _CACHE.move_to_end((model, t))
                found[t] = vector
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    if missing:
        fresh = embed_passages(embedder, missing)
        if len(fresh) != len(missing):
            raise EmbeddingError(f"embedder returned {len(fresh)} vectors for {len(missing)}")
        with _LOCK:
            for text, vector in zip(missing, fresh, strict=True):
                found[text] = _CACHE[(model, text)] = _unit(vector)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return [found[t] for t in texts]


def rank(
    query: str, candidates: Sequence[str], embedder: Embedder | None
) -> list[tuple[int, float]] | None:
    """Every candidate's similarity to ``query``, best first.

    Args:
        query: the patient's text, as typed.
        candidates: short texts to choose from (e.g. ``"Lip Enhancement"``, ``"lip filler"``);
            duplicates are allowed and keep their own index.
        embedder: the context's embedder, or None (lexical only).

    Returns:
        ``[(candidate index, cosine similarity), ...]`` for all candidates, by descending
        similarity (ties keep candidate order); ``[]`` for no candidates or an empty query;
        None when there is no embedder or it failed (logged, never raised).
    """
    if embedder is None:
        return None
    if not candidates or not query.strip():
        return []
    try:
        vectors = _candidate_vectors(embedder, candidates)
        q = _unit(embedder.embed([query])[0])
    except EmbeddingError as exc:
        log.warning("semantic_rank_unavailable", error=str(exc))
        return None
    if len(q) != len(vectors[0]):
        log.warning("semantic_rank_dimension_mismatch", query=len(q), candidate=len(vectors[0]))
        return None
    scores = [(i, sum(a * b for a, b in zip(q, v, strict=True))) for i, v in enumerate(vectors)]
    return sorted(scores, key=lambda t: -t[1])


def clear_cache() -> None:
    """Forget every cached candidate vector (tests; never needed for correctness)."""
    with _LOCK:
        _CACHE.clear()
