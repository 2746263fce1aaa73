"""Square's webhook route: ``POST /webhooks/square`` (``payment.*`` and ``refund.*`` events).

The signature is HMAC-SHA256 over the notification URL (``PUBLIC_BASE_URL`` + path) and the
raw body (https://developer.squareup.com/docs/webhooks/step3validate): 401 on a bad one,
nothing stored; 503 while ``SQUARE_WEBHOOK_SIGNATURE_KEY`` is unset; 400 for a malformed
body (invalid, deeply nested or non-finite JSON), logged. A signed event's strings are cleaned
of NUL and lone surrogates before it is stored (``app.untrusted.load_json``). Each event is
stored by its id before it is applied and marked processed only once the app's handler
returned, so Square's redelivery (it retries on non-2xx) applies an event that failed
half-way, and applies a processed one never again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from flask import Blueprint, Flask, Response, current_app, request

from app.db import Database, insert_or_ignore
from app.settings import Settings
from app.untrusted import UntrustedJSON, load_json
from payments import square
from payments.models import PaymentEvent

log = structlog.get_logger(__name__)

bp = Blueprint("square_webhook", __name__)
_EXTENSION = "frontdesk.square"


@dataclass(frozen=True)
class SquareHandlers:
    """What the route needs from the app.

    Attributes:
        settings: ``square_webhook_signature_key`` and ``public_base_url``, read per request.
        db: where events are stored.
        now: the clock.
        event: applies a verified, new event to the booking lifecycle (the payment flow).
    """

    settings: Settings
    db: Database
    now: Callable[[], dt.datetime]
    event: Callable[[square.SquareEvent], object]


def install(app: Flask, handlers: SquareHandlers) -> None:
    """Register ``/webhooks/square`` on ``app``, handing events to ``handlers``."""
    app.extensions[_EXTENSION] = handlers
    app.register_blueprint(bp)


def _text(status: int, body: str) -> Response:
    return Response(body + "\n", status=status, mimetype="text/plain")


@bp.post("/webhooks/square")
def square_webhook() -> Response:
    """Verify, parse, store once, apply, mark processed."""
    handlers: SquareHandlers = current_app.extensions[_EXTENSION]
    key = handlers.settings.square_webhook_signature_key
    if not key:
        return _text(503, "square webhooks are not configured (SQUARE_WEBHOOK_SIGNATURE_KEY)")
    raw = request.get_data(cache=False)
    url = handlers.settings.public_base_url + request.path
    if not square.verify_signature(key, url, raw, request.headers.get(square.SIGNATURE_HEADER)):
        log.warning("square_bad_signature")
        return _text(401, "invalid signature")
    try:
        payload = load_json(raw)
        event = square.parse_event(payload)
    except (UntrustedJSON, square.MalformedEvent) as exc:
        log.warning("square_malformed", reason=str(exc)[:200])
        return _text(400, "malformed payload")
    with handlers.db.session() as session:
        insert_or_ignore(
            session,
            PaymentEvent,
            {
                "event_id": event.event_id,
                "provider": "square",
                "type": event.type,
                "payload": payload,
                "received_at": handlers.now(),
            },
            ["event_id"],
        )
        row = session.get(PaymentEvent, event.event_id)
        if row is not None and row.processed_at is not None:
            return _text(200, "duplicate")
    handlers.event(event)
    with handlers.db.session() as session:
        done = session.get(PaymentEvent, event.event_id)
        if done is not None:
            done.processed_at = handlers.now()
    return _text(200, "ok")
