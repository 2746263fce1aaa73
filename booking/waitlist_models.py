"""Tables of the waitlist (DESIGN.md §2, Waitlist): who waits for what, the slots that freed
up, and the exclusive offers of those slots to waiting patients.

- :class:`WaitlistEntry`: a patient waiting for a service in a window of days and times
  (waiting -> offered -> waiting again when passed over | booked | removed);
- :class:`WaitlistOpening`: a slot that freed up (a cancellation, a reschedule, an expired
  hold, a staff change), offered to one waiting patient at a time
  (open -> claimed | unfilled | gone);
- :class:`WaitlistOffer`: one exclusive offer of an opening to one entry, for the clinic's
  claim window (pending -> claimed | lapsed | declined; an answer after the window: late).

Partial unique indexes keep the rules in the database: an opening has at most one pending
offer, an entry at most one pending offer, an opening is offered to an entry at most once,
and a patient waits at most once per service.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, enum_column, utcnow


class EntryStatus(enum.StrEnum):
    """Where a :class:`WaitlistEntry` stands."""

    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    REMOVED = "removed"


class OpeningStatus(enum.StrEnum):
    """Where a :class:`WaitlistOpening` stands."""

    OPEN = "open"
    CLAIMED = "claimed"
    #: Offered to ``max_offers_per_opening`` patients, or nobody left to offer it to.
    UNFILLED = "unfilled"
    #: Somebody else took the time (or it is past) before a waiting patient claimed it.
    GONE = "gone"


class OfferStatus(enum.StrEnum):
    """Where a :class:`WaitlistOffer` stands."""

    PENDING = "pending"
    CLAIMED = "claimed"
    LAPSED = "lapsed"
    DECLINED = "declined"
    #: The patient said yes after the claim window had lapsed.
    LATE = "late"


#: Entry statuses of a patient still on the list.
ACTIVE_ENTRY = (EntryStatus.WAITING, EntryStatus.OFFERED)


class WaitlistEntry(Base):
    """A patient waiting for ``service_id`` in a window, clinic-local.

    ``weekdays``: allowed weekdays as digits, 0 = Monday ("03": Monday and Thursday; empty:
    any day). ``after``/``before``: ``HH:MM``, a start at or after ``after`` and strictly
    before ``before`` (None: open on that side). ``date_from``/``date_to``: inclusive dates.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index(
            "uq_waitlist_entries_active",
            "clinic_id",
            "patient_phone",
            "service_id",
            unique=True,
            postgresql_where=text("status IN ('waiting', 'offered')"),
            sqlite_where=text("status IN ('waiting', 'offered')"),
        ),
        Index("ix_waitlist_entries_clinic_service", "clinic_id", "service_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(String(64))
    patient_phone: Mapped[str] = mapped_column(String(20), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
    )
    service_id: Mapped[str] = mapped_column(String(64))
    weekdays: Mapped[str] = mapped_column(String(7), default="")
    after: Mapped[str | None] = mapped_column(String(5), nullable=True)
    before: Mapped[str | None] = mapped_column(String(5), nullable=True)
    date_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    date_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    #: The window in the patient's words ("Thursday afternoon"), for staff and texts.
    window_text: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus, "status", 16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WaitlistOpening(Base):
    """A slot that freed up: ``provider_id`` from ``start_at`` to ``end_at`` for ``service_id``.

    ``source``: cancellation | reschedule | expired_hold | staff | closure_lifted.
    ``slot_token``: the EMR's token of the slot, so a claim books it without searching.
    """

    __tablename__ = "waitlist_openings"
    __table_args__ = (Index("ix_waitlist_openings_clinic_status", "clinic_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    slot_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: What the freed appointment was called, so the offer words it the same way.
    service_name: Mapped[str] = mapped_column(String(200), default="")
    provider_name: Mapped[str] = mapped_column(String(200), default="")
    #: When to try again: the end of quiet hours of the patients skipped for them.
    retry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    appointment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[OpeningStatus] = mapped_column(enum_column(OpeningStatus, "status", 16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WaitlistOffer(Base):
    """One exclusive offer of an opening to one entry, claimable until ``expires_at``."""

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        Index("uq_waitlist_offers_opening_entry", "opening_id", "entry_id", unique=True),
        Index(
            "uq_waitlist_offers_pending_opening",
            "opening_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "uq_waitlist_offers_pending_entry",
            "entry_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_waitlist_offers_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"))
    opening_id: Mapped[int] = mapped_column(ForeignKey("waitlist_openings.id", ondelete="CASCADE"))
    patient_phone: Mapped[str] = mapped_column(String(20), index=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus, "status", 16))
