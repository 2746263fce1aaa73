"""``POST /webhooks/square`` over HTTP: signature, parsing, booking on payment, idempotency,
and a payment that is not exactly its deposit booking nothing.

The deposit is a Square payment link made by a real conversation over the Telnyx webhook, with
Square's API faked at the HTTP boundary (respx); the Square event then names that link's order
id, as Square's ``payment.updated`` does for a payment link.
Payload shape: https://developer.squareup.com/reference/square/webhooks/payment.updated
Payment link: https://developer.squareup.com/reference/square/checkout-api/create-payment-link
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from werkzeug.test import TestResponse

from booking.models import Appointment, Deposit
from messaging.models import Message, StaffAlert
from payments.models import PaymentEvent
from payments.square import SIGNATURE_HEADER, SquareDeposits
from tests.app.conftest import JANE, Desk, appointment_of, open_deposit

KEY = "sq-key"
URL = "https://frontdesk.test/webhooks/square"
SANDBOX = "https://connect.squareupsandbox.com"
LINKS = "/v2/online-checkout/payment-links"
LOCATION = "L88917AVBK2S5"


@pytest.fixture
def square_api() -> Iterator[respx.MockRouter]:
    """Square's API at the HTTP boundary: each CreatePaymentLink answers a new link and order
    (shaped like Square's documented response); links can be deleted, payments refunded."""
    numbers = itertools.count(1)

    def create_link(request: httpx.Request) -> httpx.Response:
        n = next(numbers)
        quick_pay = json.loads(request.content)["quick_pay"]
        return httpx.Response(
            200,
            json={
                "payment_link": {
                    "id": f"FWT463MU2JIG7S{n:02d}",
                    "version": 1,
                    "order_id": f"C0DMgui6YFmgyURVSRtxr4EShh{n:02d}",
                    "url": f"https://sandbox.square.link/u/jUjglZ{n:02d}",
                    "created_at": "2026-11-23T16:01:40Z",
                },
                "related_resources": {
                    "orders": [{"total_money": quick_pay["price_money"], "state": "DRAFT"}]
                },
            },
        )

    with respx.mock(base_url=SANDBOX, assert_all_called=False, assert_all_mocked=True) as api:
        api.post(LINKS).mock(side_effect=create_link)
        api.delete(path__startswith=f"{LINKS}/").respond(200, json={})
        yield api


@pytest.fixture
def desk(desk_factory: Callable[..., Desk], square_api: respx.MockRouter) -> Desk:
    """A desk taking deposits by Square payment links, whose webhook verifies with ``KEY``."""
    return desk_factory(
        square_webhook_signature_key=KEY,
        deposits=SquareDeposits("EAAAl-test-token", LOCATION),
    )


def book_to_deposit(desk: Desk) -> Deposit:
    """Jane books Botox by text until the Square link is sent; her open deposit."""
    desk.say("can i book botox thursday after 4")
    replies = desk.say("1")
    assert any("https://sandbox.square.link/" in r for r in replies), replies
    deposit = open_deposit(desk.ctx, JANE)
    assert deposit.provider == "square"
    return deposit


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
    currency: str = "USD",
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
                    "amount_money": {"amount": amount, "currency": currency},
                    "total_money": {"amount": amount, "currency": currency},
                    "approved_money": {"amount": amount, "currency": currency},
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
    deposit = book_to_deposit(desk)
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
    deposit = book_to_deposit(desk)
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
    deposit = book_to_deposit(desk)
    assert deposit.order_id
    assert _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-1")).status_code == 200
    assert _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-1")).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "booked"
    assert len(_confirmations(desk)) == 1
    assert _booked_notices(desk) == 1
    assert desk.count(PaymentEvent) == 2


def test_payment_not_yet_completed_books_nothing(desk: Desk) -> None:
    deposit = book_to_deposit(desk)
    assert deposit.order_id
    response = _post(desk, payment_event(deposit.order_id, status="APPROVED"))
    assert response.status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert _confirmations(desk) == []
    # ... and the COMPLETED update that follows still books.
    assert _post(desk, payment_event(deposit.order_id)).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "booked"


def test_payment_for_an_unknown_order_is_acknowledged(desk: Desk) -> None:
    deposit = book_to_deposit(desk)
    sent = len(desk.ctx.recording.sent)
    assert _post(desk, payment_event("CAISENgvhpdP05f1DWG9H8yMn4kZY")).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert len(desk.ctx.recording.sent) == sent


@pytest.mark.parametrize("how", ["wrong_key", "other_url", "body_changed", "missing"])
def test_bad_signature_is_401_and_changes_nothing(desk: Desk, how: str) -> None:
    deposit = book_to_deposit(desk)
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
    deposit = book_to_deposit(desk)
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
    deposit = book_to_deposit(desk)
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
    deposit = book_to_deposit(desk)
    assert deposit.order_id
    assert _post(desk, payment_event(deposit.order_id)).status_code == 200
    with desk.ctx.db.session() as s:
        appts = list(s.query(Appointment).filter(Appointment.patient_phone == JANE))
        assert [(a.id, a.status, a.service_id) for a in appts] == [
            (deposit.appointment_id, "booked", "botox")
        ]


def _mismatch_alerts(desk: Desk) -> list[str]:
    with desk.ctx.db.session() as s:
        rows = s.query(StaffAlert).filter(StaffAlert.reason == "payment_mismatch").all()
        assert all(r.kind == "alert" for r in rows)
        return [r.summary for r in rows]


def _deposit_row(desk: Desk, deposit: Deposit) -> Deposit:
    with desk.ctx.db.session() as s:
        row = s.get(Deposit, deposit.id)
        assert row is not None
        s.expunge(row)
        return row


@pytest.mark.parametrize(
    ("amount", "currency", "expected_words"),
    [
        pytest.param(100, "USD", "square paid $1.00 USD", id="amount-too-low"),
        pytest.param(50000, "USD", "square paid $500.00 USD", id="amount-too-high"),
        pytest.param(5000, "CAD", "square paid CA$50.00 CAD", id="other-currency"),
    ],
)
def test_completed_payment_of_another_amount_or_currency_books_nothing(
    desk: Desk, amount: int, currency: str, expected_words: str
) -> None:
    deposit = book_to_deposit(desk)
    assert deposit.order_id
    event = payment_event(
        deposit.order_id, payment_id="sq-pay-odd", amount=amount, currency=currency
    )
    assert _post(desk, event).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert _confirmations(desk) == [] and _booked_notices(desk) == 0
    [alert] = _mismatch_alerts(desk)
    assert expected_words in alert and "the deposit is $50.00 USD by square" in alert
    assert "Botox" in alert and "NOT booked" in alert
    row = _deposit_row(desk, deposit)
    assert row.status == "open" and row.payment_id is None
    assert row.error is not None and "sq-pay-odd" in row.error  # kept for review
    with desk.ctx.db.session() as s:
        stored = s.get(PaymentEvent, event["event_id"])
        assert stored is not None and stored.processed_at is not None
    # Square retries, or sends a new update of the same payment: staff are not alerted again.
    assert _post(desk, event).status_code == 200
    assert _post(desk, {**event, "event_id": str(uuid.uuid4())}).status_code == 200
    assert len(_mismatch_alerts(desk)) == 1
    # The real deposit, paid after, still books.
    assert _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-ok")).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "booked"
    assert len(_confirmations(desk)) == 1


def test_payment_without_an_amount_books_nothing(desk: Desk) -> None:
    deposit = book_to_deposit(desk)
    assert deposit.order_id
    event = payment_event(deposit.order_id)
    payment = event["data"]["object"]["payment"]
    for key in ("amount_money", "total_money", "approved_money"):
        del payment[key]
    assert _post(desk, event).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    [alert] = _mismatch_alerts(desk)
    assert "square paid an unreported amount" in alert


def test_square_payment_for_a_deposit_of_another_provider_books_nothing(
    desk_factory: Callable[..., Desk],
) -> None:
    """A local-checkout deposit (the embedded default's) is never paid by a Square event, even
    one with the right order id and amount."""
    desk = desk_factory(square_webhook_signature_key=KEY)
    deposit = desk.book_to_deposit()
    assert deposit.provider == "local" and deposit.order_id
    assert _post(desk, payment_event(deposit.order_id, payment_id="sq-pay-x")).status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    assert _confirmations(desk) == []
    [alert] = _mismatch_alerts(desk)
    assert "square paid $50.00 USD; the deposit is $50.00 USD by local" in alert
    assert _deposit_row(desk, deposit).status == "open"
