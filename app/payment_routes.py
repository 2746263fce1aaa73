"""Deposit payment routes: ``POST /webhooks/square`` and the local test checkout pages.

Both end in :func:`apply_payment`, which hands the payment to the booking lifecycle. Square's
signature is HMAC-SHA256 over the notification URL (``PUBLIC_BASE_URL`` + path) and the raw
body (https://developer.squareup.com/docs/webhooks/step3validate); an event id is applied once.
"""

from __future__ import annotations

import json
from typing import Literal

import structlog
from flask import Blueprint, Response, current_app, redirect, request
from sqlalchemy import select

from app.context import AppContext
from app.db import insert_or_ignore
from booking.deposits import PaymentOutcome, record_payment
from booking.models import Appointment, Deposit
from payments import square
from payments.local import local_payment_id
from payments.models import PaymentEvent
from payments.templates import render_checkout_page

log = structlog.get_logger(__name__)

bp = Blueprint("payments", __name__)

#: Deposit states in which the local checkout still takes the payment (an expired hold may
#: still be booked if its time is free, else the payment is refunded, as with Square).
PAYABLE = ("open", "expired")


def _ctx() -> AppContext:
    return current_app.extensions["frontdesk"]  # type: ignore[no-any-return]


def apply_payment(ctx: AppContext, order_id: str, payment_id: str) -> PaymentOutcome:
    """Apply a completed payment of ``order_id`` to its deposit and appointment."""
    with ctx.db.session() as session:
        clinic_id = session.execute(
            select(Deposit.clinic_id).where(Deposit.order_id == order_id)
        ).scalar_one_or_none()
    if clinic_id is None:
        log.warning("payment_unknown_order")
        return PaymentOutcome("unknown_order")
    clinic = ctx.clinic(clinic_id)
    if clinic is None:
        return PaymentOutcome("unknown_order")
    outcome = record_payment(
        ctx.db,
        ctx.emr_for(clinic),
        ctx.deposits,
        clinic=ctx.clinic_terms(clinic),
        order_id=order_id,
        payment_id=payment_id,
        now=ctx.clock.now(),
    )
    log.info("payment_applied", result=outcome.result, appointment_id=outcome.appointment_id)
    return outcome


def _text(status: int, body: str) -> Response:
    return Response(body + "\n", status=status, mimetype="text/plain")


@bp.post("/webhooks/square")
def square_webhook() -> Response:
    """Square ``payment.*`` and ``refund.*`` events for deposit payment links."""
    ctx = _ctx()
    key = ctx.settings.square_webhook_signature_key
    if not key:
        return _text(503, "square webhooks are not configured (SQUARE_WEBHOOK_SIGNATURE_KEY)")
    raw = request.get_data(cache=False)
    url = ctx.settings.public_base_url + request.path
    if not square.verify_signature(key, url, raw, request.headers.get(square.SIGNATURE_HEADER)):
        log.warning("square_bad_signature")
        return _text(401, "invalid signature")
    try:
        payload = json.loads(raw)
        event = square.parse_event(payload)
    except (json.JSONDecodeError, UnicodeDecodeError, square.MalformedEvent) as exc:
        log.warning("square_malformed", reason=str(exc)[:200])
        return _text(400, "malformed payload")
    with ctx.db.session() as session:
        insert_or_ignore(
            session,
            PaymentEvent,
            {
                "event_id": event.event_id,
                "provider": "square",
                "type": event.type,
                "payload": payload,
                "received_at": ctx.clock.now(),
            },
            ["event_id"],
        )
        row = session.get(PaymentEvent, event.event_id)
        if row is not None and row.processed_at is not None:
            return _text(200, "duplicate")
    # Applying is idempotent on the deposit's own status, so a redelivery after a failure
    # (Square retries on non-2xx) applies it; only success marks the event processed.
    if event.is_payment_completed and event.order_id and event.payment_id:
        apply_payment(ctx, event.order_id, event.payment_id)
    elif event.refund_id and event.payment_id:
        with ctx.db.session() as session:
            deposit = session.execute(
                select(Deposit).where(Deposit.payment_id == event.payment_id)
            ).scalar_one_or_none()
            if deposit is not None:
                deposit.refund_id = event.refund_id
                if event.refund_status == "COMPLETED":
                    deposit.status = "refunded"
    with ctx.db.session() as session:
        done = session.get(PaymentEvent, event.event_id)
        if done is not None:
            done.processed_at = ctx.clock.now()
    return _text(200, "ok")


def _deposit_by_link(ctx: AppContext, link_id: str) -> tuple[Deposit, Appointment] | None:
    with ctx.db.session() as session:
        deposit = session.execute(
            select(Deposit).where(Deposit.payment_link_id == link_id, Deposit.provider == "local")
        ).scalar_one_or_none()
        if deposit is None:
            return None
        appt = session.get(Appointment, deposit.appointment_id)
        assert appt is not None
        return deposit, appt


@bp.get("/checkout/<link_id>")
def checkout_page(link_id: str) -> Response:
    """The local test checkout for one deposit (embedded default only)."""
    ctx = _ctx()
    found = _deposit_by_link(ctx, link_id)
    if found is None:
        return _text(404, "no such payment link")
    deposit, appt = found
    clinic = ctx.clinic(deposit.clinic_id)
    state: Literal["open", "paid", "closed"] = (
        "paid"
        if deposit.status in ("paid", "refunded")
        else ("open" if deposit.status in PAYABLE else "closed")
    )
    message = ""
    if deposit.status == "expired":
        message = "Your hold has expired; if the time is still free paying books it, else you are refunded."
    page = render_checkout_page(
        clinic_name=clinic.clinic.name if clinic else "",
        title=f"{appt.service_name} deposit",
        amount_cents=deposit.amount_cents,
        currency=deposit.currency,
        pay_url=f"/checkout/{link_id}/pay",
        state=state,
        message=message,
    )
    return Response(page, mimetype="text/html")


@bp.post("/checkout/<link_id>/pay")
def checkout_pay(link_id: str) -> Response:
    """Complete the local test payment: the same path as Square's COMPLETED payment."""
    ctx = _ctx()
    found = _deposit_by_link(ctx, link_id)
    if found is None:
        return _text(404, "no such payment link")
    deposit, _ = found
    if deposit.status not in PAYABLE or not deposit.order_id:
        return _text(409, "this payment link is no longer active")
    outcome = apply_payment(ctx, deposit.order_id, local_payment_id(deposit.order_id))
    if request.accept_mimetypes.best == "application/json":
        return Response(json.dumps({"result": outcome.result}), mimetype="application/json")
    return redirect(f"/checkout/{link_id}", code=303)  # type: ignore[return-value]
