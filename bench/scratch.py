"""What the Postgres benchmarks share: a scratch schema of their own and a percentile."""

from __future__ import annotations

import os

from sqlalchemy import make_url, text

from app.db import Database

#: The Postgres the benchmarks fill (their own schema in it, dropped afterwards).
PG = os.environ.get("DATABASE_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` (seconds) in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def fresh_schema(schema: str) -> tuple[Database, str]:
    """Drop and create ``schema`` in :data:`PG`.

    Returns:
        (an admin connection for :func:`drop_schema`, a database URL whose connections use
        ``schema`` as their search path).
    """
    admin = Database(PG)
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG).update_query_dict({"options": f"-csearch_path={schema}"})
    return admin, url.render_as_string(hide_password=False)


def drop_schema(admin: Database, schema: str) -> None:
    """Drop ``schema`` and close ``admin``."""
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()
