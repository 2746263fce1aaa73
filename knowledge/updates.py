"""Updating a clinic's knowledge: re-seed its file, or replace its uploaded documents.

Two operations, shared by ``POST /knowledge/<clinic_id>`` (:mod:`app.web.knowledge_api`),
``scripts/seed_knowledge.py`` and the ``frontdesk seed`` CLI:

* :func:`seed_with_uploads`: **a whole clinic file** (DESIGN.md §4.1) is validated and re-seeded
  exactly like ``frontdesk seed FILE`` (an idempotent upsert; the file's own documents and
  FAQs replace their previous chunks). Documents uploaded earlier are kept.
* :func:`replace_documents`: **the clinic's uploaded documents**
  (``{"documents": [{"title": ..., "content": ...}, ...]}``, read by :func:`parse_documents`).
  The list replaces the previously uploaded set as a whole (an empty list removes them all);
  the clinic file's own documents and FAQs are left alone, and the uploaded ones survive
  every later re-seed of the clinic file. An uploaded title may not repeat a title of the
  clinic file's documents (which one would the agent quote?).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from knowledge.chunking import DOCUMENT, Chunk, chunk_sources
from knowledge.clinic_file import ClinicFile, ClinicFileError, Document
from knowledge.embeddings import EmbeddingError
from knowledge.models import Clinic, KnowledgeChunk, UploadedDocument
from knowledge.seed import SeedReport, embed_texts, embedding_text, seed_clinic

if TYPE_CHECKING:
    from knowledge.retrieval import Embedder

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_DOCUMENTS = 500
MAX_TITLE = 300
OWNER_RE = re.compile(r"\s*\(owned by clinic '[^']*'\)")


class DocumentsError(ValueError):
    """The uploaded documents are invalid; ``problems`` holds one line per bad field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid documents:\n  " + "\n  ".join(problems))
        self.problems = problems


class UnknownClinicError(LookupError):
    """The clinic has never been seeded."""


@dataclass
class DocumentsReport:
    """What one :func:`replace_documents` call changed (titles sorted).

    ``chunks`` is the number of chunks of the uploaded documents now, ``chunks_removed`` the
    number they had before; ``embedded`` tells whether the new chunks carry embeddings.
    """

    clinic_id: str
    documents: int = 0
    documents_added: list[str] = field(default_factory=list)
    documents_updated: list[str] = field(default_factory=list)
    documents_removed: list[str] = field(default_factory=list)
    chunks: int = 0
    chunks_removed: int = 0
    embedded: bool = False

    @property
    def changed(self) -> bool:
        """True when a document was added, updated or removed."""
        return bool(self.documents_added or self.documents_updated or self.documents_removed)

    def summary(self) -> str:
        """A few human-readable lines for the command line."""
        parts = [
            f"{name} {', '.join(titles)}"
            for name, titles in (
                ("added", self.documents_added),
                ("updated", self.documents_updated),
                ("removed", self.documents_removed),
            )
            if titles
        ]
        return "\n".join(
            [
                f"clinic {self.clinic_id}: {self.documents} uploaded documents",
                f"documents: {'; '.join(parts) if parts else 'unchanged'}",
                f"knowledge: {self.chunks} chunks for them (replaced {self.chunks_removed})"
                + (", embedded" if self.embedded else ""),
            ]
        )


class _Upload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[Document] = Field(max_length=MAX_DOCUMENTS)


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(body)"


