"""Twilio adapter: X-Twilio-Signature check, webhook form parsing, TwiML and sending.

Vendor sources:
- Signatures: https://www.twilio.com/docs/usage/webhooks/webhooks-security and
  ``twilio.request_validator.RequestValidator`` (twilio 9.13.0).
- Inbound SMS parameters: https://www.twilio.com/docs/messaging/guides/webhook-request
- Status callbacks: https://www.twilio.com/docs/messaging/api/message-resource#twilios-request-to-the-statuscallback-url
- ``<Dial action>`` parameters: https://www.twilio.com/docs/voice/twiml/dial#action
- Sending: ``client.messages.create`` (``POST /2010-04-01/Accounts/{sid}/Messages.json``);
  error 21610 = recipient unsubscribed (https://www.twilio.com/docs/api/errors/21610).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from app.untrusted import clean_text, fit
from messaging.base import (
    InboundMessage,
    Media,
    MissedCall,
    OutboundSms,
    SendError,
    SendResult,
    StatusUpdate,
)
from messaging.errors import InvalidSignature, MalformedPayload
from messaging.models import ERROR_CODE_LENGTH, ID_LENGTH
from messaging.phones import mask

log = logging.getLogger(__name__)

PROVIDER = "twilio"
SIGNATURE_HEADER = "X-Twilio-Signature"
OPTED_OUT_CODE = "21610"
MISSED_DIAL_STATUSES = frozenset({"no-answer", "busy", "failed", "canceled"})
# 21611: the sender's queue is full (too many queued messages) - retry later.
_TRANSIENT_CODES = frozenset({"20429", "21611"})


FormData = Mapping[str, str] | Mapping[str, list[str]] | Mapping[str, str | list[str]]
"""A webhook form: plain mapping (str or list values) or werkzeug ``MultiDict``/Django
``QueryDict`` (both are mappings; their ``getlist`` is used to see repeated keys)."""


def _values(form: FormData, key: str) -> list[str]:
    """All values of ``key`` in a MultiDict-like or a plain mapping (str or list values)."""
    getlist = getattr(form, "getlist", None)
    if callable(getlist):
        return [str(v) for v in getlist(key)]
    if not isinstance(form, Mapping):
        raise MalformedPayload("Twilio webhook form is not a mapping")
    value = form.get(key)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _first(form: FormData, key: str) -> str | None:
    """The first value of ``key``, cleaned of NUL and lone surrogates (``clean_text``): the
    parsers read the form through here, the signature check reads it as sent."""
    values = _values(form, key)
    return clean_text(values[0]) if values else None


def _required(form: FormData, key: str, what: str) -> str:
    value = _first(form, key)
    if value is None or not value.strip():
        raise MalformedPayload(f"Twilio {what} has no {key}")
    return value


class _ValidatorParams:
    """Adapts any form shape to what ``RequestValidator.get_values`` reads (``getlist``)."""

    def __init__(self, params: FormData) -> None:
        self._params = params

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._params.keys()))

    def __bool__(self) -> bool:
        return bool(self._params)

    def getlist(self, key: str) -> list[str]:
        return _values(self._params, key)


# --------------------------------------------------------------------------- signatures


def verify_signature(url: str, params: FormData, signature: str | None, auth_token: str) -> None:
    """Check Twilio's ``X-Twilio-Signature`` on a webhook (HMAC-SHA1 with the auth token).

    Delegates to ``RequestValidator.validate``, which signs ``url`` plus every parameter name
    and value (sorted; repeated names included), and accepts the URL with or without its
    default port (Twilio is inconsistent about ``:443``).

    Args:
        url: the full public URL Twilio requested, including the query string, exactly as
            configured at Twilio (built from ``PUBLIC_BASE_URL``, not from the proxied request).
        params: the POST form: ``Mapping[str, str]``, ``Mapping[str, list[str]]`` or a werkzeug
            ``MultiDict``.
        signature: the ``X-Twilio-Signature`` header, or None when absent.
        auth_token: the account auth token (``TWILIO_AUTH_TOKEN``).

    Raises:
        InvalidSignature: the header is missing or does not match.
    """
    if not signature:
        raise InvalidSignature("missing X-Twilio-Signature header")
    if not auth_token:
        raise InvalidSignature("no Twilio auth token configured")
    validator = RequestValidator(auth_token)
    if not validator.validate(url, _ValidatorParams(params), signature.strip()):
        raise InvalidSignature("X-Twilio-Signature does not match the URL and parameters")


# --------------------------------------------------------------------------- webhooks


def parse_inbound(form: FormData) -> InboundMessage:
    """Read an inbound SMS/MMS webhook (``/webhooks/twilio/sms``).

    Args:
        form: the POST form (MultiDict-like or ``Mapping[str, str | list[str]]``) with
            ``MessageSid``, ``From``, ``To``, ``Body``, ``NumMedia``, ``MediaUrl{N}``,
            ``MediaContentType{N}``.

    Returns:
        ``InboundMessage`` with ``MessageSid`` as both ``event_id`` and ``carrier_message_id``
        (Twilio retries re-send the same SID) and ``received_at=None`` (Twilio sends no time).

        Values are cleaned of NUL and lone surrogates; a SID longer than the id columns is
        shortened stably (``app.untrusted.fit``), so a retry still dedupes.

    Raises:
        MalformedPayload: ``MessageSid``, ``From`` or ``To`` missing, ``NumMedia`` not a
            non-negative integer, or a ``MediaUrl{N}`` it announces missing.
    """
    sid = fit(_required(form, "MessageSid", "SMS webhook"), ID_LENGTH)
    from_number = _required(form, "From", "SMS webhook")
    to_number = _required(form, "To", "SMS webhook")
    raw_count = _first(form, "NumMedia") or "0"
    try:
        count = int(raw_count)
    except ValueError:
        raise MalformedPayload("Twilio SMS webhook NumMedia is not an integer") from None
    if count < 0:
        raise MalformedPayload("Twilio SMS webhook NumMedia is negative")
    media: list[Media] = []
    for index in range(count):
        url = _first(form, f"MediaUrl{index}")
        if not url:
            raise MalformedPayload(f"Twilio SMS webhook has no MediaUrl{index}")
        media.append(Media(url=url, content_type=_first(form, f"MediaContentType{index}")))
    return InboundMessage(
        carrier=PROVIDER,
        event_id=sid,
        carrier_message_id=sid,
        from_number=from_number,
        to_number=to_number,
        body=_first(form, "Body") or "",
        media=tuple(media),
        received_at=None,
    )


def parse_status(form: FormData) -> StatusUpdate:
    """Read a message status callback (``/webhooks/twilio/status``).

    Args:
        form: POST form with ``MessageSid`` (or legacy ``SmsSid``), ``MessageStatus`` (or
            ``SmsStatus``): queued/sending/sent/delivered/undelivered/failed/read..., and
            ``ErrorCode`` (and sometimes ``ErrorMessage``) on failures.

    Returns:
        ``StatusUpdate`` with Twilio's status word unchanged, the SID fitted to ``ID_LENGTH``
        and the error code cut to ``ERROR_CODE_LENGTH`` (values cleaned like the others).

    Raises:
        MalformedPayload: no message SID or no status.
    """
    sid = _first(form, "MessageSid") or _first(form, "SmsSid")
    if not sid:
        raise MalformedPayload("Twilio status callback has no MessageSid")
    status = _first(form, "MessageStatus") or _first(form, "SmsStatus")
    if not status:
        raise MalformedPayload("Twilio status callback has no MessageStatus")
    code = _first(form, "ErrorCode")
    return StatusUpdate(
        carrier=PROVIDER,
        carrier_message_id=fit(sid, ID_LENGTH),
        status=status,
        error_code=code[:ERROR_CODE_LENGTH] if code else None,
        error_detail=_first(form, "ErrorMessage") or None,
    )


def parse_dial_action(form: FormData) -> MissedCall | None:
    """Read the ``<Dial action>`` callback that ends a forwarded call (``/webhooks/twilio/voice``).

    Args:
        form: POST form with ``CallSid``, ``From``, ``To``, ``DialCallStatus``.

    Returns:
        ``MissedCall`` (event id = ``CallSid``, fitted to ``ID_LENGTH``) when
        ``DialCallStatus`` is no-answer, busy, failed or canceled; None when the forwarded
        call was answered ("completed", "answered") or the status is unknown. ``From`` may be
        a non-number such as "anonymous"; deciding whether a text-back is possible is the
        caller's job.

    Raises:
        MalformedPayload: ``CallSid``, ``From``, ``To`` or ``DialCallStatus`` missing.
    """
    call_sid = fit(_required(form, "CallSid", "dial action"), ID_LENGTH)
    from_number = _required(form, "From", "dial action")
    to_number = _required(form, "To", "dial action")
    status = _required(form, "DialCallStatus", "dial action").strip().lower()
    if status not in MISSED_DIAL_STATUSES:
        return None
    return MissedCall(
        carrier=PROVIDER,
        event_id=call_sid,
        from_number=from_number,
        to_number=to_number,
        occurred_at=None,
    )


# --------------------------------------------------------------------------- TwiML


def empty_twiml() -> str:
    """TwiML that sends no reply: ``<Response />`` (we reply through the REST API instead).

    Returns:
        The XML document as a string (serve it as ``text/xml``).
    """
    return str(MessagingResponse())


def dial_twiml(forward_to: str, action_url: str, timeout_seconds: int = 20) -> str:
    """TwiML that rings the clinic's line and reports the outcome to ``action_url``.

    Twilio POSTs ``DialCallStatus`` to ``action_url`` when the dial ends; feed that to
    ``parse_dial_action``.

    Args:
        forward_to: the E.164 number to ring.
        action_url: absolute URL of our ``<Dial action>`` webhook.
        timeout_seconds: how long to ring before giving up (Twilio's ``timeout``, 5-600).

    Returns:
        ``<Response><Dial action=... method="POST" timeout=...>+1...</Dial></Response>``.
    """
    response = VoiceResponse()
    response.dial(forward_to, action=action_url, method="POST", timeout=timeout_seconds)
    return str(response)


def say_and_hangup_twiml(text: str) -> str:
    """Voice TwiML that speaks ``text`` and hangs up (``<Say>`` then ``<Hangup/>``)."""
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return str(response)


def empty_voice_twiml() -> str:
    """Voice TwiML with no verbs (``<Response/>``): Twilio ends the call."""
    return str(VoiceResponse())


# --------------------------------------------------------------------------- sending


class TwilioGateway:
    """``SmsGateway`` over Twilio Programmable Messaging (``client.messages.create``).

    Twilio's REST API has **no idempotency header**: a request that timed out after Twilio
    accepted it cannot be told apart from one that never arrived, so a retry may send the text
    twice. ``OutboundSms.idempotency_key`` is therefore not sent; the job layer should retry
    Twilio timeouts sparingly (connection failures before sending are safe to retry).

    Args:
        account_sid: ``TWILIO_ACCOUNT_SID``.
        auth_token: ``TWILIO_AUTH_TOKEN``.
        status_callback_url: absolute URL for delivery-status callbacks, if any.
        timeout_seconds: socket timeout per request (the SDK default is none at all).
    """

    name = PROVIDER

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        status_callback_url: str | None = None,
        *,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._status_callback_url = status_callback_url
        self._client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout_seconds)
        )

    def send(self, message: OutboundSms) -> SendResult:
        """Send one SMS/MMS.

        Args:
            message: what to send; ``media_urls`` make it an MMS.

        Returns:
            ``SendResult`` with the message SID (``SM...``/``MM...``) and Twilio's initial
            status (usually "queued", or "accepted" with a Messaging Service).

        Raises:
            SendError: permanent and ``opted_out`` for 21610; transient for 429 (20429), 5xx,
                21611 (queue full), timeouts and connection errors; permanent for other 4xx.
                The message names the HTTP status and Twilio error code only.
        """
        kwargs: dict[str, Any] = {
            "to": message.to_number,
            "from_": message.from_number,
            "body": message.body,
        }
        if message.media_urls:
            kwargs["media_url"] = list(message.media_urls)
        if self._status_callback_url:
            kwargs["status_callback"] = self._status_callback_url
        try:
            created = self._client.messages.create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _status_error(exc.status, exc.code, message) from None
        except requests.Timeout:
            log.warning("twilio send timed out to=%s", mask(message.to_number))
            raise SendError("Twilio request timed out", code="timeout", permanent=False) from None
        except requests.RequestException:
            log.warning("twilio send connection error to=%s", mask(message.to_number))
            raise SendError(
                "could not connect to Twilio", code="connection", permanent=False
            ) from None
        if not created.sid:
            raise SendError("Twilio response has no message SID", code="no_id", permanent=False)
        status = str(created.status) if created.status else "queued"
        log.info("twilio sent sid=%s to=%s status=%s", created.sid, mask(message.to_number), status)
        return SendResult(carrier_message_id=created.sid, status=status)


def _status_error(status: int, raw_code: object, message: OutboundSms) -> SendError:
    """Map Twilio's HTTP status and error code to ``SendError`` (no text or numbers kept)."""
    code = str(raw_code) if raw_code not in (None, "") else None
    summary = f"Twilio HTTP {status}" + (f" error {code}" if code else "")
    log.warning("twilio send failed status=%s code=%s to=%s", status, code, mask(message.to_number))
    if code == OPTED_OUT_CODE:
        return SendError(
            summary + ": recipient unsubscribed",
            code=OPTED_OUT_CODE,
            permanent=True,
            opted_out=True,
        )
    if status in (408, 429) or status >= 500 or code in _TRANSIENT_CODES:
        return SendError(summary, code=code or str(status), permanent=False)
    return SendError(summary, code=code or str(status), permanent=True)
