"""Retrieve a clinic's knowledge for a patient's question (DESIGN.md §3, embeddings row).

:func:`search` ranks one clinic's :class:`~knowledge.models.KnowledgeChunk` rows, never another
clinic's. The embedded default is lexical only (see :mod:`knowledge.lexical`); when an
:class:`Embedder` is given and the chunks were seeded with embeddings, the lexical and the
dense rankings are fused with reciprocal-rank fusion (:func:`fuse`).
:func:`best_answer` keeps the top passage only when it matches the question well enough, so
an unrelated question gets None and the agent says it will check with the team.

Each clinic's index is built once per process and cached, keyed by the database, the clinic
and a version of its chunk set (count, min/max/sum of ids: chunk ids are never reused, and a
re-seed always writes new rows).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.chunking import FAQ
from knowledge.lexical import Concept, LexicalIndex, content_stems
from knowledge.models import KnowledgeChunk, Service

log = structlog.get_logger(__name__)

# best_answer threshold on Passage.coverage, calibrated on tests/knowledge/qa.yaml (answerable
# questions) against unrelated ones (tests/knowledge/test_retrieval.py).
ANSWER_THRESHOLD = 0.55
RRF_K = 60
LEXICAL_DEPTH = 50
CACHE_SIZE = 64

K = TypeVar("K", bound=Hashable)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors (:mod:`knowledge.embeddings`, :mod:`knowledge.local_embeddings`).

    ``embed`` embeds what a patient asks. An asymmetric model (e5 wants ``"query: "`` and
    ``"passage: "`` prefixes) also has ``embed_passages(texts)`` for the stored chunks; see
    :func:`embed_passages`.
    """

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, all of one dimension, in input order."""
        ...


def embed_passages(embedder: Embedder, texts: list[str]) -> list[list[float]]:
    """Vectors for stored passages: the embedder's ``embed_passages`` if it has one, else
    its ``embed`` (a symmetric model such as OpenAI's embeds both sides alike).

    Returns:
        One vector per text, in order. Raises whatever the embedder raises.
    """
    method = getattr(embedder, "embed_passages", None)
    return list(method(texts)) if callable(method) else embedder.embed(texts)


@dataclass(frozen=True)
class Passage:
    """A retrieved passage.

    Attributes:
        title: the document title, or the FAQ's question text.
        heading: the Markdown heading above the passage, if any.
        text: the passage (an FAQ is ``"Q: ...\\nA: ..."``).
        score: the ranking score (BM25F lexically; the RRF score when fused).
        source_kind: ``"document"`` or ``"faq"``.
        coverage: share (0..1) of the query's terms, weighted by rarity, the passage matches.
        chunk_id: the KnowledgeChunk row id.
    """

    title: str
    heading: str | None
    text: str
    score: float
    source_kind: str
    coverage: float = 0.0
    chunk_id: int = 0


@dataclass
class _ClinicIndex:
    ids: list[int]
    titles: list[str]
    headings: list[str | None]
    texts: list[str]
    kinds: list[str]
    lexical: LexicalIndex
    vectors: list[tuple[int, list[float], float]]  # (passage index, vector, norm)


_CACHE: OrderedDict[tuple[object, ...], _ClinicIndex] = OrderedDict()
_LOCK = threading.Lock()


def fuse(rankings: Sequence[Sequence[K]], k: int = RRF_K) -> list[tuple[K, float]]:
    """Reciprocal-rank fusion of several rankings (best first).

    Args:
        rankings: each a sequence of keys, best first; a key may be missing from some.
        k: the RRF constant (60 in Cormack et al. 2009); larger flattens the rank weights.

    Returns:
        ``(key, score)`` pairs sorted by descending ``sum(1 / (k + rank))`` (rank from 1);
        ties keep first-seen order.
    """
    scores: dict[K, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _version(session: Session, clinic_id: str) -> tuple[object, ...]:
    row = session.execute(
        select(
            func.count(KnowledgeChunk.id),
            func.min(KnowledgeChunk.id),
            func.max(KnowledgeChunk.id),
            func.sum(KnowledgeChunk.id),
        ).where(KnowledgeChunk.clinic_id == clinic_id)
    ).one()
    return tuple(row)


def _build(session: Session, clinic_id: str) -> _ClinicIndex:
    rows = session.execute(
        select(
            KnowledgeChunk.id,
            KnowledgeChunk.source_title,
            KnowledgeChunk.heading,
            KnowledgeChunk.content,
            KnowledgeChunk.source_kind,
            KnowledgeChunk.embedding,
        )
        .where(KnowledgeChunk.clinic_id == clinic_id)
        .order_by(KnowledgeChunk.id)
    ).all()
    phrases = []
    for data in session.scalars(select(Service.data).where(Service.clinic_id == clinic_id)):
        phrases.append([str(data.get("name", "")), *(str(a) for a in data.get("aliases", []))])
    lexical = LexicalIndex.build(
        [{"title": r[1], "heading": r[2] or "", "body": r[3]} for r in rows],
        [r[4] == FAQ for r in rows],
        phrases,
    )
    vectors = []
    for i, r in enumerate(rows):
        if r[5]:
            vec = [float(x) for x in r[5]]
            vectors.append((i, vec, math.sqrt(sum(x * x for x in vec)) or 1.0))
    return _ClinicIndex(
        ids=[r[0] for r in rows],
        titles=[r[1] for r in rows],
        headings=[r[2] for r in rows],
        texts=[r[3] for r in rows],
        kinds=[r[4] for r in rows],
        lexical=lexical,
        vectors=vectors,
    )


def _index(session: Session, clinic_id: str) -> _ClinicIndex:
    bind = session.get_bind()
    url = bind.engine.url.render_as_string(hide_password=True)
    where: object = url if url not in ("sqlite://", "sqlite:///:memory:") else id(bind.engine)
    key = (where, clinic_id, *_version(session, clinic_id))
    with _LOCK:
        index = _CACHE.get(key)
        if index is not None:
            _CACHE.move_to_end(key)
            return index
    index = _build(session, clinic_id)
    with _LOCK:
        stale = [k for k in _CACHE if k[:2] == key[:2]]
        for k in stale:
            del _CACHE[k]
        _CACHE[key] = index
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index


def clear_cache() -> None:
    """Forget every cached clinic index (tests; never needed for correctness)."""
    with _LOCK:
        _CACHE.clear()


def _dense_ranking(index: _ClinicIndex, embedder: Embedder, query: str) -> list[int]:
    if not index.vectors:
        return []
    q = [float(x) for x in embedder.embed([query])[0]]
    if len(q) != len(index.vectors[0][1]):
        # Chunks seeded by another model (e.g. local, then OPENAI_API_KEY set): comparing
        # vectors of different models means nothing, so rank lexically until a re-seed.
        log.warning("embedding_dimension_mismatch", query=len(q), stored=len(index.vectors[0][1]))
        return []
    q_norm = math.sqrt(sum(x * x for x in q)) or 1.0
    sims = [
        (sum(a * b for a, b in zip(q, vec, strict=False)) / (q_norm * norm), i)
        for i, vec, norm in index.vectors
    ]
    sims.sort(key=lambda t: -t[0])
    return [i for _, i in sims[:LEXICAL_DEPTH]]


def _passage(index: _ClinicIndex, i: int, score: float, concepts: list[Concept]) -> Passage:
    return Passage(
        title=index.titles[i],
        heading=index.headings[i],
        text=index.texts[i],
        score=score,
        source_kind=index.kinds[i],
        coverage=index.lexical.coverage(concepts, index.lexical.doc_terms[i]),
        chunk_id=index.ids[i],
    )


def search(
    session: Session,
    clinic_id: str,
    query: str,
    k: int = 3,
    *,
    embedder: Embedder | None = None,
) -> list[Passage]:
    """The ``k`` passages of ``clinic_id``'s knowledge that best answer ``query``.

    Args:
        session: an open session (read only).
        clinic_id: only this clinic's chunks are searched.
        query: the patient's text, as typed.
        k: how many passages at most.
        embedder: when given and the chunks carry embeddings, lexical and dense rankings are
            fused (:func:`fuse`); otherwise the ranking is lexical.

    Returns:
        Best first; empty when nothing matches (or the clinic has no knowledge). Lexical
        passages with a zero score are never returned.
    """
    if k <= 0:
        return []
    index = _index(session, clinic_id)
    if not index.ids:
        return []
    concepts = index.lexical.concepts(query)
    scores = index.lexical.score(concepts)
    lexical = sorted(scores, key=lambda i: (-scores[i], i))[: max(k, LEXICAL_DEPTH)]
    dense = _dense_ranking(index, embedder, query) if embedder is not None else []
    if dense:
        fused = fuse([lexical, dense])
        return [_passage(index, i, s, concepts) for i, s in fused[:k]]
    return [_passage(index, i, scores[i], concepts) for i in lexical[:k]]


def best_answer(
    passages: Sequence[Passage], query: str, *, threshold: float = ANSWER_THRESHOLD
) -> Passage | None:
    """The top passage when it answers ``query`` well enough, else None.

    "Well enough" means the passage covers at least ``threshold`` of the query's terms
    weighted by rarity (:attr:`Passage.coverage`), so a question about something the clinic
    never wrote about returns None instead of a loosely related passage. Passages built
    elsewhere with no coverage are judged by plain stem overlap with ``query``.
    """
    if not passages:
        return None
    top = passages[0]
    coverage = top.coverage
    if coverage <= 0.0:
        wanted = set(content_stems(query))
        if not wanted:
            return None
        have = set(content_stems(f"{top.title} {top.heading or ''} {top.text}"))
        coverage = len(wanted & have) / len(wanted)
    return top if coverage >= threshold else None
