"""Tables for SMS conversations, messages, opt-outs, staff alerts and staff emails."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, enum_column, utcnow

#: Width of the carrier id columns (event ids, message SIDs, call session ids): the webhook
#: parsers shorten longer ids to it (``app.untrusted.fit``) so they are stored, not refused.
ID_LENGTH = 100
#: Width of ``Message.error_code``: longer carrier error codes are cut to it.
ERROR_CODE_LENGTH = 32


class Direction(enum.StrEnum):
    """Which way a :class:`Message` went."""

    IN = "in"
    OUT = "out"


class MessageStatus(enum.StrEnum):
    """Where a :class:`Message` stands; inbound and outbound rows use different values."""

    #: Inbound, waiting for its turn.
    RECEIVED = "received"
    #: Inbound, answered (or deliberately not) by a turn.
    PROCESSED = "processed"
    #: Inbound from a sender we cannot text ("anonymous", a short code): stored, never answered.
    INVALID_SENDER = "invalid_sender"
    #: Outbound, saved and waiting to be sent (also while a transient failure backs off).
    QUEUED = "queued"
    #: Outbound, accepted by the carrier.
    SENT = "sent"
    #: Outbound, recorded by the recording gateway (no carrier configured, or
    #: ``SMS_CARRIER=recording``): it reached nobody's phone.
    RECORDED = "recorded"
    #: Outbound, the carrier confirmed delivery to the handset.
    DELIVERED = "delivered"
    #: Outbound, refused by the carrier or given up after retries.
    FAILED = "failed"
    #: Outbound to an opted-out number: never sent.
    BLOCKED = "blocked"


class OptOutSource(enum.StrEnum):
    """How a number revoked consent."""

    KEYWORD = "keyword"
    FREE_TEXT = "free_text"
    CARRIER = "carrier"


class AlertKind(enum.StrEnum):
    """``alert``: a person must act; ``notice``: for information."""

    ALERT = "alert"
    NOTICE = "notice"


class EmailStatus(enum.StrEnum):
    """Where a :class:`StaffEmail` stands."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class Conversation(Base):
    """The SMS thread between one patient number and one clinic.

    ``ai_paused`` is set on handoff: the agent stays silent until staff resume it.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("clinic_id", "patient_phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    patient_phone: Mapped[str] = mapped_column(String(20))
    clinic_phone: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str] = mapped_column(String(16), default="recording")
    ai_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Message(Base):
    """One SMS, inbound or outbound; an outbound row exists before the carrier is called.

    Inbound ``status``: received -> processed, or invalid_sender (stored, never answered: the
    sender is not a phone number we can text, e.g. "anonymous" or a short code). Outbound:
    queued -> sent -> delivered | failed (carrier error code and detail stored), or blocked
    (opted out), or recorded (no carrier: kept, never sent). See :class:`MessageStatus`.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("carrier", "carrier_event_id"),
        Index(
            "ix_messages_conversation_direction_status", "conversation_id", "direction", "status"
        ),
        # The metrics scrape counts reminders and waitlist offers by kind (app/metrics_db.py).
        Index("ix_messages_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None only for texts to staff (alerts), which belong to no patient conversation.
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True, nullable=True
    )
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction", 8))
    # reply | help | opt_out_confirmation | opt_in_confirmation | textback | confirmation | ...
    kind: Mapped[str] = mapped_column(String(32), default="reply")
    carrier: Mapped[str] = mapped_column(String(16))
    carrier_event_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    carrier_message_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), nullable=True, index=True
    )
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    segments: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus, "status", 16))
    error_code: Mapped[str | None] = mapped_column(String(ERROR_CODE_LENGTH), nullable=True)
    error_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OptOut(Base):
    """A number that revoked consent for one clinic; nothing is sent to it until it opts in."""

    __tablename__ = "opt_outs"

    clinic_id: Mapped[str] = mapped_column(
        ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[OptOutSource] = mapped_column(enum_column(OptOutSource, "source", 32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffAlert(Base):
    """Something staff must know: ``kind`` "alert" needs a human; "notice" is informational."""

    __tablename__ = "staff_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind, "kind", 16))
    reason: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffEmail(Base):
    """One email to the clinic's ``staff_alert_email``; saved before the SMTP server is called.

    ``status``: queued -> sent | failed. A transient SMTP failure (connection refused, 4xx)
    keeps the row queued with ``send_after`` set to the backoff; the sweeper retries it up to
    ``messaging.email.MAX_EMAIL_ATTEMPTS`` attempts, then marks it failed with ``error``.
    """

    __tablename__ = "staff_emails"
    __table_args__ = (Index("ix_staff_emails_status_send_after", "status", "send_after"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_alerts.id", ondelete="SET NULL"), nullable=True
    )
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(
        enum_column(EmailStatus, "status", 16), default=EmailStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CallSession(Base):
    """An inbound call to a clinic number, tracked to tell a missed call from an answered one."""

    __tablename__ = "call_sessions"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)  # carrier's session id
    carrier: Mapped[str] = mapped_column(String(16))
    clinic_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    textback_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LeadStatus(enum.StrEnum):
    """Where a :class:`Lead` stands (:mod:`app.flows.lead`)."""

    #: Stored; its first text is not queued yet.
    RECEIVED = "received"
    #: Its first text is queued (``message_id``).
    TEXTED = "texted"
    #: The number got a lead's first text within the duplicate window: not texted again.
    DUPLICATE = "duplicate"
    #: The number is opted out: stored, never texted.
    OPTED_OUT = "opted_out"
    #: Staff have the number's conversation: they were told, nothing automatic was sent.
    STAFF = "staff"


class Lead(Base):
    """A patient's request from a clinic website form (``POST /leads/<clinic_id>``).

    The consent the patient ticked is kept verbatim with its instant, source IP and user
    agent: it is the record that they asked to be texted. ``service_text`` is what they wrote
    (never put into a text); ``service_id`` the clinic's service it named, if any.
    """

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_clinic_phone_created", "clinic_id", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20))
    service_text: Mapped[str] = mapped_column(String(200), default="")
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    consent_text: Mapped[str] = mapped_column(Text)
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source_ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    #: How the request was authenticated: ``api_key`` or ``form_token``.
    auth: Mapped[str] = mapped_column(String(16))
    status: Mapped[LeadStatus] = mapped_column(
        enum_column(LeadStatus, "status", 16), default=LeadStatus.RECEIVED
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
    )
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
