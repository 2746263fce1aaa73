"""Tables for a clinic's records and its knowledge chunks (DESIGN.md §4.1)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, enum_column, utcnow


class SourceKind(enum.StrEnum):
    """Where a :class:`KnowledgeChunk` came from."""

    DOCUMENT = "document"
    FAQ = "faq"


class Clinic(Base):
    """One clinic; ``profile`` holds the validated ``clinic`` section of its clinic file."""

    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ClinicNumber(Base):
    """A clinic phone number in E.164; routes inbound texts and calls to their clinic."""

    __tablename__ = "clinic_numbers"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)


class Provider(Base):
    """A practitioner (FHIR ``Practitioner``) with weekly hours in clinic-local wall time."""

    __tablename__ = "providers"

    clinic_id: Mapped[str] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Service(Base):
    """A bookable service from the clinic's menu; ``data`` is its validated clinic-file entry."""

    __tablename__ = "services"

    clinic_id: Mapped[str] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class KnowledgeChunk(Base):
    """A retrievable passage of a clinic document or FAQ, with the title it came from."""

    __tablename__ = "knowledge_chunks"
    # Ids are never reused (SQLite too), so (count, max id) versions a clinic's chunk set.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    source_kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind, "source_kind", 16))
    source_title: Mapped[str] = mapped_column(String(300))
    heading: Mapped[str | None] = mapped_column(String(300), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    embedding: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)


class ClinicApiKey(Base):
    """A clinic's API key for ``POST /knowledge/<clinic_id>`` (see :mod:`knowledge.apikeys`).

    The key itself is never stored: ``key_id`` is its public, random lookup part and
    ``key_hash`` the hex SHA-256 of the whole key. A revoked key keeps its row (audit).
    """

    __tablename__ = "clinic_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UploadedDocument(Base):
    """A document a clinic uploaded through the knowledge API (``{"documents": [...]}``).

    Kept apart from the clinic file so that re-seeding the file keeps them (see
    :mod:`knowledge.api`); the set is replaced wholesale by each documents upload.
    """

    __tablename__ = "uploaded_documents"

    clinic_id: Mapped[str] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LeadFormToken(Base):
    """A clinic's public token for its website lead form (see :mod:`knowledge.form_tokens`).

    Unlike an API key it is meant to be published in the form's HTML, so it is stored as
    is (the owner can print it again); it allows only ``POST /leads/<clinic_id>``. A rotated
    token keeps its row with ``revoked_at`` set.
    """

    __tablename__ = "lead_form_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
