"""Status columns are enums: the migrations give them the same CHECK constraints as the models,
keep existing rows through SQLite's table rebuilds, and the database refuses unknown words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, Enum, inspect, text
from sqlalchemy.exc import IntegrityError, StatementError

from app.db import Base, Database
from app.migrate import alembic_config, upgrade
from app.migrations.registry import import_all_models
from booking.models import AppointmentStatus, DepositStatus
from messaging.models import Direction, Message, MessageStatus
from tests.conftest import PG_URL, schema_url

NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)


def _model_checks() -> dict[tuple[str, str], set[str]]:
    """(table, constraint name) -> allowed values, from every enum column of the models."""
    import_all_models()
    checks: dict[tuple[str, str], set[str]] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, Enum):
                checks[(table.name, f"ck_{table.name}_{column.type.name}")] = set(column.type.enums)
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and not constraint.name:
                pytest.fail(f"unnamed check constraint on {table.name}")
    return checks


def _database_checks(url: str) -> dict[tuple[str, str], set[str]]:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            inspector = inspect(conn)
            return {
                (table, check["name"]): set(re.findall(r"'([^']*)'", check["sqltext"]))
                for table in inspector.get_table_names()
                for check in inspector.get_check_constraints(table)
            }
    finally:
        db.dispose()


def test_every_status_enum_keeps_todays_words() -> None:
    assert {s.value for s in AppointmentStatus} >= {"held", "awaiting_deposit", "booked"}
    assert AppointmentStatus.BOOKED == "booked" and f"{DepositStatus.PAID}" == "paid"
    assert {d.value for d in Direction} == {"in", "out"}
    expected = {("appointments", "ck_appointments_status"), ("messages", "ck_messages_direction")}
    assert expected <= set(_model_checks())


def test_migrations_create_the_models_check_constraints_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url)
    assert _database_checks(url) == _model_checks()


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    admin = Database(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.engine.begin() as conn:
            conn.execute(text('DROP SCHEMA IF EXISTS "status_migration_test" CASCADE'))
            conn.execute(text('CREATE SCHEMA "status_migration_test"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"Postgres not reachable: {type(exc).__name__}")
    try:
        yield schema_url("status_migration_test")
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text('DROP SCHEMA IF EXISTS "status_migration_test" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_migrations_create_the_models_check_constraints_on_postgres(pg_schema_url: str) -> None:
    upgrade(pg_schema_url)
    assert _database_checks(pg_schema_url) == _model_checks()


_ROWS = [
    "INSERT INTO clinics (id, name, timezone, profile, updated_at) "
    "VALUES ('c1', 'Glow', 'America/Chicago', '{}', '2026-11-23 16:00:00')",
    "INSERT INTO conversations (id, clinic_id, patient_phone, clinic_phone, provider, ai_paused, "
    "created_at) VALUES (1, 'c1', '+15125550101', '+15125550100', 'recording', 0, "
    "'2026-11-23 16:00:00')",
    "INSERT INTO appointments (id, clinic_id, conversation_id, patient_phone, service_id, "
    "provider_id, service_name, provider_name, timezone, start_at, end_at, status, "
    "deposit_cents, created_at, updated_at) VALUES (1, 'c1', 1, '+15125550101', 'botox', "
    "'dr-lee', 'Botox', 'Dr. Lee', 'America/Chicago', '2026-11-26 22:00:00', "
    "'2026-11-26 22:30:00', 'awaiting_deposit', 5000, '2026-11-23 16:00:00', "
    "'2026-11-23 16:00:00')",
    "INSERT INTO deposits (id, appointment_id, clinic_id, amount_cents, currency, provider, "
    "status, idempotency_key, created_at) VALUES (1, 1, 'c1', 5000, 'USD', 'local', 'open', "
    "'dep-1', '2026-11-23 16:00:00')",
    "INSERT INTO staff_alerts (id, clinic_id, conversation_id, kind, reason, summary, "
    "created_at) VALUES (1, 'c1', 1, 'alert', 'medical', 'Question', '2026-11-23 16:00:00')",
    "INSERT INTO staff_emails (id, clinic_id, alert_id, to_address, subject, body, status, "
    "attempts, created_at) VALUES (1, 'c1', 1, 'owner@example.com', 's', 'b', 'queued', 0, "
    "'2026-11-23 16:00:00')",
]


def test_sqlite_rebuild_keeps_rows_children_and_overlap_triggers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url, "0001")
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            for statement in _ROWS:
                conn.execute(text(statement))
        upgrade(url)
        with db.engine.connect() as conn:
            assert conn.execute(text("select appointment_id from deposits")).scalar() == 1
            assert conn.execute(text("select alert_id from staff_emails")).scalar() == 1
            triggers = conn.execute(text("select name from sqlite_master where type='trigger'"))
            assert {t[0] for t in triggers} == {
                "appointments_no_overlap_insert",
                "appointments_no_overlap_update",
            }
        with pytest.raises(IntegrityError, match="appointments_no_overlap"), db.session() as s:
            s.execute(
                text(
                    "INSERT INTO appointments (clinic_id, patient_phone, service_id, provider_id, "
                    "service_name, provider_name, timezone, start_at, end_at, status, "
                    "deposit_cents, created_at, updated_at) SELECT clinic_id, patient_phone, "
                    "service_id, provider_id, service_name, provider_name, timezone, start_at, "
                    "end_at, 'held', 0, created_at, updated_at FROM appointments"
                )
            )
        with pytest.raises(IntegrityError, match="ck_deposits_status"), db.session() as s:
            s.execute(text("UPDATE deposits SET status = 'lost'"))
    finally:
        db.dispose()


def test_the_database_refuses_an_unknown_status(database_url: str) -> None:
    db = Database(database_url)
    try:
        with pytest.raises(IntegrityError, match="ck_messages_status"), db.session() as s:
            s.execute(
                text(
                    "INSERT INTO messages (clinic_id, direction, kind, carrier, from_number, "
                    "to_number, body, media, segments, status, attempts, created_at) VALUES "
                    "('c1', 'out', 'reply', 'recording', '+15125550100', '+15125550101', 'hi', "
                    "'[]', 1, 'mislaid', 0, :now)"
                ),
                {"now": NOW},
            )
    finally:
        db.dispose()


def test_the_orm_refuses_an_unknown_status_before_the_database() -> None:
    db = Database("sqlite://")
    db.create_all()
    try:
        with pytest.raises(StatementError, match="mislaid"), db.session() as s:
            s.add(
                Message(
                    clinic_id="c1",
                    direction="out",
                    carrier="recording",
                    from_number="+15125550100",
                    to_number="+15125550101",
                    status="mislaid",
                    created_at=NOW,
                )
            )
        with db.session() as s:
            s.add(
                Message(
                    clinic_id="c1",
                    direction=Direction.OUT,
                    carrier="recording",
                    from_number="+15125550100",
                    to_number="+15125550101",
                    status="queued",
                    created_at=NOW,
                )
            )
        with db.session() as s:
            row = s.query(Message).one()
            assert row.status is MessageStatus.QUEUED and row.status == "queued"
    finally:
        db.dispose()


_OUTBOUND = (
    "INSERT INTO messages (clinic_id, direction, kind, carrier, from_number, to_number, body, "
    "media, segments, status, attempts, created_at) VALUES ('c1', 'out', 'reply', 'telnyx', "
    "'+15125550100', '+15125550101', 'hi', '[]', 1, :status, 1, :now)"
)


def _recorded_status_round_trip(url: str) -> None:
    """0006 lets ``messages.status`` be ``recorded``, keeps the rows, and undoes cleanly."""
    upgrade(url, "0005")
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            conn.execute(text(_OUTBOUND), {"status": "sent", "now": NOW})
        with pytest.raises(IntegrityError, match="ck_messages_status"), db.session() as s:
            s.execute(text(_OUTBOUND), {"status": "recorded", "now": NOW})
        upgrade(url)
        with db.engine.begin() as conn:
            conn.execute(text(_OUTBOUND), {"status": "recorded", "now": NOW})
            statuses = conn.execute(text("SELECT status FROM messages ORDER BY id")).scalars()
            assert list(statuses) == ["sent", "recorded"]
        command.downgrade(alembic_config(url), "0005")
        with db.engine.connect() as conn:
            statuses = conn.execute(text("SELECT status FROM messages ORDER BY id")).scalars()
            assert list(statuses) == ["sent", "sent"]
    finally:
        db.dispose()


def test_recorded_status_migration_on_sqlite(tmp_path: Path) -> None:
    _recorded_status_round_trip(f"sqlite:///{tmp_path}/m.db")


@pytest.mark.postgres
def test_recorded_status_migration_on_postgres(pg_schema_url: str) -> None:
    _recorded_status_round_trip(pg_schema_url)


#: A real Square refund id (73 characters), from Square's ``refund.updated`` example.
SQUARE_REFUND_ID = "KkAkhdMsgzn59SM8A89WgKwekxLZY_ptNBVqHYxt5gAdfcobBe4u1AZsXhoz06KTtuq9Ls24P"


@pytest.mark.postgres
def test_a_real_square_refund_id_fits_after_0008_and_the_downgrade_runs(pg_schema_url: str) -> None:
    upgrade(pg_schema_url)
    db = Database(pg_schema_url)
    try:
        with db.engine.begin() as conn:
            width = conn.execute(
                text(
                    "SELECT character_maximum_length FROM information_schema.columns "
                    "WHERE table_name = 'deposits' AND column_name = 'refund_id' "
                    "AND table_schema = current_schema()"
                )
            ).scalar()
        assert width is not None and width >= len(SQUARE_REFUND_ID) == 73
        command.downgrade(alembic_config(pg_schema_url), "0007")
        upgrade(pg_schema_url)
    finally:
        db.dispose()
