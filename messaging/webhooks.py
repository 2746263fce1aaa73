"""Carrier webhooks: ``/webhooks/telnyx``, ``/webhooks/twilio/sms``, ``/webhooks/twilio/status``,
``/webhooks/twilio/voice`` and its ``<Dial action>`` callback ``/webhooks/twilio/voice/status``.

Each route verifies the carrier's signature first (401/403 on failure, nothing stored; 503 when
the carrier's secret is unset), parses (400 on a malformed body, logged: invalid or deeply
nested JSON too; NUL bytes and lone surrogates are cleaned from a signed event, never a reason
to lose it; bodies are capped before they are read by ``create_app``), and hands the parsed
event to the :class:`CarrierHandlers` the app registered with :func:`install` (the flows in
``app/flows``: a text is stored before the route acknowledges). Signature schemes:
shared/reference/protocols.md (Telnyx Ed25519, Twilio HMAC-SHA1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from flask import Blueprint, Flask, Response, current_app, request

from app.settings import Settings
from app.untrusted import UntrustedJSON, clean_text, fit, load_json
from messaging import telnyx, twilio
from messaging.base import InboundMessage, MissedCall, StatusUpdate
from messaging.errors import InvalidSignature, MalformedPayload
from messaging.models import ID_LENGTH
from messaging.phones import mask

log = structlog.get_logger(__name__)

#: Seconds Twilio rings the forwarding line before reporting no-answer.
DIAL_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class VoiceAnswer:
    """What to tell Twilio when the clinic number rings: forward to ``forward_to`` (E.164),
    or, when None, play ``say`` and hang up (``textback`` is then what the text-back did)."""

    forward_to: str | None
    say: str
    textback: str | None = None


@dataclass(frozen=True)
class CarrierHandlers:
    """Where verified, parsed carrier events go (the app's flows, bound to its context).

    Attributes:
        settings: ``telnyx_public_key``, ``twilio_auth_token``, ``public_base_url`` (Twilio
            signs the full URL) and ``webhook_tolerance_seconds`` are read per request.
        now: the clock (frozen in scenarios), for Telnyx's timestamp window.
        text: an inbound text; returns what happened (stored | duplicate | ...).
        status: a delivery status of a text we sent; True when it matched a row.
        telnyx_call: a Telnyx call event (missed-call tracking); returns what happened.
        twilio_voice: ``(call_sid, caller, clinic_number)`` of a ringing Twilio call.
        twilio_dial: the ``<Dial action>`` outcome (None when the call was answered).
    """

    settings: Settings
    now: Callable[[], dt.datetime]
    text: Callable[[InboundMessage], str]
    status: Callable[[StatusUpdate], bool]
    telnyx_call: Callable[[telnyx.TelnyxCallEvent], str]
    twilio_voice: Callable[[str, str, str], VoiceAnswer]
    twilio_dial: Callable[[MissedCall | None], str]


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


bp = Blueprint("carrier_webhooks", __name__)
_EXTENSION = "frontdesk.carriers"


def install(app: Flask, handlers: CarrierHandlers) -> None:
    """Register the carrier routes on ``app``, handing their events to ``handlers``."""
    app.extensions[_EXTENSION] = handlers
    app.register_blueprint(bp)


def _handlers() -> CarrierHandlers:
    return current_app.extensions[_EXTENSION]  # type: ignore[no-any-return]


@bp.post("/webhooks/telnyx")
def telnyx_webhook() -> Response:
    """Telnyx messaging and call events (https://developers.telnyx.com/docs/messaging)."""
    handlers = _handlers()
    settings = handlers.settings
    key = settings.telnyx_public_key
    if not key:
        return _plain(503, "telnyx webhooks are not configured (TELNYX_PUBLIC_KEY)")
    raw = request.get_data(cache=False)
    try:
        telnyx.verify_signature(
            raw,
            request.headers.get(telnyx.SIGNATURE_HEADER),
            request.headers.get(telnyx.TIMESTAMP_HEADER),
            key,
            now=handlers.now(),
            tolerance_seconds=settings.webhook_tolerance_seconds,
        )
    except InvalidSignature as exc:
        log.warning("telnyx_bad_signature", reason=str(exc))
        return _plain(401, "invalid signature")
    try:
        event = telnyx.parse_event(load_json(raw))
    except (UntrustedJSON, MalformedPayload) as exc:
        log.warning("telnyx_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    if isinstance(event, InboundMessage):
        handlers.text(event)
    elif isinstance(event, StatusUpdate):
        handlers.status(event)
    elif isinstance(event, telnyx.TelnyxCallEvent):
        handlers.telnyx_call(event)
    return _plain(200, "ok")


def _twilio_check() -> Any:
    """The verified form of a Twilio request, or the error response to send."""
    settings = _handlers().settings
    token = settings.twilio_auth_token
    if not token:
        return _plain(503, "twilio webhooks are not configured (TWILIO_AUTH_TOKEN)")
    url = settings.public_base_url + request.full_path.rstrip("?")
    form = request.form
    try:
        twilio.verify_signature(url, form, request.headers.get("X-Twilio-Signature"), token)
    except InvalidSignature as exc:
        log.warning("twilio_bad_signature", reason=str(exc))
        return _plain(403, "invalid signature")
    return form


@bp.post("/webhooks/twilio/sms")
def twilio_sms() -> Response:
    """Twilio inbound SMS; answers an empty TwiML ``<Response/>`` (replies go out by REST)."""
    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    form = checked
    handlers = _handlers()
    try:
        message = twilio.parse_inbound(form)
    except MalformedPayload as exc:
        log.warning("twilio_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    handlers.text(message)
    return Response(twilio.empty_twiml(), mimetype="text/xml")


@bp.post("/webhooks/twilio/status")
def twilio_status() -> Response:
    """Twilio status callbacks (MessageStatus, ErrorCode) for messages we sent."""
    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    form = checked
    handlers = _handlers()
    try:
        update = twilio.parse_status(form)
    except MalformedPayload as exc:
        log.warning("twilio_status_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    handlers.status(update)
    return _plain(200, "ok")


def _voice_xml(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


@bp.post("/webhooks/twilio/voice")
def twilio_voice() -> Response:
    """An inbound call to a clinic number: forward it with ``<Dial action timeout=20>`` to the
    clinic's ``forward_calls_to`` line, or ``<Say>`` + hang up (a missed call, texted back)
    when it has none (https://www.twilio.com/docs/voice/twiml/dial)."""
    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    form = checked
    handlers = _handlers()
    call_sid = fit(clean_text(form.get("CallSid") or "").strip(), ID_LENGTH)
    caller = clean_text(form.get("From") or "").strip()
    to = clean_text(form.get("To") or "").strip()
    if not call_sid or not to:
        log.warning("twilio_voice_malformed", has_sid=bool(call_sid), has_to=bool(to))
        return _plain(400, "malformed payload")
    answer = handlers.twilio_voice(call_sid, caller, to)
    if answer.forward_to is None:
        log.info("twilio_voice_no_forward", caller=mask(caller), textback=answer.textback)
        return _voice_xml(twilio.say_and_hangup_twiml(answer.say))
    action = handlers.settings.public_base_url + "/webhooks/twilio/voice/status"
    log.info("twilio_voice_forward", caller=mask(caller), to=mask(answer.forward_to))
    return _voice_xml(twilio.dial_twiml(answer.forward_to, action, DIAL_TIMEOUT_SECONDS))


@bp.post("/webhooks/twilio/voice/status")
def twilio_voice_status() -> Response:
    """The ``<Dial action>`` callback: DialCallStatus no-answer/busy/failed/canceled is a
    missed call and gets the text-back; answers an empty ``<Response/>`` (call ends)."""
    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    form = checked
    handlers = _handlers()
    try:
        missed = twilio.parse_dial_action(form)
    except MalformedPayload as exc:
        log.warning("twilio_dial_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    outcome = handlers.twilio_dial(missed)
    log.info("twilio_dial_status", outcome=outcome)
    return _voice_xml(twilio.empty_voice_twiml())
