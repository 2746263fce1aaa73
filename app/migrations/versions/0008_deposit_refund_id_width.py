"""deposit refund id width

``deposits.refund_id`` was ``VARCHAR(64)``, but a Square refund id is 73 characters
(``{payment_id}_{suffix}``, see ``refund.updated`` in the Square API reference and
``tests/payments/test_square_events.py``), so Postgres refused to store every real refund.
It becomes ``VARCHAR(255)``. SQLite does not enforce a ``VARCHAR`` length, but its declared
type follows the model too (a batch rebuild of ``deposits``, which has no triggers).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "deposits", "refund_id", type_=sa.String(255), existing_type=sa.String(64)
        )
    else:
        with op.batch_alter_table("deposits") as batch:
            batch.alter_column("refund_id", type_=sa.String(255), existing_type=sa.String(64))


def downgrade() -> None:
    # Ids longer than the old width are cut rather than refused, so the downgrade runs.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "deposits",
            "refund_id",
            type_=sa.String(64),
            existing_type=sa.String(255),
            postgresql_using="left(refund_id, 64)",
        )
    else:
        with op.batch_alter_table("deposits") as batch:
            batch.alter_column("refund_id", type_=sa.String(64), existing_type=sa.String(255))
