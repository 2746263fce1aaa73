"""Seed a clinic file into the database (``frontdesk seed FILE``, DESIGN.md §4.1).

:func:`seed_clinic` is an idempotent upsert by ids, all in one transaction: the clinic row,
its phone numbers, providers, services, and its knowledge chunks (replaced wholesale, so a
document removed from the file leaves no stale chunk). Seeding the same file twice changes
nothing and reports nothing changed, apart from the chunks, which are always rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import Database
from knowledge.chunking import Chunk, chunk_sources
from knowledge.clinic_file import ClinicFile, Document
from knowledge.models import Clinic, ClinicNumber, KnowledgeChunk, Provider, Service
from knowledge.retrieval import embed_passages

if TYPE_CHECKING:
    from knowledge.retrieval import Embedder

EMBED_BATCH = 64
_Row = TypeVar("_Row", Provider, Service)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


class SeedError(ValueError):
    """The clinic file cannot be seeded as it stands (e.g. a number owned by another clinic)."""


@dataclass
class SeedReport:
    """What one :func:`seed_clinic` call changed.

    Id lists are sorted. ``chunks`` is the number of knowledge chunks the clinic has now;
    ``chunks_removed`` how many it had before (all of them are replaced on every seed).
    """

    clinic_id: str
    clinic_created: bool = False
    clinic_updated: bool = False
    services_added: list[str] = field(default_factory=list)
    services_updated: list[str] = field(default_factory=list)
    services_removed: list[str] = field(default_factory=list)
    providers_added: list[str] = field(default_factory=list)
    providers_updated: list[str] = field(default_factory=list)
    providers_removed: list[str] = field(default_factory=list)
    numbers_added: list[str] = field(default_factory=list)
    numbers_removed: list[str] = field(default_factory=list)
    chunks: int = 0
    chunks_removed: int = 0
    embedded: bool = False

    @property
    def changed(self) -> bool:
        """True when anything other than the (always rewritten) chunks changed."""
        return any(
            (
                self.clinic_created,
                self.clinic_updated,
                self.services_added,
                self.services_updated,
                self.services_removed,
                self.providers_added,
                self.providers_updated,
                self.providers_removed,
                self.numbers_added,
                self.numbers_removed,
            )
        )

    def summary(self) -> str:
        """A few human-readable lines for the command line."""
        verb = "created" if self.clinic_created else "updated" if self.clinic_updated else "kept"
        lines = [f"clinic {self.clinic_id}: {verb}"]
        for label, added, updated, removed in (
            ("services", self.services_added, self.services_updated, self.services_removed),
            ("providers", self.providers_added, self.providers_updated, self.providers_removed),
            ("numbers", self.numbers_added, [], self.numbers_removed),
        ):
            parts = [
                f"{name} {', '.join(ids)}"
                for name, ids in (("added", added), ("updated", updated), ("removed", removed))
                if ids
            ]
            lines.append(f"{label}: {'; '.join(parts) if parts else 'unchanged'}")
        lines.append(
            f"knowledge: {self.chunks} chunks (replaced {self.chunks_removed})"
            + (", embedded" if self.embedded else "")
        )
        return "\n".join(lines)


def load_docs_dir(path: str | Path) -> list[Document]:
    """Read every ``*.md`` and ``*.txt`` file directly in ``path`` as a :class:`Document`.

    The title is the file's first Markdown heading, else its stem with ``-``/``_`` as spaces.
    Empty files are skipped. Files are returned sorted by name.

    Raises:
        SeedError: ``path`` is not a readable directory, or a file is not UTF-8.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SeedError(f"{folder}: not a directory")
    docs: list[Document] = []
    for file in sorted(folder.iterdir()):
        if not file.is_file() or file.suffix.lower() not in (".md", ".txt"):
            continue
        try:
            content = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SeedError(f"{file}: cannot read: {exc}") from None
        if not content:
            continue
        title = file.stem.replace("-", " ").replace("_", " ").strip() or file.name
        for line in content.splitlines():
            m = _MD_HEADING.match(line)
            if m:
                title = m.group(1).strip()
                break
        docs.append(Document(title=title, content=content))
    return docs


def clinic_chunks(clinic: ClinicFile, extra_docs: Sequence[Document] = ()) -> list[Chunk]:
    """Every knowledge chunk of ``clinic``: its documents, then ``extra_docs``, then FAQs."""
    docs = [(d.title, d.content) for d in (*clinic.documents, *extra_docs)]
    return chunk_sources(docs, [(f.question, f.answer) for f in clinic.faqs])


def embedding_text(chunk: Chunk) -> str:
    """The text embedded for a chunk: title, heading and passage on separate lines."""
    return "\n".join(part for part in (chunk.title, chunk.heading, chunk.text) if part)


def _embed(embedder: Embedder, chunks: list[Chunk]) -> list[list[float]]:
    return embed_texts(embedder, [embedding_text(c) for c in chunks])


def embed_texts(embedder: Embedder, texts: list[str]) -> list[list[float]]:
    """Embed ``texts`` in batches of :data:`EMBED_BATCH`, one vector per text, in order.

    Raises:
        SeedError: the embedder answered a different number of vectors than texts.
    """
    vectors: list[list[float]] = []
    for i in range(0, len(texts), EMBED_BATCH):
        batch = texts[i : i + EMBED_BATCH]
        out = embed_passages(embedder, batch)
        if len(out) != len(batch):
            raise SeedError(f"embedder returned {len(out)} vectors for {len(batch)} texts")
        vectors.extend([float(x) for x in v] for v in out)
    return vectors


