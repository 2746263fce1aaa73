"""dialog state

A conversation's dialog state (issue 12): ``dialog_states`` holds one row per conversation
with the structured facts of where it stands (:class:`agent.dialog.ConversationState` as
versioned JSON: service, open offers, hold, the patient's time wish, the pending question and
confirmation, the facts of a cancel or move), written at the end of every agent turn. A
conversation with no row starts from an empty state, so existing conversations need no data
migration; they pick up from their next turn on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialog_states",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_dialog_states_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_dialog_states")),
    )


def downgrade() -> None:
    op.drop_table("dialog_states")
