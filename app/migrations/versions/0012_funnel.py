"""funnel events

The funnel (issue 13 item 6): ``funnel_events`` keeps each step a conversation, appointment,
deposit, missed call or lead reached, once: ``UNIQUE(step, subject)``. ``amount_cents`` holds
a paid deposit's cents. Appointments already accept ``no_show`` (0002); the local calendar's
appointments now accept ``noshow`` (FHIR's word), its CHECK constraint replaced (SQLite
rebuilds the table in batch mode; no table refers to it).

Revision ID: 0012_funnel
Revises: 0011_ops
Create Date: 2026-12-01 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0012_funnel"
down_revision = "0011_ops"
branch_labels = None
depends_on = None


#: The local calendar's appointment statuses before and after this revision (frozen here).
LOCAL_BEFORE = ("proposed", "booked", "cancelled")
LOCAL_AFTER = (*LOCAL_BEFORE, "noshow")


def _local_statuses(values: tuple[str, ...]) -> None:
    """Replace the CHECK constraint of ``emr_local_appointments.status`` with ``values``."""
    name = op.f("ck_emr_local_appointments_status")
    with op.batch_alter_table("emr_local_appointments") as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(
            name, "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"
        )


def upgrade() -> None:
    _local_statuses(LOCAL_AFTER)
    op.create_table(
        "funnel_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funnel_events")),
        sa.UniqueConstraint("step", "subject", name=op.f("uq_funnel_events_step")),
    )
    op.create_index(
        op.f("ix_funnel_events_clinic_id"), "funnel_events", ["clinic_id"], unique=False
    )
    op.create_index(
        op.f("ix_funnel_events_occurred_at"), "funnel_events", ["occurred_at"], unique=False
    )


def downgrade() -> None:
    _local_statuses(LOCAL_BEFORE)
    op.drop_index(op.f("ix_funnel_events_occurred_at"), table_name="funnel_events")
    op.drop_index(op.f("ix_funnel_events_clinic_id"), table_name="funnel_events")
    op.drop_table("funnel_events")
