"""A scratch Postgres schema for a benchmark: made empty at the start, dropped at the end."""

from __future__ import annotations

from sqlalchemy import make_url, text

from app.db import Database


def create_scratch(pg_url: str, schema: str) -> str:
    """Create ``schema`` afresh on the Postgres at ``pg_url`` (dropping any left over).

    Returns:
        A database URL whose connections use ``schema`` as their search path.
    """
    admin = Database(pg_url)
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_scratch(pg_url: str, schema: str) -> None:
    """Drop ``schema`` and everything in it."""
    admin = Database(pg_url)
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()
