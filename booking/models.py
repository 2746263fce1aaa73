"""Tables of the booking lifecycle: offered slots, appointments (holds included) and deposits.

No two *active* appointments (held, awaiting_deposit, booked) of one provider overlap. The
database enforces it: an exclusion constraint on Postgres, triggers on SQLite (see
:data:`OVERLAP_DDL`, installed by ``create_all`` and by the first migration).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypeVar

from sqlalchemy import DDL, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, UTCDateTime, enum_column, utcnow


class AppointmentStatus(enum.StrEnum):
    """Where an :class:`Appointment` stands (see its lifecycle)."""

    HELD = "held"
    AWAITING_DEPOSIT = "awaiting_deposit"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    #: A hold whose time ran out unpaid.
    EXPIRED = "expired"
    #: A hold given back because the EMR refused or failed to book it.
    RELEASED = "released"


class DepositStatus(enum.StrEnum):
    """Where a :class:`Deposit` stands (see its lifecycle)."""

    CREATING = "creating"
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"
    FAILED = "failed"
    #: The unpaid link was closed because its appointment was cancelled.
    CANCELLED = "cancelled"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


#: Appointment statuses that occupy the provider's time.
ACTIVE_STATUSES = (
    AppointmentStatus.HELD,
    AppointmentStatus.AWAITING_DEPOSIT,
    AppointmentStatus.BOOKED,
)
#: Appointment statuses of a hold not yet booked.
PENDING_STATUSES = (AppointmentStatus.HELD, AppointmentStatus.AWAITING_DEPOSIT)
#: Deposit statuses whose link may still take money.
UNPAID_LINK_STATUSES = (DepositStatus.OPEN, DepositStatus.CREATING)


_Row = TypeVar("_Row", bound=Base)


class RowMissing(LookupError):
    """A row this unit of work relies on is gone (deleted by another process)."""


def get_row(session: Session, model: type[_Row], key: Any) -> _Row:
    """``session.get(model, key)``, for a row that must exist.

    Raises:
        RowMissing: there is no such row.
    """
    row = session.get(model, key)
    if row is None:
        raise RowMissing(f"{model.__tablename__} {key!r} does not exist")
    return row


class SlotOffer(Base):
    """A slot shown to a patient, numbered as the patient saw it (``position`` 1..n in ``batch``).

    ``token`` is the EMR's opaque slot token, so booking never searches again.
    """

    __tablename__ = "slot_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    clinic_id: Mapped[str] = mapped_column(String(64))
    batch: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Appointment(Base):
    """Our record of an appointment, from hold to its end (FHIR ``Appointment`` in the EMR).

    Lifecycle: held -> awaiting_deposit -> booked -> cancelled | completed | no_show; a hold
    whose ``hold_expires_at`` passes unpaid becomes expired.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_provider_time", "clinic_id", "provider_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    patient_phone: Mapped[str] = mapped_column(String(20), index=True)
    patient_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    service_id: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[str] = mapped_column(String(64))
    # What the patient was told, kept so every later text words it the same way.
    service_name: Mapped[str] = mapped_column(String(200), default="")
    provider_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(enum_column(AppointmentStatus, "status", 20))
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the patient changed this booking inside the cancellation notice window (a late
    #: reschedule of it or of an appointment it replaced): its deposit is then forfeitable.
    late_change_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: When the patient confirmed they are coming (answered a reminder with "C", "yes", ...).
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0)
    slot_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    emr_patient_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    emr_appointment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    emr_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Deposit(Base):
    """A deposit asked for one appointment, through a payment link.

    Status: creating (row saved, provider not yet answered) -> open -> paid | expired |
    failed | cancelled (appointment cancelled before payment); paid -> refunding -> refunded. ``order_id`` joins Square's ``payment.updated`` to this row.
    """

    __tablename__ = "deposits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    clinic_id: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[DepositStatus] = mapped_column(enum_column(DepositStatus, "status", 16))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    payment_link_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payment_link_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Square refund ids are 73 characters (``{payment_id}_{suffix}``): room for them.
    refund_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


_ACTIVE_SQL = "(" + ", ".join(f"'{s.value}'" for s in ACTIVE_STATUSES) + ")"

#: DDL that makes overlapping active appointments of one provider impossible, per dialect.
OVERLAP_DDL: dict[str, list[str]] = {
    "postgresql": [
        "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public",
        "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist "
        "(clinic_id WITH =, provider_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        f"WHERE (status IN {_ACTIVE_SQL})",
    ],
    "sqlite": [
        f"""CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments
        WHEN NEW.status IN {_ACTIVE_SQL} AND EXISTS (
          SELECT 1 FROM appointments a WHERE a.clinic_id = NEW.clinic_id
          AND a.provider_id = NEW.provider_id AND a.status IN {_ACTIVE_SQL}
          AND a.start_at < NEW.end_at AND NEW.start_at < a.end_at)
        BEGIN SELECT RAISE(ABORT, 'appointments_no_overlap'); END""",
        f"""CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE ON appointments
        WHEN NEW.status IN {_ACTIVE_SQL} AND EXISTS (
          SELECT 1 FROM appointments a WHERE a.id != NEW.id AND a.clinic_id = NEW.clinic_id
          AND a.provider_id = NEW.provider_id AND a.status IN {_ACTIVE_SQL}
          AND a.start_at < NEW.end_at AND NEW.start_at < a.end_at)
        BEGIN SELECT RAISE(ABORT, 'appointments_no_overlap'); END""",
    ],
}

for _dialect, _statements in OVERLAP_DDL.items():
    for _sql in _statements:
        event.listen(Appointment.__table__, "after_create", DDL(_sql).execute_if(dialect=_dialect))
