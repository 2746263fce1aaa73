"""appointment late change

``appointments.late_change_at``: when the patient changed the booking inside the clinic's
cancellation notice window (a reschedule less than ``cancellation_notice_hours`` before the
original start), carried to every appointment the booking is moved to afterwards. A paid
deposit of such an appointment is kept when it is cancelled, however far out the new time is
(:func:`booking.changes.cancels_late`). Existing rows get NULL (no late change recorded).

``ADD COLUMN`` of a nullable column (and ``DROP COLUMN``, SQLite 3.35+) needs no table
rebuild on SQLite or Postgres.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "appointments", sa.Column("late_change_at", UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the overlap triggers.
    op.drop_column("appointments", "late_change_at")
