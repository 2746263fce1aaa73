"""Telnyx adapter: webhook signature check, event parsing and sending through the SDK.

Vendor sources:
- Webhook signing: https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
  and ``telnyx.resources.webhooks.WebhooksResource.unwrap`` (telnyx 4.189.0), which this module
  mirrors with an injectable clock.
- Payloads: https://developers.telnyx.com/api-reference/callbacks/inbound-message and the SDK
  models ``telnyx.types.call_hangup.CallHangup`` / ``call_initiated.CallInitiated``.
- Sending: ``POST /v2/messages`` (``client.messages.send``), errors as in
  ``telnyx._exceptions`` (Stainless client), opt-out error code 40300, rate limit 10011.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import telnyx
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from app.untrusted import fit
from messaging.base import InboundMessage, Media, OutboundSms, SendError, SendResult, StatusUpdate
from messaging.errors import InvalidSignature, MalformedPayload
from messaging.models import ERROR_CODE_LENGTH, ID_LENGTH
from messaging.phones import mask

log = logging.getLogger(__name__)

PROVIDER = "telnyx"
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
OPTED_OUT_CODE = "40300"

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_:-]{1,255}")
#: Unix seconds as ASCII digits (12 reach the year 33658): no sign, underscore, other script's
#: digits or 400-digit number that ``int()`` would take or overflow on.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_STATUS_EVENTS = frozenset({"message.sent", "message.finalized"})
_CALL_EVENTS = frozenset({"call.initiated", "call.answered", "call.hangup"})


# --------------------------------------------------------------------------- signatures


def verify_signature(
    raw_body: bytes,
    signature_b64: str | None,
    timestamp: str | None,
    public_key_b64: str,
    now: dt.datetime,
    tolerance_seconds: int = 300,
) -> None:
    """Check a Telnyx webhook's Ed25519 signature and freshness.

    Telnyx signs ``f"{timestamp}|{raw_body}"`` with its account key and sends the base64
    signature in ``telnyx-signature-ed25519`` and the unix time in ``telnyx-timestamp``. This is
    the SDK's ``webhooks.unwrap`` check (same 300 s window) with ``now`` injected instead of
    ``time.time()`` so tests can freeze the clock.

    Args:
        raw_body: the request body exactly as received (before any JSON parsing).
        signature_b64: the ``telnyx-signature-ed25519`` header, or None if absent.
        timestamp: the ``telnyx-timestamp`` header (unix seconds), or None if absent.
        public_key_b64: the account's base64 Ed25519 public key (``TELNYX_PUBLIC_KEY``).
        now: the current time (timezone-aware; a naive value is taken as UTC).
        tolerance_seconds: the largest accepted ``|now - timestamp|``.

    Raises:
        InvalidSignature: a header is missing, the timestamp is not 1-12 ASCII digits or is
            outside the tolerance, the key or signature is not valid base64 of the right
            length, or the signature does not match the body.
    """
    if not signature_b64:
        raise InvalidSignature("missing telnyx-signature-ed25519 header")
    if not timestamp:
        raise InvalidSignature("missing telnyx-timestamp header")
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise InvalidSignature("telnyx-timestamp is not an integer of unix seconds")
    sent_at = int(timestamp)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    if abs(now.timestamp() - sent_at) > tolerance_seconds:
        raise InvalidSignature("telnyx-timestamp is outside the accepted window")
    try:
        key = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("Telnyx public key is not valid base64") from None
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("signature is not valid base64") from None
    if len(key) != 32:
        raise InvalidSignature("Telnyx public key must be 32 bytes")
    if len(signature) != 64:
        raise InvalidSignature("signature must be 64 bytes")
    signed = timestamp.encode("ascii") + b"|" + raw_body
    try:
        VerifyKey(key).verify(signed, signature)
    except BadSignatureError:
        raise InvalidSignature("signature does not match the body") from None


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class TelnyxCallEvent:
    """A Call Control event relevant to missed-call detection.

    A call is *missed* when a ``call.hangup`` arrives for a ``call_session_id`` whose inbound
    call was never answered (no ``call.answered``); correlating the events is the caller's job.
    ``direction`` is only present on some events (``call.initiated``: "incoming"/"outgoing").
    """

    event_type: str
    event_id: str
    call_session_id: str | None
    call_control_id: str | None
    direction: str | None
    from_number: str | None
    to_number: str | None
    hangup_cause: str | None
    hangup_source: str | None
    occurred_at: dt.datetime | None


TelnyxEvent = InboundMessage | StatusUpdate | TelnyxCallEvent


def parse_event(payload: Any) -> TelnyxEvent | None:
    """Turn a decoded Telnyx webhook body into one of our shapes.

    Args:
        payload: the JSON-decoded body, ``{"data": {"id", "event_type", "occurred_at",
            "payload": {...}}, "meta": {...}}``.

    Returns:
        - ``message.received`` -> ``InboundMessage`` (event_id = ``data.id``,
          carrier_message_id = ``data.payload.id``, text, MMS media, ``received_at`` from
          ``data.occurred_at``);
        - ``message.sent`` / ``message.finalized`` -> ``StatusUpdate`` (status of
          ``payload.to[0]``, first error code and title);
        - ``call.initiated`` / ``call.answered`` / ``call.hangup`` -> ``TelnyxCallEvent``;
        - any other event type -> None (acknowledge and ignore).

        Event, message and call ids longer than the id columns (``messaging.models.ID_LENGTH``)
        are shortened stably (``app.untrusted.fit``); error codes are cut to
        ``ERROR_CODE_LENGTH``. Strings are taken as given: clean them first
        (``app.untrusted.load_json`` does).

    Raises:
        MalformedPayload: not an object, no ``data`` object, no ``event_type``/``id``, no
            ``payload`` object, or a ``message.received`` without from/to numbers.
    """
    if not isinstance(payload, Mapping):
        raise MalformedPayload("Telnyx webhook body is not a JSON object")
    data = payload.get("data")
    if not isinstance(data, Mapping):
        raise MalformedPayload("Telnyx webhook has no data object")
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedPayload("Telnyx webhook has no data.event_type")
    if event_type == "message.received":
        return _parse_received(data)
    if event_type in _STATUS_EVENTS:
        return _parse_status(data)
    if event_type in _CALL_EVENTS:
        return _parse_call(data, event_type)
    return None


def _event_id(data: Mapping[str, Any]) -> str:
    event_id = data.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise MalformedPayload("Telnyx webhook has no data.id")
    return fit(event_id, ID_LENGTH)


def _inner(data: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = data.get("payload")
    if not isinstance(inner, Mapping):
        raise MalformedPayload("Telnyx webhook has no data.payload object")
    return inner


def _parse_time(value: Any) -> dt.datetime | None:
    """ISO 8601 (``2019-01-23T18:10:02.574Z``, ``...+00:00``) -> aware UTC datetime or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # not ISO 8601, or past year 9999 once in UTC
        return None


