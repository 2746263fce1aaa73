"""Fixtures shared by the app-level tests: databases on both backends and a wired context.

Postgres and Redis are the real services at ``DATABASE_TEST_URL`` / ``REDIS_TEST_URL``
(defaults: 127.0.0.1:5432/test and 127.0.0.1:6379/0); tests needing them are skipped when
they are unreachable. Each xdist worker gets its own Postgres schema, so parallel runs and
other packages' tests never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text

from app.clock import FrozenClock
from app.context import AppContext
from app.db import Base, Database
from app.eval.signing import TEST_TELNYX_PUBLIC_KEY
from app.migrations.registry import import_all_models
from app.settings import load_settings
from app.wiring import build_context
from knowledge.clinic_file import ClinicFile, load_clinic_file
from knowledge.seed import seed_clinic

import_all_models()  # every table, for create_all on both backends

REPO = Path(__file__).resolve().parent.parent
DEMO_CLINIC = REPO / "testdata" / "demo-clinic.json"
PG_URL = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
#: Monday 2026-11-23 10:00 in Austin.
MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))


def schema_url(schema: str) -> str:
    """``DATABASE_TEST_URL`` whose connections use ``schema`` as their search path."""
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_app_db() -> Iterator[Database]:
    """A Postgres database with every table, in this worker's own schema (session-wide)."""
    # Per process: parallel pytest runs on one machine never truncate each other's rows.
    schema = f"app_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = Database(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means no Postgres here
        admin.dispose()
        pytest.skip(f"Postgres not reachable: {type(exc).__name__}")
    db = Database(schema_url(schema))
    db.create_all()
    yield db
    db.dispose()
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _truncate(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database with every table, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/app.db"
        db = Database(url)
        db.create_all()
        db.dispose()
        return url
    pg: Database = request.getfixturevalue("pg_app_db")
    _truncate(pg)
    return pg.url


@pytest.fixture
def clock() -> FrozenClock:
    """Frozen at Monday 2026-11-23 10:00 America/Chicago."""
    return FrozenClock(MONDAY_10AM)


@pytest.fixture
def demo_clinic() -> ClinicFile:
    """The validated demo clinic file."""
    return load_clinic_file(DEMO_CLINIC)


@pytest.fixture
def make_ctx(
    tmp_path: Path, clock: FrozenClock, demo_clinic: ClinicFile
) -> Iterator[Callable[..., AppContext]]:
    """Factory: an AppContext on ``database_url`` with the demo clinic seeded.

    Keyword overrides go to the settings (e.g. ``twilio_auth_token="x"``) or, for
    ``chat_model``/``deposits``/``jobs``, to :func:`build_context`.
    """
    made: list[AppContext] = []

    def factory(database_url: str, **overrides: Any) -> AppContext:
        wiring = {k: overrides.pop(k) for k in ("chat_model", "deposits", "jobs") if k in overrides}
        fields: dict[str, Any] = {
            "database_url": database_url,
            "instance_path": tmp_path,
            "telnyx_public_key": TEST_TELNYX_PUBLIC_KEY,
            "sms_carrier": "recording",
            "public_base_url": "https://frontdesk.test",
            # Tests pay deposits through the local checkout beside the test Telnyx key.
            "frontdesk_demo_checkout": True,
        }
        settings = load_settings({}, **{**fields, **overrides})
        ctx = build_context(settings, clock=clock, raise_job_errors=True, **wiring)
        seed_clinic(ctx.db, demo_clinic)
        made.append(ctx)
        return ctx

    yield factory
    for ctx in made:
        ctx.db.dispose()
