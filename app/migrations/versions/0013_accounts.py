"""staff accounts

Staff and owner web accounts (issue 14 item 2): ``staff_accounts`` holds one row per person
and clinic (email unique within the clinic), the role (``staff`` | ``owner``), the argon2id
password hash, and whether the account is disabled (``frontdesk user remove`` keeps the row).
A new table only: nothing existing changes.

Revision ID: 0013_accounts
Revises: 0012_funnel
Create Date: 2026-12-01 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0013_accounts"
down_revision = "0012_funnel"
branch_labels = None
depends_on = None

#: The roles at this revision (frozen here: a later change needs its own migration).
ROLES = ("staff", "owner")


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")",
            name=op.f("ck_staff_accounts_role"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_staff_accounts_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("clinic_id", "email", name=op.f("uq_staff_accounts_clinic_id")),
    )
    op.create_index(
        op.f("ix_staff_accounts_clinic_id"), "staff_accounts", ["clinic_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_accounts_clinic_id"), table_name="staff_accounts")
    op.drop_table("staff_accounts")
