"""waitlist

The waitlist (issue 13 item 2): ``waitlist_entries`` (who waits for which service in which
window of days and times), ``waitlist_openings`` (slots that freed up) and
``waitlist_offers`` (one exclusive offer of an opening to one entry at a time). Partial
unique indexes: one pending offer per opening and per entry, one offer per opening and entry,
one active entry per patient and service. New tables only: nothing existing changes.

Revision ID: 0015_waitlist
Revises: 0014_reminders
Create Date: 2026-12-01 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0015_waitlist"
down_revision = "0014_reminders"
branch_labels = None
depends_on = None

#: The statuses at this revision (frozen here: a later change needs its own migration).
ENTRY_STATUSES = ("waiting", "offered", "booked", "removed")
OPENING_STATUSES = ("open", "claimed", "unfilled", "gone")
OFFER_STATUSES = ("pending", "claimed", "lapsed", "declined", "late")


def _check(table: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in values) + ")", name=op.f(f"ck_{table}_status")
    )


def _pending(column: str) -> sa.TextClause:
    return sa.text(f"{column} = 'pending'")


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("patient_phone", sa.String(length=20), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("after", sa.String(length=5), nullable=True),
        sa.Column("before", sa.String(length=5), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=True),
        sa.Column("date_to", sa.Date(), nullable=True),
        sa.Column("window_text", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        _check("waitlist_entries", ENTRY_STATUSES),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_waitlist_entries_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(
        "ix_waitlist_entries_clinic_service",
        "waitlist_entries",
        ["clinic_id", "service_id", "status"],
    )
    op.create_index(
        op.f("ix_waitlist_entries_patient_phone"), "waitlist_entries", ["patient_phone"]
    )
    active = sa.text("status IN ('waiting', 'offered')")
    op.create_index(
        "uq_waitlist_entries_active",
        "waitlist_entries",
        ["clinic_id", "patient_phone", "service_id"],
        unique=True,
        postgresql_where=active,
        sqlite_where=active,
    )
    op.create_table(
        "waitlist_openings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("start_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slot_token", sa.Text(), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("retry_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        _check("waitlist_openings", OPENING_STATUSES),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_openings")),
    )
    op.create_index(
        "ix_waitlist_openings_clinic_status", "waitlist_openings", ["clinic_id", "status"]
    )
    op.create_table(
        "waitlist_offers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("opening_id", sa.Integer(), nullable=False),
        sa.Column("patient_phone", sa.String(length=20), nullable=False),
        sa.Column("sent_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _check("waitlist_offers", OFFER_STATUSES),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_entry_id_waitlist_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["waitlist_openings.id"],
            name=op.f("fk_waitlist_offers_opening_id_waitlist_openings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
    )
    op.create_index(
        "uq_waitlist_offers_opening_entry",
        "waitlist_offers",
        ["opening_id", "entry_id"],
        unique=True,
    )
    for column in ("opening_id", "entry_id"):
        op.create_index(
            f"uq_waitlist_offers_pending_{column.removesuffix('_id')}",
            "waitlist_offers",
            [column],
            unique=True,
            postgresql_where=_pending("status"),
            sqlite_where=_pending("status"),
        )
    op.create_index(
        "ix_waitlist_offers_status_expires", "waitlist_offers", ["status", "expires_at"]
    )
    op.create_index(
        op.f("ix_waitlist_offers_patient_phone"), "waitlist_offers", ["patient_phone"]
    )


def downgrade() -> None:
    op.drop_table("waitlist_offers")
    op.drop_table("waitlist_openings")
    op.drop_table("waitlist_entries")
