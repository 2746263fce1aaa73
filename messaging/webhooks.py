"""Carrier webhooks: ``/webhooks/telnyx``, ``/webhooks/twilio/sms``, ``/webhooks/twilio/status``,
``/webhooks/twilio/voice`` and its ``<Dial action>`` callback ``/webhooks/twilio/voice/status``.

Each verifies the carrier's signature first (401/403 on failure, nothing stored; 503 when the
carrier's secret is unset), parses (400 on a malformed body, logged), stores the text before
acknowledging, and enqueues the conversation's turn after the clinic's burst window (texts
arriving together become one turn; inline mode runs it at once). Duplicates answer 200 and do
nothing. Signature schemes: shared/reference/protocols.md (Telnyx Ed25519, Twilio HMAC-SHA1).
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

import structlog
from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from messaging import telnyx, twilio
from messaging.base import InboundMessage, StatusUpdate
from messaging.errors import InvalidSignature, MalformedPayload
from messaging.inbound import store_inbound, store_invalid_sender
from messaging.models import Message
from messaging.phones import mask, to_e164

if TYPE_CHECKING:
    from app.context import AppContext

log = structlog.get_logger(__name__)

bp = Blueprint("carrier_webhooks", __name__)

#: Burst window when a clinic sets none (``burst_window_seconds``).
DEFAULT_BURST_SECONDS = 4.0
_BURST_CACHE_SECONDS = 60.0
_burst_cache: dict[str, tuple[float, float]] = {}
_burst_guard = threading.Lock()


def burst_window_seconds(ctx: AppContext, clinic_id: str) -> float:
    """The clinic's burst window in seconds, cached for a minute per process (the webhook
    must not load the clinic file on every text)."""
    mono = time.monotonic()
    with _burst_guard:
        hit = _burst_cache.get(clinic_id)
    if hit is not None and hit[0] > mono:
        return hit[1]
    clinic = ctx.clinic(clinic_id)
    value = clinic.clinic.burst_window_seconds if clinic is not None else DEFAULT_BURST_SECONDS
    with _burst_guard:
        _burst_cache[clinic_id] = (mono + _BURST_CACHE_SECONDS, value)
    return value


def enqueue_turn(ctx: AppContext, clinic_id: str, conversation_id: int) -> None:
    """Enqueue the conversation's turn after the burst window (at once on the inline queue)."""
    delay = burst_window_seconds(ctx, clinic_id) if getattr(ctx.jobs, "delays", False) else 0.0
    if delay > 0:
        ctx.jobs.enqueue_in(delay, "handle_conversation", conversation_id)  # type: ignore[attr-defined]
    else:
        ctx.jobs.enqueue("handle_conversation", conversation_id)


def _ctx() -> AppContext:
    return current_app.extensions["frontdesk"]  # type: ignore[no-any-return]


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def accept_inbound(ctx: AppContext, message: InboundMessage) -> str:
    """Route, store and enqueue one inbound text.

    Returns:
        What happened: stored | duplicate | unknown_number | invalid_sender.
    """
    try:
        clinic_phone = to_e164(message.to_number)
    except ValueError:
        log.warning("inbound_invalid_recipient", provider=message.provider)
        return "unknown_number"
    now = ctx.clock.now()
    with ctx.db.session() as session:
        clinic_id = ctx.clinic_for_number(session, clinic_phone)
        if clinic_id is None:
            log.warning("inbound_unknown_number", to=mask(clinic_phone), provider=message.provider)
            return "unknown_number"
        try:
            patient_phone = to_e164(message.from_number)
        except ValueError:
            created = store_invalid_sender(
                session, message, clinic_id=clinic_id, clinic_phone=clinic_phone, now=now
            )
            log.warning("inbound_invalid_sender", provider=message.provider, stored=created)
            return "invalid_sender" if created else "duplicate"
        stored = store_inbound(
            session,
            message,
            clinic_id=clinic_id,
            patient_phone=patient_phone,
            clinic_phone=clinic_phone,
            now=now,
        )
    if not stored.created:
        log.info("inbound_duplicate", provider=message.provider)
        return "duplicate"
    log.info(
        "inbound_stored",
        provider=message.provider,
        sender=mask(patient_phone),
        conversation_id=stored.conversation_id,
    )
    enqueue_turn(ctx, clinic_id, stored.conversation_id)
    return "stored"


#: Carrier status words -> ours (Telnyx: developers.telnyx.com message.finalized to[].status;
#: Twilio: twilio.com/docs/messaging/api/message-resource#message-status-values).
CARRIER_STATUS = {
    "queued": "sent",
    "accepted": "sent",
    "scheduled": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "delivery_unconfirmed": "sent",
    "delivery_failed": "failed",
    "sending_failed": "failed",
    "expired": "failed",
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
}
#: Statuses a late or out-of-order callback must never overwrite.
FINAL_STATUSES = frozenset({"delivered", "failed", "blocked"})


def apply_status(ctx: AppContext, update: StatusUpdate) -> bool:
    """Record a delivery status on the outbound row it names. True when a row matched.

    Carrier words map to ours (sent | delivered | failed); a row that reached a final status
    keeps it, since callbacks may arrive out of order.
    """
    with ctx.db.session() as session:
        row = session.execute(
            select(Message).where(
                Message.provider == update.provider,
                Message.provider_message_id == update.provider_message_id,
                Message.direction == "out",
            )
        ).scalar_one_or_none()
        if row is None:
            return False
        status = CARRIER_STATUS.get(update.status, row.status)
        if row.status not in FINAL_STATUSES:
            row.status = status
        if update.error_code:
            row.error_code = update.error_code
            row.error_detail = update.error_detail
        return True


