"""the SMS carrier is the carrier

"provider" means a practitioner only (DESIGN.md §5); the SMS carrier columns are renamed:
``conversations.provider``, ``call_sessions.provider`` and ``messages.provider`` become
``carrier``, ``messages.provider_event_id`` and ``provider_message_id`` become
``carrier_event_id`` and ``carrier_message_id``, and the unique constraint and index on them
follow the naming convention (``uq_messages_carrier``, ``ix_messages_carrier_message_id``).

``ALTER TABLE ... RENAME COLUMN`` works on Postgres and on SQLite (3.25+) without copying a
table; SQLite cannot rename an index or a constraint, so the index is dropped and created
again and ``messages`` is rebuilt in batch mode for its unique constraint (no table
references ``messages``, so the rebuild loses nothing).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: (old, new) names of each renamed thing.
COLUMNS = {
    "conversations": [("provider", "carrier")],
    "call_sessions": [("provider", "carrier")],
    "messages": [
        ("provider", "carrier"),
        ("provider_event_id", "carrier_event_id"),
        ("provider_message_id", "carrier_message_id"),
    ],
}
UNIQUE = ("uq_messages_provider", "uq_messages_carrier")
INDEX = ("ix_messages_provider_message_id", "ix_messages_carrier_message_id")


def _rename(forward: bool) -> None:
    """Rename every column, the unique constraint and the index; ``forward`` False undoes."""
    pick = (lambda pair: pair) if forward else (lambda pair: pair[::-1])
    for table, pairs in COLUMNS.items():
        for old, new in map(pick, pairs):
            op.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")
    (old_uq, new_uq), (old_ix, new_ix) = pick(UNIQUE), pick(INDEX)
    carrier, event_id, message_id = (new for _, new in map(pick, COLUMNS["messages"]))
    if op.get_bind().dialect.name != "sqlite":
        op.execute(f"ALTER TABLE messages RENAME CONSTRAINT {old_uq} TO {new_uq}")
        op.execute(f"ALTER INDEX {old_ix} RENAME TO {new_ix}")
        return
    op.drop_index(old_ix, table_name="messages")
    op.create_index(new_ix, "messages", [message_id])
    with op.batch_alter_table("messages", recreate="always") as batch:
        batch.drop_constraint(old_uq, type_="unique")
        batch.create_unique_constraint(new_uq, [carrier, event_id])


def upgrade() -> None:
    _rename(forward=True)


def downgrade() -> None:
    _rename(forward=False)
