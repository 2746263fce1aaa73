"""Settings fail loudly; the first migration builds exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.db import Base, Database
from app.migrate import upgrade
from app.migrations.registry import import_all_models
from app.settings import SettingsError, load_settings
from tests.conftest import PG_URL, schema_url


def test_defaults_are_the_embedded_default() -> None:
    settings = load_settings({})
    assert settings.is_sqlite and settings.redis_url is None and settings.openai_api_key is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SQUARE_ENVIRONMENT": "prod"}, "SQUARE_ENVIRONMENT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"PUBLIC_BASE_URL": "example.com"}, "PUBLIC_BASE_URL"),
        ({"WEBHOOK_TOLERANCE_SECONDS": "soon"}, "WEBHOOK_TOLERANCE_SECONDS"),
    ],
)
def test_an_invalid_variable_stops_start_up_naming_it(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


def test_postgres_urls_get_the_psycopg3_driver() -> None:
    url = load_settings({"DATABASE_URL": "postgres://u@h/db"}).effective_database_url
    assert url == "postgresql+psycopg://u@h/db"


def _diff(url: str) -> list[object]:
    import_all_models()
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.dispose()


def test_migration_matches_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url)
    assert _diff(url) == []
    with Database(url).engine.connect() as conn:
        triggers = conn.execute(text("select name from sqlite_master where type='trigger'")).all()
    assert {t[0] for t in triggers} == {
        "appointments_no_overlap_insert",
        "appointments_no_overlap_update",
    }


@pytest.mark.postgres
def test_migration_matches_models_on_postgres() -> None:
    admin = Database(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.engine.begin() as conn:
            conn.execute(text('DROP SCHEMA IF EXISTS "migration_test" CASCADE'))
            conn.execute(text('CREATE SCHEMA "migration_test"'))
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Postgres not reachable: {type(exc).__name__}")
    try:
        url = schema_url("migration_test")
        upgrade(url)
        assert _diff(url) == []
        with Database(url).engine.connect() as conn:
            names = (
                conn.execute(
                    text(
                        "select conname from pg_constraint c join pg_namespace n on n.oid=c.connamespace "
                        "where n.nspname='migration_test' and contype='x'"
                    )
                )
                .scalars()
                .all()
            )
        assert names == ["appointments_no_overlap"]
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text('DROP SCHEMA IF EXISTS "migration_test" CASCADE'))
        admin.dispose()
