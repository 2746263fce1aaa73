"""The SMS interface every carrier adapter implements, and the shapes that cross it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Media:
    """An MMS attachment: its URL at the carrier and its MIME type (never logged)."""

    url: str
    content_type: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A patient's text as a carrier delivered it, before routing.

    ``event_id`` is the carrier's unique id for this delivery (Telnyx ``data.id``, Twilio
    ``MessageSid``) and dedupes retries; numbers are as the carrier sent them (E.164 for both).
    """

    carrier: str
    event_id: str
    carrier_message_id: str
    from_number: str
    to_number: str
    body: str
    media: tuple[Media, ...] = ()
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery-status callback: carrier message id, our status word, carrier error code."""

    carrier: str
    carrier_message_id: str
    status: str
    error_code: str | None = None
    error_detail: str | None = None


@dataclass(frozen=True)
class MissedCall:
    """A call to a clinic number that nobody answered (text-back trigger)."""

    carrier: str
    event_id: str
    from_number: str
    to_number: str
    occurred_at: dt.datetime | None = None


@dataclass(frozen=True)
class OutboundSms:
    """A text to send. ``idempotency_key`` is stable per message row so a retry never doubles."""

    from_number: str
    to_number: str
    body: str
    idempotency_key: str
    media_urls: tuple[str, ...] = field(default_factory=tuple)


#: ``SendResult.status`` of a gateway that kept the text without sending it (no carrier).
RECORDED_STATUS = "recorded"


@dataclass(frozen=True)
class SendResult:
    """The carrier's acceptance: its message id and initial status (e.g. "queued"), or
    :data:`RECORDED_STATUS` from a gateway that only recorded the text."""

    carrier_message_id: str
    status: str = "queued"


class SendError(Exception):
    """A send the carrier refused or could not take.

    Attributes:
        code: the carrier's error code (e.g. Telnyx "40300", Twilio "21610"), if any.
        permanent: True when retrying cannot help (bad number, opted out); False for 429/5xx/timeouts.
        opted_out: True when the carrier says the recipient opted out.
    """

    def __init__(
        self, message: str, *, code: str | None = None, permanent: bool, opted_out: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.opted_out = opted_out


class SmsGateway(Protocol):
    """Sends one SMS through a carrier. ``name`` is "telnyx", "twilio" or "recording"."""

    name: str

    def send(self, message: OutboundSms) -> SendResult:
        """Hand ``message`` to the carrier.

        Raises:
            SendError: the carrier refused (``permanent``) or was unreachable (not permanent).
        """
        ...
