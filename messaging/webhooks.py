"""Carrier webhooks: ``/webhooks/telnyx``, ``/webhooks/twilio/sms``, ``/webhooks/twilio/status``.

Each verifies the carrier's signature first (401 on failure, nothing stored; 503 when the
carrier's secret is unset), parses (400 on a malformed body, logged), stores the text before
acknowledging, and enqueues the conversation's turn. Duplicates answer 200 and do nothing.
Signature schemes: shared/reference/protocols.md (Telnyx Ed25519, Twilio HMAC-SHA1).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import structlog
from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from messaging import telnyx, twilio
from messaging.base import InboundMessage, StatusUpdate
from messaging.errors import InvalidSignature, MalformedPayload
from messaging.inbound import store_inbound
from messaging.models import Message
from messaging.phones import mask, to_e164

if TYPE_CHECKING:
    from app.context import AppContext

log = structlog.get_logger(__name__)

bp = Blueprint("carrier_webhooks", __name__)


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
            log.warning("inbound_invalid_sender", provider=message.provider)
            return "invalid_sender"
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
    ctx.jobs.enqueue("handle_conversation", stored.conversation_id)
    return "stored"


def apply_status(ctx: AppContext, update: StatusUpdate) -> bool:
    """Record a delivery status on the outbound row it names. True when a row matched."""
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
        row.status = update.status
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
