"""Alembic environment: our shared metadata, online migrations only."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from app.db import Base, make_engine
from app.migrations.registry import import_all_models

import_all_models()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on a live connection (SQLite batch mode for ALTERs)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