def _sync_rows(
    session: Session,
    model: type[_Row],
    clinic_id: str,
    wanted: dict[str, dict[str, Any]],
) -> tuple[list[str], list[str], list[str]]:
    """Upsert ``wanted`` (id -> data, in file order) and delete the rest; (added, updated, removed)."""
    existing = {
        row.id: row for row in session.scalars(select(model).where(model.clinic_id == clinic_id))
    }
    added: list[str] = []
    updated: list[str] = []
    for position, (row_id, data) in enumerate(wanted.items()):
        row = existing.get(row_id)
        if row is None:
            session.add(model(clinic_id=clinic_id, id=row_id, data=data, position=position))
            added.append(row_id)
        elif row.data != data or row.position != position:
            if row.data != data:
                updated.append(row_id)
            row.data = data
            row.position = position
    removed = sorted(set(existing) - set(wanted))
    if removed:
        session.execute(delete(model).where(model.clinic_id == clinic_id, model.id.in_(removed)))
    return sorted(added), sorted(updated), removed


def _upsert_clinic(session: Session, clinic: ClinicFile, report: SeedReport) -> None:
    """Create or update the clinic row; note which on ``report``."""
    info = clinic.clinic
    profile = info.model_dump(mode="json")
    row = session.get(Clinic, info.id)
    if row is None:
        session.add(Clinic(id=info.id, name=info.name, timezone=info.timezone, profile=profile))
        report.clinic_created = True
    elif (row.name, row.timezone, row.profile) != (info.name, info.timezone, profile):
        row.name, row.timezone, row.profile = info.name, info.timezone, profile
        report.clinic_updated = True


def _sync_numbers(
    session: Session, clinic_id: str, wanted_numbers: list[str], report: SeedReport
) -> None:
    """Make the clinic's numbers exactly ``wanted_numbers``; note changes on ``report``.

    Raises:
        SeedError: a number already belongs to another clinic.
    """
    owners = {
        n.phone: n
        for n in session.scalars(
            select(ClinicNumber).where(
                (ClinicNumber.phone.in_(wanted_numbers)) | (ClinicNumber.clinic_id == clinic_id)
            )
        )
    }
    taken = [
        f"{phone} (owned by clinic {owners[phone].clinic_id!r})"
        for phone in wanted_numbers
        if phone in owners and owners[phone].clinic_id != clinic_id
    ]
    if taken:
        raise SeedError(f"clinic.phone_numbers: already used by another clinic: {', '.join(taken)}")
    for phone in wanted_numbers:
        if phone not in owners:
            session.add(ClinicNumber(phone=phone, clinic_id=clinic_id))
            report.numbers_added.append(phone)
    stale = sorted(p for p, n in owners.items() if n.clinic_id == clinic_id)
    report.numbers_removed = [p for p in stale if p not in wanted_numbers]
    if report.numbers_removed:
        session.execute(delete(ClinicNumber).where(ClinicNumber.phone.in_(report.numbers_removed)))


def _replace_chunks(
    session: Session, clinic_id: str, chunks: Sequence[Chunk], vectors: list[list[float]] | None
) -> int:
    """Replace the clinic's knowledge chunks with ``chunks`` (and their embeddings).

    Returns:
        How many old chunks were removed.
    """
    removed = (
        session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.clinic_id == clinic_id))
    ).rowcount or 0  # type: ignore[attr-defined]
    session.add_all(
        KnowledgeChunk(
            clinic_id=clinic_id,
            source_kind=c.source_kind,
            source_title=c.title[:300],
            heading=c.heading[:300] if c.heading else None,
            content=c.text,
            position=c.position,
            embedding=vectors[i] if vectors is not None else None,
        )
        for i, c in enumerate(chunks)
    )
    return int(removed)


def seed_clinic(
    db: Database,
    clinic: ClinicFile,
    extra_docs: Sequence[Document] = (),
    *,
    embedder: Embedder | None = None,
) -> SeedReport:
    """Upsert ``clinic`` and replace its knowledge, in one transaction.

    Args:
        db: the database.
        clinic: a validated clinic file (see ``load_clinic_file``).
        extra_docs: more documents to index with the file's own (e.g. from
            :func:`load_docs_dir`).
        embedder: when given, every chunk's embedding is computed (before the transaction
            opens) and stored in ``KnowledgeChunk.embedding`` for fused retrieval.

    Returns:
        A :class:`SeedReport` of what changed.

    Raises:
        SeedError: a phone number of the file already belongs to another clinic, or the
            embedder misbehaved. Nothing is written then.
    """
    info = clinic.clinic
    chunks = clinic_chunks(clinic, extra_docs)
    vectors = _embed(embedder, chunks) if embedder is not None and chunks else None
    report = SeedReport(clinic_id=info.id, chunks=len(chunks), embedded=vectors is not None)
    with db.session() as session:
        _upsert_clinic(session, clinic, report)
        session.flush()  # the clinic row exists before rows that reference it
        _sync_numbers(session, info.id, list(dict.fromkeys(info.phone_numbers)), report)
        report.providers_added, report.providers_updated, report.providers_removed = _sync_rows(
            session,
            Provider,
            info.id,
            {p.id: p.model_dump(mode="json") for p in clinic.providers},
        )
        report.services_added, report.services_updated, report.services_removed = _sync_rows(
            session,
            Service,
            info.id,
            {s.id: s.model_dump(mode="json") for s in clinic.services},
        )
        report.chunks_removed = _replace_chunks(session, info.id, chunks, vectors)
    report.numbers_added.sort()
    return report
