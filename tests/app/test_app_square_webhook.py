"""``POST /webhooks/square`` over HTTP: signature, parsing, booking on payment, idempotency.

The deposit is created by a real conversation over the Telnyx webhook; the Square event then
names that deposit's order id, as Square's ``payment.updated`` does for a payment link.
Payload shape: https://developer.squareup.com/reference/square/webhooks/payment.updated
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.test import TestResponse

from booking.models import Appointment, Deposit
from messaging.models import Message, StaffAlert
from payments.models import PaymentEvent
from payments.square import SIGNATURE_HEADER
from tests.app.conftest import JANE, Desk, appointment_of

KEY = "sq-key"
URL = "https://frontdesk.test/webhooks/square"


@pytest.fixture
def desk(desk_factory: Callable[..., Desk]) -> Desk:
    """A desk whose Square webhook verifies with ``KEY``."""
    return desk_factory(square_webhook_signature_key=KEY)


def _sign(body: bytes, key: str = KEY, url: str = URL) -> str:
    """Square's signature: base64 HMAC-SHA256 of notification URL + raw body."""
    digest = hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def payment_event(
    order_id: str,
    *,
    event_id: str | None = None,
    payment_id: str = "KkAkhdMsgzn59SM8A89WgKwekxLZY",
    status: str = "COMPLETED",
    amount: int = 5000,
) -> dict[str, Any]:
    """A ``payment.updated`` body shaped like Square's documented example."""
    return {
        "merchant_id": "ML82H4QPKMGXY",
        "type": "payment.updated",
        "event_id": event_id or str(uuid.uuid4()),
        "created_at": "2026-11-23T16:05:02.113Z",
        "data": {
            "type": "payment",
            "id": payment_id,
            "object": {
                "payment": {
                    "id": payment_id,
                    "created_at": "2026-11-23T16:04:58.511Z",
                    "updated_at": "2026-11-23T16:05:01.902Z",
                    "amount_money": {"amount": amount, "currency": "USD"},
                    "total_money": {"amount": amount, "currency": "USD"},
                    "approved_money": {"amount": amount, "currency": "USD"},
                    "status": status,
                    "source_type": "CARD",
                    "card_details": {
                        "status": "CAPTURED" if status == "COMPLETED" else "AUTHORIZED"
                    },
                    "location_id": "L88917AVBK2S5",
                    "order_id": order_id,
                    "receipt_number": "KkAk",
                    "version": 3,
                    "version_token": "zpCBiO0YgSg5cCEqjUxHQGEuZA9SJBdp1WwI",
                }
            },
        },
    }


