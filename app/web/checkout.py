"""The local test checkout (embedded default only): ``GET /checkout/<link_id>`` shows a deposit
and ``POST /checkout/<link_id>/pay`` pays it, by the same path as Square's COMPLETED payment
(:func:`app.flows.payment.apply_payment`).

No card is charged, so the routes exist only where :func:`enabled` says so: the embedded
default, or ``FRONTDESK_DEMO_CHECKOUT=1``. Beside live carrier keys or Postgres they are not
registered (404): a link texted to a real patient must never book without a payment.
"""

from __future__ import annotations

import json
from typing import Literal

from flask import Blueprint, Response, current_app, redirect, request
from sqlalchemy import select

from app import copy
from app.context import AppContext
from app.flows.payment import apply_payment
from booking.models import Appointment, Deposit
from booking.paid import ReceivedPayment
from payments.local import local_payment_id
from payments.templates import render_checkout_page

bp = Blueprint("checkout", __name__)

#: Deposit states in which the local checkout still takes the payment (an expired hold may
#: still be booked if its time is free, else the payment is refunded, as with Square).
PAYABLE = ("open", "expired")


def enabled(ctx: AppContext) -> bool:
    """Whether ``create_app`` serves these routes.

    Args:
        ctx: the app's context.

    Returns:
        True when the settings allow the test checkout
        (:attr:`app.settings.Settings.local_checkout_enabled`) and deposits are the local
        ones (with Square configured, a stale local link must not book for free either).
    """
    return ctx.settings.local_checkout_enabled and ctx.deposits.name == "local"


def _ctx() -> AppContext:
    return current_app.extensions["frontdesk"]  # type: ignore[no-any-return]


def _text(status: int, body: str) -> Response:
    return Response(body + "\n", status=status, mimetype="text/plain")


def _deposit_by_link(ctx: AppContext, link_id: str) -> tuple[Deposit, Appointment] | None:
    with ctx.db.session() as session:
        deposit = session.execute(
            select(Deposit).where(Deposit.payment_link_id == link_id, Deposit.provider == "local")
        ).scalar_one_or_none()
        if deposit is None:
            return None
        appt = session.get(Appointment, deposit.appointment_id)
        return None if appt is None else (deposit, appt)


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
        message = copy.CHECKOUT_HOLD_EXPIRED
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
    # The local page takes exactly the deposit it shows, through the local provider.
    paid = ReceivedPayment(
        "local", local_payment_id(deposit.order_id), deposit.amount_cents, deposit.currency
    )
    outcome = apply_payment(ctx, deposit.order_id, paid)
    if request.accept_mimetypes.best == "application/json":
        return Response(json.dumps({"result": outcome.result}), mimetype="application/json")
    return redirect(f"/checkout/{link_id}", code=303)  # type: ignore[return-value]
