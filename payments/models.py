"""Tables of the payments package: vendor webhook events, kept once each (dedupe on event id)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow

#: Widths of :class:`PaymentEvent`'s id and type columns; the webhook parser shortens longer
#: values to them (``app.untrusted.fit``), so an odd event is stored, not a 500.
EVENT_ID_LENGTH = 100
EVENT_TYPE_LENGTH = 64


class PaymentEvent(Base):
    """A payment webhook event as received; a second delivery of one ``event_id`` is ignored."""

    __tablename__ = "payment_events"

    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(EVENT_TYPE_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set once the event was applied; a redelivery of an unprocessed event is applied again.
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
