"""Fixtures for the EMR adapters: a fresh database on SQLite (always) and Postgres (when up).

The Postgres database is shared with other packages' tests, so ours live in a dedicated schema
(``emr_test`` plus the xdist worker id) selected through ``search_path``; it is dropped and
re-created once per session and the two ``emr_local_*`` tables are truncated before each test.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for `import emr`

from app.clock import FrozenClock  # noqa: E402
from app.db import Database  # noqa: E402
from emr.local import LocalCalendar, LocalEMR  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHICAGO = dt.timezone(dt.timedelta(hours=-6))  # CST, for readable fixed instants in tests


def _schema() -> str:
    """This test process's own schema (worker and pid: parallel runs never share one)."""
    return f"emr_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def postgres_url() -> tuple[str, str]:
    """(base URL, URL whose connections use our own schema) and the schema name."""
    base = make_url(os.environ.get("DATABASE_TEST_URL", PG_DEFAULT))
    scoped = base.update_query_dict({"options": f"-csearch_path={_schema()}"})
    return base.render_as_string(hide_password=False), scoped.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _postgres_db() -> Iterator[Database]:
    base_url, scoped_url = postgres_url()
    schema = _schema()
    admin = Database(base_url, connect_args={"connect_timeout": 3})
    try:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any failure means "no Postgres here"
        admin.dispose()
        pytest.skip(f"Postgres not reachable at {base_url}: {exc.__class__.__name__}")
    db = Database(scoped_url)
    db.create_all()
    yield db
    db.dispose()
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with every table and no EMR rows, on each backend."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/t.db")
        database.create_all()
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("_postgres_db")
    with database.engine.begin() as conn:
        conn.execute(
            text("TRUNCATE emr_local_appointments, emr_local_patients RESTART IDENTITY CASCADE")
        )
    yield database


@pytest.fixture
def clock() -> FrozenClock:
    """Monday 2026-03-02 08:00 in Chicago (CST, 14:00 UTC)."""
    return FrozenClock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=CHICAGO))


WEEKDAY_HOURS = {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
PROVIDERS = {
    "dr-lee": WEEKDAY_HOURS,
    "nurse-kim": {"tue": [("10:00", "14:00"), ("15:00", "19:00")], "sun": [("09:00", "18:00")]},
    "night": {"sat": [("00:00", "04:00")], "sun": [("00:00", "04:00")]},
}


def make_calendar(**overrides: Any) -> LocalCalendar:
    """The test clinic's calendar (America/Chicago), with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "clinic_id": "glow-austin",
        "timezone": "America/Chicago",
        "provider_hours": PROVIDERS,
    }
    fields.update(overrides)
    return LocalCalendar(**fields)


@pytest.fixture
def make_emr(db: Database, clock: FrozenClock) -> Callable[..., LocalEMR]:
    """``make_emr(**calendar_overrides)`` -> a :class:`LocalEMR` on the test database."""

    def make(**overrides: Any) -> LocalEMR:
        return LocalEMR(db, make_calendar(**overrides), clock)

    return make


@pytest.fixture
def emr(make_emr: Callable[..., LocalEMR]) -> LocalEMR:
    """The default test clinic's local EMR."""
    return make_emr()
