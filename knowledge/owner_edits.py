"""Edits an owner makes to parts of a seeded clinic: its FAQs and its ``clinic`` section.

The clinic file's documents are stored only as their chunks, so an edit from the web app
cannot re-seed a whole file without losing them. Instead the caller validates the whole file
(:func:`~knowledge.clinic_file.parse_clinic_file`, as the knowledge API does) and this module
writes only what changed: the clinic's profile (closures, reminders, waitlist settings...) and,
when asked, the FAQ chunks, each FAQ exactly one chunk (:func:`~knowledge.chunking.chunk_faq`),
so :func:`current_faqs` reads them back as they were written.
"""

from __future__ import annotations

import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import Database
from knowledge.chunking import FAQ, Chunk, chunk_faq
from knowledge.clinic_file import ClinicFile, Faq
from knowledge.embeddings import EmbeddingError
from knowledge.models import Clinic, KnowledgeChunk
from knowledge.retrieval import Embedder
from knowledge.seed import embed_texts, embedding_text

log = structlog.get_logger(__name__)

_ANSWER = "\nA: "


def current_faqs(session: Session, clinic_id: str) -> list[Faq]:
    """The clinic's FAQs as last seeded or saved, in order."""
    rows = session.scalars(
        select(KnowledgeChunk)
        .where(KnowledgeChunk.clinic_id == clinic_id, KnowledgeChunk.source_kind == FAQ)
        .order_by(KnowledgeChunk.id)
    )
    return [Faq(question=r.source_title, answer=r.content.split(_ANSWER, 1)[-1]) for r in rows]


def save_owner_edit(
    db: Database, clinic: ClinicFile, *, faqs: bool, embedder: Embedder | None = None
) -> None:
    """Write ``clinic``'s profile, and its FAQs when ``faqs``, in one transaction.

    Args:
        db: the database.
        clinic: the validated clinic file (its documents are not read).
        faqs: replace the FAQ chunks with ``clinic.faqs``.
        embedder: embeds the new FAQ chunks when the clinic's other chunks carry embeddings;
            a failure leaves them lexical-only (logged).

    Raises:
        LookupError: the clinic was never seeded.
    """
    chunks = [chunk_faq(f.question, f.answer) for f in clinic.faqs] if faqs else []
    vectors = _vectors(db, clinic.clinic.id, chunks, embedder) if chunks else None
    with db.session() as session:
        row = session.get(Clinic, clinic.clinic.id)
        if row is None:
            raise LookupError(f"no clinic {clinic.clinic.id!r}")
        row.name, row.timezone = clinic.clinic.name, clinic.clinic.timezone
        row.profile = clinic.clinic.model_dump(mode="json")
        if not faqs:
            return
        session.execute(
            delete(KnowledgeChunk).where(
                KnowledgeChunk.clinic_id == clinic.clinic.id, KnowledgeChunk.source_kind == FAQ
            )
        )
        session.add_all(
            KnowledgeChunk(
                clinic_id=clinic.clinic.id,
                source_kind=c.source_kind,
                source_title=c.title[:300],
                heading=None,
                content=c.text,
                position=c.position,
                embedding=vectors[i] if vectors is not None else None,
            )
            for i, c in enumerate(chunks)
        )


def _vectors(
    db: Database, clinic_id: str, chunks: list[Chunk], embedder: Embedder | None
) -> list[list[float]] | None:
    """Embeddings of ``chunks`` when the clinic's other chunks have them, else None."""
    if embedder is None:
        return None
    with db.sessions() as session:
        others = session.scalars(
            select(KnowledgeChunk.embedding).where(
                KnowledgeChunk.clinic_id == clinic_id, KnowledgeChunk.source_kind != FAQ
            )
        ).all()
    if not all(others):
        return None
    try:
        return embed_texts(embedder, [embedding_text(c) for c in chunks])
    except EmbeddingError as exc:
        log.warning("knowledge_embeddings_unavailable", clinic_id=clinic_id, error=str(exc))
        return None