def _post(
    desk: Desk, payload: dict[str, Any] | bytes, signature: str | None = None
) -> TestResponse:
    """POST ``payload`` to /webhooks/square, signed with ``KEY`` unless ``signature`` is given."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sig = _sign(body) if signature is None else signature
    return desk.client.post(
        "/webhooks/square",
        data=body,
        headers={SIGNATURE_HEADER: sig, "content-type": "application/json"},
    )


def _confirmations(desk: Desk) -> list[str]:
    """Booking confirmation texts sent to Jane."""
    return [b for b in desk.ctx.recording.bodies(JANE) if b.startswith("You're booked")]


def _booked_notices(desk: Desk) -> int:
    return desk.count(StaffAlert, StaffAlert.kind == "notice", StaffAlert.reason == "booked")


def test_completed_payment_books_and_confirms(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert deposit.order_id
    response = _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-1"))
    assert response.status_code == 200
    appt = appointment_of(desk.ctx, deposit)
    assert appt.status == "booked"
    [confirmation] = _confirmations(desk)
    assert "Botox" in confirmation and "$50.00 deposit is received" in confirmation
    assert _booked_notices(desk) == 1
    with desk.ctx.db.session() as s:
        row = s.get(Deposit, deposit.id)
        assert row is not None
        assert (row.status, row.payment_id) == ("paid", "sq-pay-1")
    assert desk.count(Message, Message.kind == "confirmation", Message.to_number == JANE) == 1


def test_same_event_again_changes_nothing(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.order_id
    event = payment_event(deposit.order_id, event_id="evt-sq-1")
    assert _post(desk, event).status_code == 200
    sent = len(desk.ctx.recording.sent)
    again = _post(desk, event)
    assert again.status_code == 200
    assert len(desk.ctx.recording.sent) == sent
    assert len(_confirmations(desk)) == 1
    assert _booked_notices(desk) == 1
    assert desk.count(PaymentEvent) == 1


def test_new_event_for_the_same_payment_confirms_once(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.order_id
    assert _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-1")).status_code == 200
    assert _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-1")).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "booked"
    assert len(_confirmations(desk)) == 1
    assert _booked_notices(desk) == 1
    assert desk.count(PaymentEvent) == 2


def test_payment_not_yet_completed_books_nothing(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.order_id
    response = _post(desk, payment_event(deposit.order_id, status="APPROVED"))
    assert response.status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert _confirmations(desk) == []
    # ... and the COMPLETED update that follows still books.
    assert _post(desk, payment_event(deposit.order_id)).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "booked"


def test_payment_for_an_unknown_order_is_acknowledged(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    sent = len(desk.ctx.recording.sent)
    assert _post(desk, payment_event("CAISENgvhpdP05f1DWG9H8yMn4kZY")).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert len(desk.ctx.recording.sent) == sent


@pytest.mark.parametrize("how", ["wrong_key", "other_url", "body_changed", "missing"])
def test_bad_signature_is_401_and_changes_nothing(desk: Desk, how: str) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.order_id
    body = json.dumps(payment_event(deposit.order_id)).encode()
    signature = {
        "wrong_key": _sign(body, key="other-key"),
        "other_url": _sign(body, url="http://frontdesk.test/webhooks/square"),
        "body_changed": _sign(body.replace(b"5000", b"5001")),
        "missing": "",
    }[how]
    response = _post(desk, body, signature=signature)
    assert response.status_code == 401
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert desk.count(PaymentEvent) == 0
    assert _confirmations(desk) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"type": "payment.updated", "event_id": ', id="truncated-json"),
        pytest.param(b"[]", id="array"),
        pytest.param(b'{"type": "payment.updated"}', id="no-event-id"),
        pytest.param(
            json.dumps({"type": "payment.updated", "event_id": "e1", "data": {}}).encode(),
            id="no-payment-object",
        ),
    ],
)
def test_malformed_body_is_400(desk: Desk, body: bytes) -> None:
    assert _post(desk, body).status_code == 400
    assert desk.count(PaymentEvent) == 0


def test_key_unset_answers_503(desk_factory: Callable[..., Desk]) -> None:
    desk = desk_factory()
    response = _post(desk, payment_event("CAISENgvhpdP05f1DWG9H8yMn4kZY"))
    assert response.status_code == 503
    assert desk.count(PaymentEvent) == 0


def test_completed_refund_marks_the_deposit_refunded(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.order_id
    assert _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-9")).status_code == 200
    refund = {
        "merchant_id": "ML82H4QPKMGXY",
        "type": "refund.updated",
        "event_id": str(uuid.uuid4()),
        "created_at": "2026-11-23T17:00:00Z",
        "data": {
            "type": "refund",
            "id": "sq-refund-1",
            "object": {
                "refund": {
                    "id": "sq-refund-1",
                    "status": "COMPLETED",
                    "amount_money": {"amount": 5000, "currency": "USD"},
                    "payment_id": "sq-pay-9",
                    "order_id": "refund-order-1",
                    "location_id": "L88917AVBK2S5",
                }
            },
        },
    }
    assert _post(desk, refund).status_code == 200
    with desk.ctx.db.session() as s:
        row = s.get(Deposit, deposit.id)
        assert row is not None
        assert (row.status, row.refund_id) == ("refunded", "sq-refund-1")


def test_redelivery_after_a_crash_mid_apply_still_books(desk: Desk) -> None:
    """A worker that died after saving the event row but before applying it: Square's
    retry (same event id) must still book the paid deposit, exactly once."""
    deposit = desk.book_to_deposit()
    assert deposit.order_id
    event = payment_event(deposit.order_id, event_id="evt-sq-crash")
    with desk.ctx.db.session() as s:  # the state such a crash leaves behind
        s.add(
            PaymentEvent(
                event_id="evt-sq-crash",
                provider="square",
                type=event["type"],
                payload=event,
                received_at=desk.clock.now(),
            )
        )
    assert _post(desk, event).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "booked"
    assert _post(desk, event).status_code == 200  # and once processed, a repeat is a no-op
    assert len(_confirmations(desk)) == 1


def test_appointment_row_is_the_one_held(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.order_id
    assert _post(desk, payment_event(deposit.order_id)).status_code == 200
    with desk.ctx.db.session() as s:
        appts = list(s.query(Appointment).filter(Appointment.patient_phone == JANE))
        assert [(a.id, a.status, a.service_id) for a in appts] == [
            (deposit.appointment_id, "booked", "botox")
        ]