def _number(party: Any) -> str | None:
    """``{"phone_number": "+1..."}`` (messaging) or a bare string (call control) -> number."""
    if isinstance(party, Mapping):
        party = party.get("phone_number")
    return party if isinstance(party, str) and party else None


def _first_to(inner: Mapping[str, Any]) -> Mapping[str, Any] | None:
    to = inner.get("to")
    if isinstance(to, list) and to and isinstance(to[0], Mapping):
        return to[0]
    if isinstance(to, Mapping):
        return to
    return None


def _parse_received(data: Mapping[str, Any]) -> InboundMessage:
    event_id = _event_id(data)
    inner = _inner(data)
    from_number = _number(inner.get("from"))
    if from_number is None:
        raise MalformedPayload("message.received has no payload.from.phone_number")
    to_number = _number(_first_to(inner))
    if to_number is None:
        raise MalformedPayload("message.received has no payload.to[0].phone_number")
    message_id = inner.get("id")
    text = inner.get("text")
    media: list[Media] = []
    raw_media = inner.get("media") or []
    if not isinstance(raw_media, list):
        raise MalformedPayload("message.received payload.media is not a list")
    for item in raw_media:
        if not isinstance(item, Mapping) or not isinstance(item.get("url"), str):
            raise MalformedPayload("message.received payload.media item has no url")
        size = item.get("size")
        media.append(
            Media(
                url=item["url"],
                content_type=item.get("content_type")
                if isinstance(item.get("content_type"), str)
                else None,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )
    return InboundMessage(
        carrier=PROVIDER,
        event_id=event_id,
        carrier_message_id=fit(message_id, ID_LENGTH)
        if isinstance(message_id, str) and message_id
        else event_id,
        from_number=from_number,
        to_number=to_number,
        body=text if isinstance(text, str) else "",
        media=tuple(media),
        received_at=_parse_time(data.get("occurred_at")) or _parse_time(inner.get("received_at")),
    )


def _parse_status(data: Mapping[str, Any]) -> StatusUpdate:
    _event_id(data)
    inner = _inner(data)
    message_id = inner.get("id")
    if not isinstance(message_id, str) or not message_id:
        raise MalformedPayload(f"{data.get('event_type')} has no payload.id")
    first_to = _first_to(inner)
    status = first_to.get("status") if first_to is not None else None
    if not isinstance(status, str) or not status:
        raise MalformedPayload(f"{data.get('event_type')} has no payload.to[0].status")
    code: str | None = None
    detail: str | None = None
    errors = inner.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        raw_code = errors[0].get("code")
        code = str(raw_code)[:ERROR_CODE_LENGTH] if raw_code not in (None, "") else None
        title = errors[0].get("title")
        detail = title if isinstance(title, str) and title else None
    return StatusUpdate(
        carrier=PROVIDER,
        carrier_message_id=fit(message_id, ID_LENGTH),
        status=status,
        error_code=code,
        error_detail=detail,
    )


def _parse_call(data: Mapping[str, Any], event_type: str) -> TelnyxCallEvent:
    event_id = _event_id(data)
    inner = _inner(data)

    def text(key: str) -> str | None:
        value = inner.get(key)
        return value if isinstance(value, str) and value else None

    def call_id(key: str) -> str | None:
        value = text(key)
        return fit(value, ID_LENGTH) if value is not None else None

    return TelnyxCallEvent(
        event_type=event_type,
        event_id=event_id,
        call_session_id=call_id("call_session_id"),
        call_control_id=call_id("call_control_id"),
        direction=text("direction"),
        from_number=_number(inner.get("from")),
        to_number=_number(inner.get("to")),
        hangup_cause=text("hangup_cause"),
        hangup_source=text("hangup_source"),
        occurred_at=_parse_time(data.get("occurred_at")),
    )


# --------------------------------------------------------------------------- sending


class TelnyxGateway:
    """``SmsGateway`` over the Telnyx Messaging API v2 (``client.messages.send``).

    The SDK's own retries are off (``max_retries=0``): the job layer retries, and every attempt
    carries ``OutboundSms.idempotency_key`` as the ``Idempotency-Key`` header so Telnyx never
    sends one message row twice (Telnyx replays successful answers for 24 h).

    Logging: our lines carry masked numbers only. Do not set ``TELNYX_LOG=debug`` in
    production: the SDK then logs full request bodies (message text and numbers).

    Args:
        api_key: the Telnyx API v2 key (``TELNYX_API_KEY``).
        messaging_profile_id: sent with every message when set (``TELNYX_MESSAGING_PROFILE_ID``).
        base_url: API root override (tests, proxies); default ``https://api.telnyx.com/v2``.
        timeout_seconds: total request timeout (connect is capped at 5 s).
        webhook_url: optional per-message ``webhook_url`` for delivery-status events.
    """

    name = PROVIDER

    def __init__(
        self,
        api_key: str,
        messaging_profile_id: str | None,
        base_url: str | None = None,
        *,
        timeout_seconds: float = 15.0,
        webhook_url: str | None = None,
    ) -> None:
        self._messaging_profile_id = messaging_profile_id
        self._webhook_url = webhook_url
        self._client = telnyx.Telnyx(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds)),
        )

    def send(self, message: OutboundSms) -> SendResult:
        """Send one SMS/MMS.

        Args:
            message: what to send; ``media_urls`` make it an MMS.

        Returns:
            ``SendResult`` with Telnyx's message id (``data.id``) and the first recipient's
            status (usually "queued").

        Raises:
            SendError: ``opted_out`` and permanent for error 40300 (recipient sent STOP);
                transient for 408, 409 without 40300 (idempotency key in flight), 429, 5xx,
                timeouts and connection errors; permanent for other 4xx (including 422: same
                key with a different body). The message names the HTTP status, Telnyx error
                code and title only.
        """
        kwargs: dict[str, Any] = {
            "to": message.to_number,
            "from_": message.from_number,
            "text": message.body,
            "idempotency_key": idempotency_header(message.idempotency_key),
        }
        if self._messaging_profile_id:
            kwargs["messaging_profile_id"] = self._messaging_profile_id
        if message.media_urls:
            kwargs["media_urls"] = list(message.media_urls)
        if self._webhook_url:
            kwargs["webhook_url"] = self._webhook_url
        try:
            response = self._client.messages.send(**kwargs)
        except telnyx.APIStatusError as exc:
            raise _status_error(exc.status_code, exc.body, message) from None
        except telnyx.APITimeoutError:
            log.warning("telnyx send timed out to=%s", mask(message.to_number))
            raise SendError("Telnyx request timed out", code="timeout", permanent=False) from None
        except telnyx.APIConnectionError:
            log.warning("telnyx send connection error to=%s", mask(message.to_number))
            raise SendError(
                "could not connect to Telnyx", code="connection", permanent=False
            ) from None
        data = response.data
        if data is None or not data.id:
            # Accepted but unreadable; a retry is safe thanks to the Idempotency-Key.
            raise SendError("Telnyx response has no message id", code="no_id", permanent=False)
        status = "queued"
        if data.to and data.to[0].status:
            status = str(data.to[0].status)
        log.info("telnyx sent id=%s to=%s status=%s", data.id, mask(message.to_number), status)
        return SendResult(carrier_message_id=data.id, status=status)


