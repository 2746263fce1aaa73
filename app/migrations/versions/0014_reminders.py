"""reminders

Confirmations, reminders, aftercare and review requests (issue 13 items 1 and 5):
``scheduled_texts`` keeps each text due around a visit (unique per appointment, kind, slot
start and offset, so a reminder is never sent twice for one slot), and
``appointments.confirmed_at`` records when the patient confirmed they are coming.

Revision ID: 0014_reminders
Revises: 0013_accounts
Create Date: 2026-12-01 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0014_reminders"
down_revision = "0013_accounts"
branch_labels = None
depends_on = None

#: The values at this revision (frozen here: a later change needs its own migration).
KINDS = ("reminder", "aftercare", "review")
STATUSES = ("pending", "sent", "cancelled", "skipped")


def _check(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(
            sa.Column("confirmed_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "scheduled_texts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slot_start_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("due_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_check("kind", KINDS), name=op.f("ck_scheduled_texts_kind")),
        sa.CheckConstraint(_check("status", STATUSES), name=op.f("ck_scheduled_texts_status")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_scheduled_texts_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_scheduled_texts_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_texts")),
        sa.UniqueConstraint(
            "appointment_id",
            "kind",
            "slot_start_at",
            "offset_minutes",
            name=op.f("uq_scheduled_texts_appointment_id"),
        ),
    )
    op.create_index(
        op.f("ix_scheduled_texts_appointment_id"),
        "scheduled_texts",
        ["appointment_id"],
        unique=False,
    )
    op.create_index(
        "ix_scheduled_texts_status_due", "scheduled_texts", ["status", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_texts_status_due", table_name="scheduled_texts")
    op.drop_index(op.f("ix_scheduled_texts_appointment_id"), table_name="scheduled_texts")
    op.drop_table("scheduled_texts")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("confirmed_at")