def parse_documents(data: Any) -> list[Document]:
    """Validate a ``{"documents": [{"title", "content"}, ...]}`` body.

    Raises:
        DocumentsError: one line per problem naming its path (``documents[1].content: ...``);
            titles must be unique and at most :data:`MAX_TITLE` characters.
    """
    try:
        docs = _Upload.model_validate(data).documents
    except ValidationError as exc:
        raise DocumentsError(
            [
                f"{_path(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            ]
        ) from None
    problems: list[str] = []
    seen: set[str] = set()
    for i, doc in enumerate(docs):
        if len(doc.title) > MAX_TITLE:
            problems.append(f"documents[{i}].title: at most {MAX_TITLE} characters")
        if doc.title in seen:
            problems.append(f"documents[{i}].title: duplicate title {doc.title!r}")
        seen.add(doc.title)
    if problems:
        raise DocumentsError(problems)
    return docs


def uploaded_documents(session: Session, clinic_id: str) -> list[Document]:
    """The clinic's uploaded documents, in upload order."""
    rows = session.scalars(
        select(UploadedDocument)
        .where(UploadedDocument.clinic_id == clinic_id)
        .order_by(UploadedDocument.position)
    )
    return [Document(title=r.title, content=r.content) for r in rows]


def seed_with_uploads(
    db: Database, clinic: ClinicFile, *, embedder: Embedder | None = None
) -> SeedReport:
    """:func:`~knowledge.seed.seed_clinic` ``clinic``, keeping its uploaded documents indexed.

    When the embedder fails, the clinic is seeded without embeddings (lexical retrieval
    still works) and ``report.embedded`` is False.

    Raises:
        ClinicFileError: a document of the file has the title of an uploaded document.
        SeedError: as :func:`~knowledge.seed.seed_clinic`.
    """
    with db.sessions() as session:
        uploads = uploaded_documents(session, clinic.clinic.id)
    titles = {d.title for d in uploads}
    clashes = [
        f"documents[{i}].title: {d.title!r} is also the title of an uploaded document; "
        "rename one, or upload the documents without it first"
        for i, d in enumerate(clinic.documents)
        if d.title in titles
    ]
    if clashes:
        raise ClinicFileError(clashes)
    if embedder is not None:
        try:
            return seed_clinic(db, clinic, uploads, embedder=embedder)
        except EmbeddingError as exc:
            log.warning(
                "knowledge_embeddings_unavailable", clinic_id=clinic.clinic.id, error=str(exc)
            )
    return seed_clinic(db, clinic, uploads)


def replace_documents(
    db: Database,
    clinic_id: str,
    documents: Sequence[Document],
    *,
    embedder: Embedder | None = None,
) -> DocumentsReport:
    """Replace the clinic's uploaded documents and their chunks, in one transaction.

    The clinic file's own documents and FAQs keep their chunks. The new chunks are embedded
    when ``embedder`` is given and the clinic's other chunks carry embeddings too (so the
    dense ranking never covers only part of the clinic's knowledge); an embedder failure
    leaves them lexical-only.

    Raises:
        UnknownClinicError: the clinic was never seeded.
        DocumentsError: a title repeats one of the clinic file's documents, or is duplicated.
    """
    docs = list(documents)
    if len({d.title for d in docs}) != len(docs):
        parse_documents({"documents": [d.model_dump() for d in docs]})  # raises, naming paths
    old, others_embedded = _check_titles(db, clinic_id, docs)
    chunks = chunk_sources([(d.title, d.content) for d in docs], [])
    vectors: list[list[float]] | None = None
    if embedder is not None and chunks and others_embedded:
        try:
            vectors = embed_texts(embedder, [embedding_text(c) for c in chunks])
        except EmbeddingError as exc:
            log.warning("knowledge_embeddings_unavailable", clinic_id=clinic_id, error=str(exc))
    new = {d.title: d.content for d in docs}
    report = DocumentsReport(
        clinic_id=clinic_id,
        documents=len(docs),
        documents_added=sorted(set(new) - set(old)),
        documents_updated=sorted(t for t in new if t in old and old[t] != new[t]),
        documents_removed=sorted(set(old) - set(new)),
        chunks=len(chunks),
        embedded=vectors is not None,
    )
    with db.session() as session:
        report.chunks_removed = _store_documents(
            session, clinic_id, docs, list(old), chunks, vectors
        )
    return report


def _check_titles(
    db: Database, clinic_id: str, docs: list[Document]
) -> tuple[dict[str, str], bool]:
    """The clinic's current uploads (title -> content), and whether every other chunk of the
    clinic carries an embedding.

    Raises:
        UnknownClinicError: the clinic was never seeded.
        DocumentsError: a title repeats one of the clinic file's documents.
    """
    with db.sessions() as session:
        if session.get(Clinic, clinic_id) is None:
            raise UnknownClinicError(clinic_id)
        old = {d.title: d.content for d in uploaded_documents(session, clinic_id)}
        rows = session.execute(
            select(
                KnowledgeChunk.source_kind, KnowledgeChunk.source_title, KnowledgeChunk.embedding
            ).where(KnowledgeChunk.clinic_id == clinic_id)
        ).all()
    others = [r for r in rows if not (r[0] == DOCUMENT and r[1] in old)]
    file_titles = {r[1] for r in others if r[0] == DOCUMENT}
    clashes = [
        f"documents[{i}].title: {d.title!r} is already a document of the clinic file"
        for i, d in enumerate(docs)
        if d.title in file_titles
    ]
    if clashes:
        raise DocumentsError(clashes)
    return old, all(r[2] for r in others)


def _store_documents(
    session: Session,
    clinic_id: str,
    docs: list[Document],
    old_titles: list[str],
    chunks: list[Chunk],
    vectors: list[list[float]] | None,
) -> int:
    """Replace the uploaded documents and their chunks.

    Returns:
        How many chunks of the old uploads were removed.
    """
    removed = 0
    if old_titles:
        result = session.execute(
            delete(KnowledgeChunk).where(
                KnowledgeChunk.clinic_id == clinic_id,
                KnowledgeChunk.source_kind == DOCUMENT,
                KnowledgeChunk.source_title.in_([t[:MAX_TITLE] for t in old_titles]),
            )
        )
        removed = getattr(result, "rowcount", 0) or 0
    session.execute(delete(UploadedDocument).where(UploadedDocument.clinic_id == clinic_id))
    now = utcnow()
    session.add_all(
        UploadedDocument(
            clinic_id=clinic_id, position=i, title=d.title, content=d.content, updated_at=now
        )
        for i, d in enumerate(docs)
    )
    session.add_all(
        KnowledgeChunk(
            clinic_id=clinic_id,
            source_kind=c.source_kind,
            source_title=c.title[:MAX_TITLE],
            heading=c.heading[:MAX_TITLE] if c.heading else None,
            content=c.text,
            position=c.position,
            embedding=vectors[i] if vectors is not None else None,
        )
        for i, c in enumerate(chunks)
    )
    return int(removed)
