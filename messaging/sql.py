"""A small SQL helper for messaging's concurrency-safe inserts (Postgres and SQLite)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db import Base


def insert_returning(
    session: Session,
    model: type[Base],
    values: dict[str, Any],
    conflict: list[str],
    returning: InstrumentedAttribute[Any],
) -> Any | None:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING RETURNING returning``.

    Unlike a rowcount check (psycopg reports -1 for some statements), ``RETURNING`` says
    reliably whether *this* statement inserted the row, in one round trip.

    Returns:
        The ``returning`` column of the new row, or None when the row already existed.

    Sources: https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT and
    https://www.sqlite.org/lang_returning.html (SQLite >= 3.35).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = (
            pg_insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    return session.execute(stmt.returning(returning)).scalar()
