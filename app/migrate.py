"""Alembic, configured in code: ``frontdesk db upgrade`` and the migration tests use it.

Migrations live in ``app/migrations/versions`` (https://alembic.sqlalchemy.org/).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on the database at ``url``."""
    command.upgrade(alembic_config(url), revision)
