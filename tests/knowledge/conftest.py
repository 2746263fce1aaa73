"""Fixtures for the knowledge tests: the demo clinic, SQLite and (when reachable) Postgres."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.db import Database
from knowledge.clinic_file import ClinicFile, parse_clinic_file
from knowledge.retrieval import clear_cache

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "testdata" / "demo-clinic.json"
PG_URL = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def demo_data() -> dict[str, Any]:
    """The demo clinic file as plain data (edit freely)."""
    return json.loads(DEMO.read_text(encoding="utf-8"))


@pytest.fixture
def demo_clinic(demo_data: dict[str, Any]) -> ClinicFile:
    """The validated demo clinic."""
    return parse_clinic_file(demo_data)


@pytest.fixture(autouse=True)
def _fresh_index_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite database with every table."""
    db = Database(f"sqlite:///{tmp_path}/k.db")
    db.create_all()
    yield db
    db.dispose()


def _pg_schema(worker: str) -> str:
    """This test process's own schema (worker and pid: parallel runs never share one)."""
    return f"knowledge_test_{worker or 'main'}_{os.getpid()}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database]:
    """A Postgres database confined to its own schema (skipped when Postgres is unreachable)."""
    schema = _pg_schema(os.environ.get("PYTEST_XDIST_WORKER", ""))
    admin = Database(PG_URL, pool_size=1, max_overflow=0)
    try:
        with admin.engine.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
            conn.commit()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        admin.dispose()
        pytest.skip(f"Postgres not reachable at {PG_URL}: {exc.__class__.__name__}")
    admin.dispose()
    sep = "&" if "?" in PG_URL else "?"
    db = Database(f"{PG_URL}{sep}options=-csearch_path%3D{schema}", pool_size=2)
    db.create_all()
    yield db
    db.dispose()


def _wipe(db: Database) -> None:
    with db.session() as session:
        session.execute(text("DELETE FROM clinic_numbers"))
        session.execute(text("DELETE FROM knowledge_chunks"))
        session.execute(text("DELETE FROM services"))
        session.execute(text("DELETE FROM providers"))
        session.execute(text("DELETE FROM clinics"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test on SQLite and, when reachable, on Postgres (schema ``knowledge_test``)."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/k.db")
        database.create_all()
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("pg_database")
    _wipe(database)
    yield database
    _wipe(database)
