"""index for the metrics scrape

``/metrics`` counts the reminders and waitlist offers texted (``messages.kind``) at every
scrape; ``ix_messages_kind_status`` lets Postgres count them from the index alone instead of
reading every message (``bench/metrics.py``).

Revision ID: 0011_ops
Revises: 0010_leads
Create Date: 2026-12-01 03:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0011_ops"
down_revision = "0010_leads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_kind_status", "messages", ["kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_messages_kind_status", table_name="messages")
