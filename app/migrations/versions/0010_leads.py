"""web leads

Website leads (issue 14 item 6): ``leads`` keeps each request from a clinic's website form
with the consent text the patient agreed to, its instant, source IP and user agent, and
what became of it (``received`` -> ``texted`` | ``duplicate`` | ``opted_out`` | ``staff``);
``lead_form_tokens`` holds each clinic's public token for that form (a rotated one keeps its
row with ``revoked_at``). New tables only: nothing existing changes.

Revision ID: 0010_leads
Revises: 0009
Create Date: 2026-11-30 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0010_leads"
down_revision = "0009"
branch_labels = None
depends_on = None

#: The lead statuses at this revision (frozen here: a later change needs its own migration).
LEAD_STATUSES = ("received", "texted", "duplicate", "opted_out", "staff")


def upgrade() -> None:
    op.create_table(
        "lead_form_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
            name=op.f("fk_lead_form_tokens_clinic_id_clinics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_form_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_lead_form_tokens_token")),
    )
    op.create_index(
        op.f("ix_lead_form_tokens_clinic_id"), "lead_form_tokens", ["clinic_id"], unique=False
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("service_text", sa.String(length=200), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=True),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consent_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("auth", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in LEAD_STATUSES) + ")",
            name=op.f("ck_leads_status"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_leads_clinic_id_clinics"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_leads_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    op.create_index(
        "ix_leads_clinic_phone_created", "leads", ["clinic_id", "phone", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_leads_clinic_phone_created", table_name="leads")
    op.drop_table("leads")
    op.drop_index(op.f("ix_lead_form_tokens_clinic_id"), table_name="lead_form_tokens")
    op.drop_table("lead_form_tokens")