def idempotency_header(key: str) -> str:
    """Make ``key`` a valid Telnyx ``Idempotency-Key`` (``^[A-Za-z0-9_:-]{1,255}$``).

    Keys that already match are sent unchanged; anything else (spaces, slashes, too long) is
    replaced by its SHA-256 hex digest, which is just as stable across retries.
    Source: https://developers.telnyx.com/docs/development/api-fundamentals/idempotency

    Args:
        key: ``OutboundSms.idempotency_key``.

    Returns:
        The header value.
    """
    if _IDEMPOTENCY_KEY.fullmatch(key):
        return key
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _status_error(status_code: int, body: object, message: OutboundSms) -> SendError:
    """Map a Telnyx 4xx/5xx answer (``{"errors": [{"code", "title", "detail"}]}``) to SendError.

    Only ``code`` and ``title`` are kept: ``detail`` may quote phone numbers.
    """
    code: str | None = None
    title = ""
    if isinstance(body, Mapping):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
            raw_code = errors[0].get("code")
            code = str(raw_code) if raw_code not in (None, "") else None
            raw_title = errors[0].get("title")
            title = raw_title if isinstance(raw_title, str) else ""
    summary = f"Telnyx HTTP {status_code}" + (f" code {code}" if code else "")
    if title:
        summary += f": {title}"
    log.warning(
        "telnyx send failed status=%s code=%s to=%s", status_code, code, mask(message.to_number)
    )
    if code == OPTED_OUT_CODE:
        return SendError(summary, code=OPTED_OUT_CODE, permanent=True, opted_out=True)
    if status_code == 409:
        # The documented opt-out answer is 409 + 40300 (above). Any other 409 is treated as an
        # idempotency conflict (the same key still in flight): retrying with the same key
        # replays the original success, so it is transient.
        return SendError(summary, code=code or "409", permanent=False)
    if status_code in (408, 429) or status_code >= 500:
        return SendError(summary, code=code or str(status_code), permanent=False)
    return SendError(summary, code=code or str(status_code), permanent=True)
