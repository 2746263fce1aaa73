"""Tables of the ``local`` EMR: the built-in calendar's patients and appointments.

They stand in for a real EMR's own records, so the ``local`` adapter behaves like one: it
knows only what was booked through it.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, enum_column, utcnow


class LocalStatus(enum.StrEnum):
    """A local calendar appointment's status (FHIR ``Appointment.status`` words)."""

    PROPOSED = "proposed"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    #: The patient did not come (FHIR ``noshow``).
    NOSHOW = "noshow"


class LocalPatient(Base):
    """A patient (FHIR ``Patient``) of the local calendar."""

    __tablename__ = "emr_local_patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    given_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LocalAppointment(Base):
    """An appointment in the local calendar; status proposed | booked | cancelled | noshow."""

    __tablename__ = "emr_local_appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[int] = mapped_column(ForeignKey("emr_local_patients.id"))
    service_id: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[LocalStatus] = mapped_column(enum_column(LocalStatus, "status", 16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
