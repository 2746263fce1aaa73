"""Seeding: idempotent upsert, stale rows removed, numbers guarded, knowledge replaced.

Each test runs on SQLite and, when reachable, on Postgres (schema ``knowledge_test``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import Database
from knowledge.clinic_file import ClinicFile, Document, parse_clinic_file
from knowledge.models import Clinic, ClinicNumber, KnowledgeChunk, Provider, Service
from knowledge.seed import SeedError, load_docs_dir, seed_clinic
from knowledge.store import clinic_for_number, list_clinic_ids, load_clinic


def _count(db: Database, model: Any, clinic_id: str = "glow-austin") -> int:
    with db.session() as s:
        return int(
            s.scalar(select(func.count()).select_from(model).where(model.clinic_id == clinic_id))
            or 0
        )


def _titles(db: Database, clinic_id: str = "glow-austin") -> set[str]:
    with db.session() as s:
        return set(
            s.scalars(
                select(KnowledgeChunk.source_title).where(KnowledgeChunk.clinic_id == clinic_id)
            )
        )


def test_first_seed_reports_everything_added(db: Database, demo_clinic: ClinicFile) -> None:
    report = seed_clinic(db, demo_clinic)
    assert report.clinic_created
    assert report.services_added == sorted(s.id for s in demo_clinic.services)
    assert report.providers_added == sorted(p.id for p in demo_clinic.providers)
    assert report.numbers_added == ["+15125550100"]
    assert report.chunks == _count(db, KnowledgeChunk) > len(demo_clinic.faqs)
    assert "clinic glow-austin: created" in report.summary()


def test_seeding_twice_is_idempotent(db: Database, demo_clinic: ClinicFile) -> None:
    seed_clinic(db, demo_clinic)
    with db.session() as s:
        before = {(r.id, str(r.data)) for r in s.scalars(select(Service))}
    second = seed_clinic(db, demo_clinic)
    assert not second.changed
    assert second.chunks == second.chunks_removed
    with db.session() as s:
        after = {(r.id, str(r.data)) for r in s.scalars(select(Service))}
        assert s.scalar(select(func.count()).select_from(Clinic)) == 1
        assert s.scalar(select(func.count()).select_from(ClinicNumber)) == 1
    assert before == after
    assert _count(db, Provider) == 3
    assert _count(db, KnowledgeChunk) == second.chunks


def test_reseed_without_a_document_leaves_no_stale_chunk(
    db: Database, demo_data: dict[str, Any]
) -> None:
    seed_clinic(db, parse_clinic_file(demo_data))
    removed = demo_data["documents"].pop(0)["title"]
    assert removed in _titles(db)
    seed_clinic(db, parse_clinic_file(demo_data))
    assert removed not in _titles(db)
    assert demo_data["faqs"][0]["question"] in _titles(db)


def test_removed_and_changed_services_and_providers(
    db: Database, demo_data: dict[str, Any]
) -> None:
    seed_clinic(db, parse_clinic_file(demo_data))
    demo_data["services"] = [s for s in demo_data["services"] if s["id"] != "kybella"]
    demo_data["services"][1]["price"] = "$14/unit"
    changed_id = demo_data["services"][1]["id"]
    demo_data["providers"][2]["hours"] = {"sat": [["09:00", "12:00"]]}
    report = seed_clinic(db, parse_clinic_file(demo_data))
    assert report.services_removed == ["kybella"]
    assert report.services_updated == [changed_id]
    assert report.providers_updated == [demo_data["providers"][2]["id"]]
    assert not report.clinic_updated
    with db.session() as s:
        assert s.get(Service, ("glow-austin", "kybella")) is None
        assert s.get(Service, ("glow-austin", changed_id)).data["price"] == "$14/unit"  # type: ignore[union-attr]


def test_number_owned_by_another_clinic_is_rejected(
    db: Database, demo_data: dict[str, Any]
) -> None:
    seed_clinic(db, parse_clinic_file(demo_data))
    other = dict(demo_data, clinic=dict(demo_data["clinic"], id="glow-dallas"))
    other["clinic"]["phone_numbers"] = ["+12145550101", "+15125550100"]
    with pytest.raises(SeedError, match=r"\+15125550100.*glow-austin"):
        seed_clinic(db, parse_clinic_file(other))
    with db.session() as s:
        assert list_clinic_ids(s) == ["glow-austin"]  # nothing of the failed seed was written
        assert clinic_for_number(s, "+12145550101") is None


def test_numbers_removed_from_the_file_are_deleted(db: Database, demo_data: dict[str, Any]) -> None:
    demo_data["clinic"]["phone_numbers"] = ["+15125550100", "+15125550101"]
    seed_clinic(db, parse_clinic_file(demo_data))
    demo_data["clinic"]["phone_numbers"] = ["+15125550102"]
    report = seed_clinic(db, parse_clinic_file(demo_data))
    assert report.numbers_added == ["+15125550102"]
    assert report.numbers_removed == ["+15125550100", "+15125550101"]
    assert report.clinic_updated  # the profile lists the numbers
    with db.session() as s:
        assert clinic_for_number(s, "+15125550100") is None
        assert clinic_for_number(s, "+15125550102") == "glow-austin"


def test_load_clinic_rebuilds_the_file(db: Database, demo_clinic: ClinicFile) -> None:
    seed_clinic(db, demo_clinic)
    loaded = load_clinic(db, "glow-austin")
    assert loaded == demo_clinic.model_copy(update={"documents": [], "faqs": []})
    with db.session() as s:
        assert load_clinic(s, "nope") is None
        assert clinic_for_number(s, "+15125550100") == "glow-austin"
        assert list_clinic_ids(s) == ["glow-austin"]


class _FakeEmbedder:
    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[float(len(t)), 1.0, 0.5] for t in texts]


def test_extra_docs_and_embeddings(db: Database, demo_clinic: ClinicFile, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "holiday-hours.md").write_text(
        "# Holiday hours\n\nClosed Thanksgiving Day and Christmas Day.", encoding="utf-8"
    )
    (tmp_path / "docs" / "team_bios.txt").write_text("Dr. Lee trained at UT.", encoding="utf-8")
    (tmp_path / "docs" / "ignored.pdf").write_bytes(b"%PDF")
    docs = load_docs_dir(tmp_path / "docs")
    assert [d.title for d in docs] == ["Holiday hours", "team bios"]
    report = seed_clinic(db, demo_clinic, docs, embedder=_FakeEmbedder())
    assert report.embedded
    assert {"Holiday hours", "team bios"} <= _titles(db)
    with db.session() as s:
        vectors = list(s.scalars(select(KnowledgeChunk.embedding)))
    assert vectors and all(v is not None and len(v) == 3 for v in vectors)


def test_load_docs_dir_rejects_a_file(tmp_path: Path) -> None:
    with pytest.raises(SeedError):
        load_docs_dir(tmp_path / "missing")
    assert load_docs_dir(tmp_path) == []


def test_bad_embedder_writes_nothing(db: Database, demo_clinic: ClinicFile) -> None:
    class Short:
        def embed(self, texts: list[str]) -> list[list[float]]:
            return [[1.0]]

    with pytest.raises(SeedError, match="vectors"):
        seed_clinic(db, demo_clinic, [Document(title="x", content="y " * 10)], embedder=Short())
    with db.session() as s:
        assert list_clinic_ids(s) == []
