"""SquareDeposits against Square's HTTP API, faked at the httpx boundary with respx.

Response bodies follow Square's documented examples:
https://developer.squareup.com/docs/checkout-api/quick-pay-checkout (CreatePaymentLink),
https://developer.squareup.com/reference/square/refunds-api/refund-payment (RefundPayment).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from payments.base import DepositProvider, PaymentError, PaymentLink, Refund
from payments.square import SquareApiError, SquareDeposits

TOKEN = "EAAAl-secret-test-token-do-not-log"
LOCATION = "L88917AVBK2S5"
SANDBOX = "https://connect.squareupsandbox.com"
LINKS = "/v2/online-checkout/payment-links"

CREATE_LINK_RESPONSE: dict[str, Any] = {
    "payment_link": {
        "id": "FWT463MU2JIG7S3D",
        "version": 1,
        "description": "",
        "order_id": "C0DMgui6YFmgyURVSRtxr4EShheZY",
        "checkout_options": {"allow_tipping": False, "ask_for_shipping_address": False},
        "url": "https://sandbox.square.link/u/jUjglZiR",
        "long_url": "https://connect.squareupsandbox.com/v2/online-checkout/sandbox-testing-panel/"
        "L88917AVBK2S5/FWT463MU2JIG7S3D",
        "created_at": "2022-04-23T18:54:40Z",
        "payment_note": "Deposit for hold h_123",
    },
    "related_resources": {
        "orders": [
            {
                "id": "C0DMgui6YFmgyURVSRtxr4EShheZY",
                "location_id": LOCATION,
                "source": {"name": "Test Online Checkout Application"},
                "line_items": [
                    {
                        "uid": "8YX13D1U3jO7czP8JVrAR",
                        "name": "Botox deposit",
                        "quantity": "1",
                        "item_type": "ITEM",
                        "base_price_money": {"amount": 5000, "currency": "USD"},
                        "variation_total_price_money": {"amount": 5000, "currency": "USD"},
                        "total_tax_money": {"amount": 0, "currency": "USD"},
                        "total_discount_money": {"amount": 0, "currency": "USD"},
                        "total_money": {"amount": 5000, "currency": "USD"},
                    }
                ],
                "fulfillments": [
                    {"uid": "bBpNrxjdQxGQP16sTmdzi", "type": "DIGITAL", "state": "PROPOSED"}
                ],
                "net_amounts": {
                    "total_money": {"amount": 5000, "currency": "USD"},
                    "tax_money": {"amount": 0, "currency": "USD"},
                    "discount_money": {"amount": 0, "currency": "USD"},
                    "tip_money": {"amount": 0, "currency": "USD"},
                    "service_charge_money": {"amount": 0, "currency": "USD"},
                },
                "created_at": "2022-04-23T18:54:40.036Z",
                "updated_at": "2022-04-23T18:54:40.036Z",
                "state": "DRAFT",
                "version": 1,
                "total_money": {"amount": 5000, "currency": "USD"},
                "total_tax_money": {"amount": 0, "currency": "USD"},
                "total_discount_money": {"amount": 0, "currency": "USD"},
                "total_tip_money": {"amount": 0, "currency": "USD"},
                "total_service_charge_money": {"amount": 0, "currency": "USD"},
                "net_amount_due_money": {"amount": 5000, "currency": "USD"},
            }
        ]
    },
}

REFUND_RESPONSE: dict[str, Any] = {
    "refund": {
        "id": "R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY_KlWP8IC1557ddwc9QWTKrCVU6m0JXDz15R2Qym5eQfR",
        "status": "PENDING",
        "amount_money": {"amount": 5000, "currency": "USD"},
        "payment_id": "R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY",
        "order_id": "1JLEUZeEooAIX8HMqm9kvWd69aQZY",
        "location_id": LOCATION,
        "reason": "Hold expired; slot taken",
        "created_at": "2021-10-13T21:23:19.116Z",
        "updated_at": "2021-10-13T21:23:19.508Z",
    }
}


def _error_body(category: str, code: str, detail: str, field: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"category": category, "code": code, "detail": detail}
    if field:
        err["field"] = field
    return {"errors": [err]}


@pytest.fixture
def square() -> SquareDeposits:
    return SquareDeposits(TOKEN, LOCATION)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=SANDBOX, assert_all_called=True, assert_all_mocked=True) as mock:
        yield mock


def _create(square: SquareDeposits, key: str = "deposit-42") -> PaymentLink:
    return square.create_link(
        idempotency_key=key,
        amount_cents=5000,
        currency="usd",
        title="Botox deposit",
        note="Deposit for hold h_123",
    )


def test_satisfies_protocol(square: SquareDeposits) -> None:
    provider: DepositProvider = square
    assert provider.name == "square"
    assert TOKEN not in repr(square)


def test_create_link_request_and_response(square: SquareDeposits, router: respx.MockRouter) -> None:
    route = router.post(LINKS).respond(200, json=CREATE_LINK_RESPONSE)

    link = _create(square)

    assert link == PaymentLink(
        id="FWT463MU2JIG7S3D",
        url="https://sandbox.square.link/u/jUjglZiR",
        order_id="C0DMgui6YFmgyURVSRtxr4EShheZY",
    )
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert body["idempotency_key"] == "deposit-42"
    assert body["quick_pay"] == {
        "name": "Botox deposit",
        "price_money": {"amount": 5000, "currency": "USD"},
        "location_id": LOCATION,
    }
    assert body["payment_note"] == "Deposit for hold h_123"
    assert body["checkout_options"]["allow_tipping"] is False
    assert "order" not in body


def test_create_link_long_key_is_shortened_stably(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    route = router.post(LINKS).respond(200, json=CREATE_LINK_RESPONSE)
    key = "k" * 300
    _create(square, key)
    _create(square, key)
    keys = [json.loads(c.request.content)["idempotency_key"] for c in route.calls]
    assert keys[0] == keys[1]
    assert len(keys[0]) <= 192


def test_create_link_redirect_url_and_production_host() -> None:
    with respx.mock(base_url="https://connect.squareup.com", assert_all_called=True) as prod:
        route = prod.post(LINKS).respond(200, json=CREATE_LINK_RESPONSE)
        square = SquareDeposits(
            TOKEN, LOCATION, "production", redirect_url="https://spa.example/paid"
        )
        _create(square)
    body = json.loads(route.calls.last.request.content)
    assert body["checkout_options"]["redirect_url"] == "https://spa.example/paid"


def test_base_url_override() -> None:
    with respx.mock(base_url="http://square.test", assert_all_called=True) as mock:
        mock.post(LINKS).respond(200, json=CREATE_LINK_RESPONSE)
        square = SquareDeposits(TOKEN, LOCATION, base_url="http://square.test")
        assert _create(square).id == "FWT463MU2JIG7S3D"


def test_create_link_falls_back_to_long_url(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    body = json.loads(json.dumps(CREATE_LINK_RESPONSE))
    del body["payment_link"]["url"]
    router.post(LINKS).respond(200, json=body)
    assert _create(square).url == body["payment_link"]["long_url"]


def test_rate_limited_is_transient_and_not_retried(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    route = router.post(LINKS).respond(
        429, json=_error_body("RATE_LIMIT_ERROR", "RATE_LIMITED", "Rate limited.")
    )
    with pytest.raises(PaymentError) as info:
        _create(square)
    assert info.value.permanent is False
    assert "RATE_LIMITED" in str(info.value)
    assert route.call_count == 1
    assert isinstance(info.value, SquareApiError)
    assert info.value.status_code == 429
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_invalid_request_is_permanent_with_code_and_detail(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    router.post(LINKS).respond(
        400,
        json=_error_body(
            "INVALID_REQUEST_ERROR",
            "INVALID_VALUE",
            "Invalid location id.",
            field="quick_pay.location_id",
        ),
    )
    with pytest.raises(SquareApiError) as info:
        _create(square)
    err = info.value
    assert err.permanent is True
    assert err.status_code == 400
    assert err.error_codes == ("INVALID_VALUE",)
    text = str(err)
    assert "INVALID_REQUEST_ERROR" in text and "INVALID_VALUE" in text
    assert "Invalid location id." in text and "quick_pay.location_id" in text
    assert TOKEN not in text


def test_unauthorized_is_permanent_and_hides_token(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    router.post(LINKS).respond(
        401,
        json=_error_body(
            "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized."
        ),
    )
    with pytest.raises(PaymentError) as info:
        _create(square)
    assert info.value.permanent is True
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_errors_are_transient(
    square: SquareDeposits, router: respx.MockRouter, status: int
) -> None:
    router.post(LINKS).respond(
        status, json=_error_body("API_ERROR", "INTERNAL_SERVER_ERROR", "Oops.")
    )
    with pytest.raises(PaymentError) as info:
        _create(square)
    assert info.value.permanent is False


def test_non_json_gateway_error_is_transient(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    router.post(LINKS).respond(502, text="<html>Bad Gateway</html>")
    with pytest.raises(PaymentError) as info:
        _create(square)
    assert info.value.permanent is False


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("timed out"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("x")],
)
def test_network_failures_are_transient(
    square: SquareDeposits, router: respx.MockRouter, exc: Exception
) -> None:
    router.post(LINKS).mock(side_effect=exc)
    with pytest.raises(PaymentError) as info:
        _create(square)
    assert info.value.permanent is False
    assert TOKEN not in str(info.value)


def test_bad_amount_is_permanent_without_a_request(square: SquareDeposits) -> None:
    with respx.mock(assert_all_mocked=True):
        for amount in (0, -5):
            with pytest.raises(PaymentError) as info:
                square.create_link(
                    idempotency_key="k", amount_cents=amount, currency="USD", title="t", note=""
                )
            assert info.value.permanent is True


def test_delete_link(square: SquareDeposits, router: respx.MockRouter) -> None:
    route = router.delete(f"{LINKS}/FWT463MU2JIG7S3D").respond(
        200, json={"id": "FWT463MU2JIG7S3D", "cancelled_order_id": "C0DMgui6YFmgyURVSRtxr4EShheZY"}
    )
    square.cancel_link("FWT463MU2JIG7S3D")
    assert route.call_count == 1


def test_delete_missing_link_counts_as_cancelled(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    router.delete(f"{LINKS}/GONE").respond(
        404, json=_error_body("INVALID_REQUEST_ERROR", "NOT_FOUND", "Payment link not found.")
    )
    square.cancel_link("GONE")  # no exception


def test_delete_link_server_error_is_transient(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    router.delete(f"{LINKS}/X").respond(
        503, json=_error_body("API_ERROR", "SERVICE_UNAVAILABLE", "")
    )
    with pytest.raises(PaymentError) as info:
        square.cancel_link("X")
    assert info.value.permanent is False


def test_refund_request_and_response(square: SquareDeposits, router: respx.MockRouter) -> None:
    route = router.post("/v2/refunds").respond(200, json=REFUND_RESPONSE)

    refund = square.refund(
        idempotency_key="refund-deposit-42",
        payment_id="R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY",
        amount_cents=5000,
        currency="USD",
        reason="Hold expired; slot taken",
    )

    assert refund == Refund(id=REFUND_RESPONSE["refund"]["id"], status="PENDING")
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "idempotency_key": "refund-deposit-42",
        "amount_money": {"amount": 5000, "currency": "USD"},
        "payment_id": "R2B3Z8WMVt3EAmzYWLZvz7Y69EbZY",
        "reason": "Hold expired; slot taken",
    }


def test_refund_long_key_fits_square_limit(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    route = router.post("/v2/refunds").respond(200, json=REFUND_RESPONSE)
    square.refund(
        idempotency_key="refund:" + "x" * 80,
        payment_id="P1",
        amount_cents=100,
        currency="USD",
        reason="r" * 400,
    )
    body = json.loads(route.calls.last.request.content)
    assert len(body["idempotency_key"]) <= 45
    assert len(body["reason"]) == 192


def test_refund_rejected_by_square_is_permanent(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    router.post("/v2/refunds").respond(
        400,
        json=_error_body(
            "INVALID_REQUEST_ERROR",
            "REFUND_AMOUNT_INVALID",
            "The requested refund amount exceeds the amount available to refund.",
        ),
    )
    with pytest.raises(SquareApiError) as info:
        square.refund(
            idempotency_key="k", payment_id="P1", amount_cents=9999, currency="USD", reason=""
        )
    assert info.value.permanent is True
    assert info.value.error_codes == ("REFUND_AMOUNT_INVALID",)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError):
        SquareDeposits("", LOCATION)
    with pytest.raises(ValueError):
        SquareDeposits(TOKEN, "")
    with pytest.raises(ValueError):
        SquareDeposits(TOKEN, LOCATION, "staging")  # type: ignore[arg-type]


def test_empty_note_is_omitted(square: SquareDeposits, router: respx.MockRouter) -> None:
    route = router.post(LINKS).respond(200, json=CREATE_LINK_RESPONSE)
    square.create_link(idempotency_key="k", amount_cents=5000, currency="USD", title="T", note="")
    assert "payment_note" not in json.loads(route.calls.last.request.content)


def test_success_without_payment_link_is_transient(
    square: SquareDeposits, router: respx.MockRouter
) -> None:
    router.post(LINKS).respond(200, json={})
    with pytest.raises(PaymentError) as info:
        _create(square)
    assert info.value.permanent is False
