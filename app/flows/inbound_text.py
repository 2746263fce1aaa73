"""Inbound text flow: a patient's text, verified and parsed by its carrier's webhook route
(:mod:`messaging.webhooks`), is routed, stored and handed to the turn flow.

1. :func:`receive_text` routes the text to the clinic that owns the number it was sent to;
2. stores it (unique carrier event id: a redelivery is a duplicate and does nothing) before
   the webhook acknowledges, so a text is never lost once the carrier got its 200;
3. enqueues :func:`app.flows.turn.take_turn` after the clinic's burst window (texts arriving
   together become one turn; the inline queue runs it at once).
"""

from __future__ import annotations

import threading
import time

import structlog

from app.context import AppContext
from app.flows.turn import take_turn
from messaging.base import InboundMessage
from messaging.inbound import store_inbound, store_invalid_sender
from messaging.phones import mask, to_e164

log = structlog.get_logger(__name__)

#: Burst window when a clinic sets none (``burst_window_seconds``).
DEFAULT_BURST_SECONDS = 4.0
_BURST_CACHE_SECONDS = 60.0
_burst_cache: dict[str, tuple[float, float]] = {}
_burst_guard = threading.Lock()


def receive_text(ctx: AppContext, message: InboundMessage) -> str:
    """Route, store and enqueue one inbound text.

    Returns:
        What happened: stored | duplicate | unknown_number | invalid_sender.
    """
    try:
        clinic_phone = to_e164(message.to_number)
    except ValueError:
        log.warning("inbound_invalid_recipient", carrier=message.carrier)
        return "unknown_number"
    now = ctx.clock.now()
    with ctx.db.session() as session:
        clinic_id = ctx.clinic_for_number(session, clinic_phone)
        if clinic_id is None:
            log.warning("inbound_unknown_number", to=mask(clinic_phone), carrier=message.carrier)
            return "unknown_number"
        try:
            patient_phone = to_e164(message.from_number)
        except ValueError:
            created = store_invalid_sender(
                session, message, clinic_id=clinic_id, clinic_phone=clinic_phone, now=now
            )
            log.warning("inbound_invalid_sender", carrier=message.carrier, stored=created)
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
        log.info("inbound_duplicate", carrier=message.carrier)
        return "duplicate"
    log.info(
        "inbound_stored",
        carrier=message.carrier,
        sender=mask(patient_phone),
        conversation_id=stored.conversation_id,
    )
    enqueue_turn(ctx, clinic_id, stored.conversation_id)
    return "stored"


def enqueue_turn(ctx: AppContext, clinic_id: str, conversation_id: int) -> None:
    """Enqueue the conversation's turn after the burst window (at once on the inline queue)."""
    delay = burst_window_seconds(ctx, clinic_id) if ctx.jobs.delays else 0.0
    if delay > 0:
        ctx.jobs.enqueue_in(delay, take_turn, conversation_id)
    else:
        ctx.jobs.enqueue(take_turn, conversation_id)


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
