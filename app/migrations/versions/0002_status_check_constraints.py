"""status check constraints

Every status-like column (appointment, deposit, local EMR appointment, message status and
direction, opt-out source, staff alert kind, staff email status, knowledge chunk source kind)
accepts only its enum's values: a CHECK constraint named ``ck_<table>_<column>``, as the
models' ``Enum(..., create_constraint=True)`` types declare.

SQLite cannot add a constraint to a table, so batch mode rebuilds the table (copy, drop,
rename). With foreign keys enforced, dropping a parent table would delete or orphan its
children (``deposits`` of ``appointments``, ``staff_emails`` of ``staff_alerts``), so their
rows are set aside first and put back after; the rebuilt ``appointments`` gets its overlap
triggers again. Postgres simply gains the constraints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from booking.models import OVERLAP_DDL

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: (table, column, allowed values) as they stood at this revision (frozen here on purpose:
#: a later change to an enum needs its own migration).
CHECKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "appointments",
        "status",
        (
            "held",
            "awaiting_deposit",
            "booked",
            "cancelled",
            "completed",
            "no_show",
            "expired",
            "released",
        ),
    ),
    (
        "deposits",
        "status",
        ("creating", "open", "paid", "expired", "failed", "cancelled", "refunding", "refunded"),
    ),
    ("emr_local_appointments", "status", ("proposed", "booked", "cancelled")),
    ("knowledge_chunks", "source_kind", ("document", "faq")),
    ("messages", "direction", ("in", "out")),
    (
        "messages",
        "status",
        (
            "received",
            "processed",
            "invalid_sender",
            "queued",
            "sent",
            "delivered",
            "failed",
            "blocked",
        ),
    ),
    ("opt_outs", "source", ("keyword", "free_text", "carrier")),
    ("staff_alerts", "kind", ("alert", "notice")),
    ("staff_emails", "status", ("queued", "sent", "failed")),
)

#: Child tables whose rows a SQLite rebuild of the parent would delete or orphan.
CHILDREN = {"appointments": "deposits", "staff_alerts": "staff_emails"}
#: Table options a SQLite rebuild must keep (ids never reused, see KnowledgeChunk).
TABLE_KWARGS = {"knowledge_chunks": {"sqlite_autoincrement": True}}


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}"


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


@contextmanager
def _children_set_aside(tables: list[str]) -> Iterator[None]:
    """On SQLite, empty the child tables of ``tables`` while they are rebuilt, then refill
    them; elsewhere do nothing."""
    bind = op.get_bind()
    children = [CHILDREN[t] for t in tables if t in CHILDREN]
    if bind.dialect.name != "sqlite" or not children:
        yield
        return
    columns = {
        child: ", ".join(c["name"] for c in sa.inspect(bind).get_columns(child))
        for child in children
    }
    for child in children:
        op.execute(f"CREATE TEMP TABLE _keep_{child} AS SELECT * FROM {child}")
        op.execute(f"DELETE FROM {child}")
    yield
    for child in children:
        op.execute(
            f"INSERT INTO {child} ({columns[child]}) SELECT {columns[child]} FROM _keep_{child}"
        )
        op.execute(f"DROP TABLE _keep_{child}")


def _alter_each_table(change: Callable[[object, str, str, tuple[str, ...]], None]) -> None:
    """Apply ``change(batch_op, table, column, values)`` to every check, one batch per table,
    parents before their children."""
    tables = list(dict.fromkeys(table for table, _, _ in CHECKS))
    with _children_set_aside(tables):
        for table in tables:
            with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS.get(table, {})) as batch:
                for t, column, values in CHECKS:
                    if t == table:
                        change(batch, table, column, values)
    if op.get_bind().dialect.name == "sqlite":
        for statement in OVERLAP_DDL["sqlite"]:  # the rebuild dropped the appointments triggers
            op.execute(statement)


def _add(batch: object, table: str, column: str, values: tuple[str, ...]) -> None:
    batch.create_check_constraint(op.f(_name(table, column)), _condition(column, values))  # type: ignore[attr-defined]


def _drop(batch: object, table: str, column: str, values: tuple[str, ...]) -> None:
    batch.drop_constraint(op.f(_name(table, column)), type_="check")  # type: ignore[attr-defined]


def upgrade() -> None:
    _alter_each_table(_add)


def downgrade() -> None:
    _alter_each_table(_drop)
