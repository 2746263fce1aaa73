"""recorded message status

A text that only the recording gateway took (no carrier configured, or
``SMS_CARRIER=recording``) reached nobody's phone, so it is stored as ``recorded``, never
``sent``: ``ck_messages_status`` accepts the new word. Rows written before this revision keep
``sent`` (which of them were only recorded cannot be told from the row); downgrading turns
``recorded`` back into ``sent``, the only word the old constraint has for them.

SQLite cannot alter a constraint, so batch mode rebuilds ``messages`` (no table references
it, so the rebuild loses nothing); Postgres drops and re-creates the constraint.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: ``messages.status`` values before and after this revision (frozen here on purpose: a later
#: change to the enum needs its own migration).
BEFORE = (
    "received",
    "processed",
    "invalid_sender",
    "queued",
    "sent",
    "delivered",
    "failed",
    "blocked",
)
AFTER = (*BEFORE, "recorded")
NAME = "ck_messages_status"


def _condition(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _replace(values: tuple[str, ...]) -> None:
    """Swap ``ck_messages_status`` for one allowing ``values``."""
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), _condition(values))


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    op.execute("UPDATE messages SET status = 'sent' WHERE status = 'recorded'")
    _replace(BEFORE)
