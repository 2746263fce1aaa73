"""The third test clinic (testdata/laser-clinic.json) loads, validates and seeds.

It is the estheticians-only laser and skin clinic in America/Denver that issue 12's
scenarios run on, so a schema change that breaks it must fail here, not in a scenario run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from app.db import Database
from knowledge.clinic_file import load_clinic_file
from knowledge.models import KnowledgeChunk, Provider, Service
from knowledge.seed import seed_clinic
from knowledge.store import clinic_for_number

LASER = Path(__file__).resolve().parents[2] / "testdata" / "laser-clinic.json"


def test_laser_clinic_file_validates_with_its_optional_fields() -> None:
    clinic = load_clinic_file(LASER)
    assert clinic.clinic.timezone == "America/Denver"
    assert {c.date for c in clinic.clinic.closures} == {
        dt.date(2026, 12, 24),
        dt.date(2026, 12, 25),
        dt.date(2027, 1, 1),
    }
    assert any(p.time_off for p in clinic.providers)
    assert all("MD" not in p.title for p in clinic.providers)
    assert 9 <= len(clinic.services) <= 12
    assert all(s.aliases and s.treats for s in clinic.services)


def test_laser_clinic_seeds_and_reseeds_idempotently(db: Database) -> None:
    clinic = load_clinic_file(LASER)
    report = seed_clinic(db, clinic)
    assert report.clinic_created
    assert report.services_added == sorted(s.id for s in clinic.services)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Provider)) == len(clinic.providers)
        assert s.scalar(select(func.count()).select_from(Service)) == len(clinic.services)
        assert (s.scalar(select(func.count()).select_from(KnowledgeChunk)) or 0) > len(clinic.faqs)
        assert clinic_for_number(s, "+17205550142") == "aspenlight-denver"
    assert not seed_clinic(db, clinic).changed