@bp.post("/webhooks/telnyx")
def telnyx_webhook() -> Response:
    """Telnyx messaging and call events (https://developers.telnyx.com/docs/messaging)."""
    ctx = _ctx()
    key = ctx.settings.telnyx_public_key
    if not key:
        return _plain(503, "telnyx webhooks are not configured (TELNYX_PUBLIC_KEY)")
    raw = request.get_data(cache=False)
    try:
        telnyx.verify_signature(
            raw,
            request.headers.get(telnyx.SIGNATURE_HEADER),
            request.headers.get(telnyx.TIMESTAMP_HEADER),
            key,
            now=ctx.clock.now(),
            tolerance_seconds=ctx.settings.webhook_tolerance_seconds,
        )
    except InvalidSignature as exc:
        log.warning("telnyx_bad_signature", reason=str(exc))
        return _plain(401, "invalid signature")
    try:
        event = telnyx.parse_event(json.loads(raw))
    except (json.JSONDecodeError, UnicodeDecodeError, MalformedPayload) as exc:
        log.warning("telnyx_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    if isinstance(event, InboundMessage):
        accept_inbound(ctx, event)
    elif isinstance(event, StatusUpdate):
        apply_status(ctx, event)
    elif isinstance(event, telnyx.TelnyxCallEvent):
        from messaging.calls import on_telnyx_call_event

        on_telnyx_call_event(ctx, event)
    return _plain(200, "ok")


def _twilio_check() -> tuple[AppContext, Any] | Response:
    ctx = _ctx()
    token = ctx.settings.twilio_auth_token
    if not token:
        return _plain(503, "twilio webhooks are not configured (TWILIO_AUTH_TOKEN)")
    url = ctx.settings.public_base_url + request.full_path.rstrip("?")
    form = request.form
    try:
        twilio.verify_signature(url, form, request.headers.get("X-Twilio-Signature"), token)
    except InvalidSignature as exc:
        log.warning("twilio_bad_signature", reason=str(exc))
        return _plain(403, "invalid signature")
    return ctx, form


@bp.post("/webhooks/twilio/sms")
def twilio_sms() -> Response:
    """Twilio inbound SMS; answers an empty TwiML ``<Response/>`` (replies go out by REST)."""
    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    ctx, form = checked
    try:
        message = twilio.parse_inbound(form)
    except MalformedPayload as exc:
        log.warning("twilio_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    accept_inbound(ctx, message)
    return Response(twilio.empty_twiml(), mimetype="text/xml")


@bp.post("/webhooks/twilio/status")
def twilio_status() -> Response:
    """Twilio status callbacks (MessageStatus, ErrorCode) for messages we sent."""
    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    ctx, form = checked
    try:
        update = twilio.parse_status(form)
    except MalformedPayload as exc:
        log.warning("twilio_status_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    apply_status(ctx, update)
    return _plain(200, "ok")


def _voice_xml(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


@bp.post("/webhooks/twilio/voice")
def twilio_voice() -> Response:
    """An inbound call to a clinic number: forward it with ``<Dial action timeout=20>`` to the
    clinic's ``forward_calls_to`` line, or ``<Say>`` + hang up (a missed call, texted back)
    when it has none (https://www.twilio.com/docs/voice/twiml/dial)."""
    from messaging.calls import DIAL_TIMEOUT_SECONDS, on_twilio_voice

    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    ctx, form = checked
    call_sid = (form.get("CallSid") or "").strip()
    caller = (form.get("From") or "").strip()
    to = (form.get("To") or "").strip()
    if not call_sid or not to:
        log.warning("twilio_voice_malformed", has_sid=bool(call_sid), has_to=bool(to))
        return _plain(400, "malformed payload")
    answer = on_twilio_voice(ctx, call_sid, caller, to)
    if answer.forward_to is None:
        log.info("twilio_voice_no_forward", caller=mask(caller), textback=answer.textback)
        return _voice_xml(twilio.say_and_hangup_twiml(answer.say))
    action = ctx.settings.public_base_url + "/webhooks/twilio/voice/status"
    log.info("twilio_voice_forward", caller=mask(caller), to=mask(answer.forward_to))
    return _voice_xml(twilio.dial_twiml(answer.forward_to, action, DIAL_TIMEOUT_SECONDS))


@bp.post("/webhooks/twilio/voice/status")
def twilio_voice_status() -> Response:
    """The ``<Dial action>`` callback: DialCallStatus no-answer/busy/failed/canceled is a
    missed call and gets the text-back; answers an empty ``<Response/>`` (call ends)."""
    from messaging.calls import on_twilio_dial_status

    checked = _twilio_check()
    if isinstance(checked, Response):
        return checked
    ctx, form = checked
    try:
        missed = twilio.parse_dial_action(form)
    except MalformedPayload as exc:
        log.warning("twilio_dial_malformed", reason=str(exc)[:200])
        return _plain(400, "malformed payload")
    outcome = on_twilio_dial_status(ctx, missed)
    log.info("twilio_dial_status", outcome=outcome)
    return _voice_xml(twilio.empty_voice_twiml())
