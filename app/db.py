"""Database engine, session factory and the shared declarative ``Base``.

One :class:`Database` per process, made by ``create_app()`` or the worker's start-up (never at
import time). A leaf module: it imports nothing of ours, so every package's ``models`` can hang
its tables on :class:`Base` without an import circle. Postgres goes through psycopg 3; the embedded default is a SQLite file whose
transactions start with ``BEGIN IMMEDIATE`` so writers are serialised.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The one declarative base every package's tables hang on (DESIGN.md §1)."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware instant stored in UTC.

    Accepts only aware datetimes (a naive one raises ``ValueError``); returns aware UTC
    datetimes on every backend, including SQLite, which keeps no offset of its own.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware instant is required")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``.

    SQLite: foreign keys on, WAL journal, a 30 s busy timeout, and ``BEGIN IMMEDIATE`` for
    every transaction so concurrent writers queue instead of failing mid-transaction
    (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl).
    Postgres: a pre-pinged pool, and the server's error details (which quote row values)
    dropped (:func:`_drop_row_values`). Both hide bound parameters from error messages and
    logs: they are phone numbers and message texts (patient data).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, hide_parameters=True, **kwargs)
    event.listen(engine, "handle_error", _drop_row_values)
    return engine


#: Postgres error details that quote a row's values ("Failing row contains (...)", "Key
#: (phone)=(+1512...) already exists"): https://www.postgresql.org/docs/current/protocol-error-fields.html
_DETAIL = re.compile(r"\n?DETAIL:.*", re.DOTALL)


def _drop_row_values(context: Any) -> None:
    """Strip the ``DETAIL`` of a Postgres error before anything prints it: ``hide_parameters``
    hides SQLAlchemy's copy of the values, but the server's own message repeats them (a
    patient's number and words). The driver's structured fields (``diag``: constraint name,
    SQLSTATE) stay for code that needs them."""
    for exc in (context.original_exception, context.sqlalchemy_exception):
        if exc is not None and exc.args and isinstance(exc.args[0], str):
            exc.args = (_DETAIL.sub("", exc.args[0]), *exc.args[1:])


class Database:
    """An engine plus its session factory.

    Use :meth:`session` as a unit of work: it commits on success and rolls back on error.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        """True when the engine talks to PostgreSQL."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session inside one transaction; commit on exit, roll back on exception."""
        with self.sessions() as session, session.begin():
            yield session

    def create_all(self) -> None:
        """Create the tables of every model imported so far (tests and the embedded default;
        production uses Alembic). :func:`app.migrations.registry.import_all_models` imports
        them all."""
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def utcnow() -> dt.datetime:
    """The current instant, aware, in UTC. Code that needs "now" takes a clock instead."""
    return dt.datetime.now(dt.UTC)


def insert_returning(
    session: Session,
    model: type[Base],
    values: dict[str, Any],
    conflict: list[str],
    returning: Any,
) -> Any | None:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING RETURNING returning`` (Postgres, SQLite).

    Safe under concurrency where a check-then-insert is not (two webhooks for one new
    patient). ``RETURNING`` says reliably whether *this* statement inserted the row (psycopg 3
    reports ``rowcount`` -1 for such inserts).

    Returns:
        The ``returning`` column of the new row, or None when the row already existed.

    Sources: https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT,
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


def upsert_returning(
    session: Session,
    model: type[Base],
    values: dict[str, Any],
    conflict: list[str],
    update: list[str],
    returning: Any,
) -> Any:
    """``INSERT ... ON CONFLICT (conflict) DO UPDATE SET <update> RETURNING returning``.

    One round trip that creates the row or refreshes ``update`` columns of the existing one
    (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT,
    https://www.sqlite.org/lang_upsert.html). Returns the ``returning`` column.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(model).values(**values)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=conflict, set_={c: stmt.excluded[c] for c in update}
    )
    return session.execute(stmt.returning(returning)).scalar_one()


def insert_or_ignore(
    session: Session, model: type[Base], values: dict[str, Any], conflict: list[str]
) -> bool:
    """:func:`insert_returning` that answers only whether a row was inserted."""
    key = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    return insert_returning(session, model, values, conflict, key) is not None


def enum_column(values: type[enum.StrEnum], name: str, length: int) -> Enum:
    """A ``VARCHAR(length)`` column type holding ``values``, with a CHECK constraint.

    Args:
        values: the enum; its *values* (today's strings) are stored, not its member names.
        name: the constraint's name; the shared naming convention makes it
            ``ck_<table>_<name>``.
        length: the column's length, kept as it was before the enum existed.

    Returns:
        The SQLAlchemy type; plain strings of a valid value are accepted, others raise.
    """
    return Enum(
        values,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )
