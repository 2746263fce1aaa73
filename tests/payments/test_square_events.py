"""parse_event on Square webhook payloads shaped like the documented examples.

https://developer.squareup.com/reference/square/webhooks/payment.updated
https://developer.squareup.com/reference/square/webhooks/refund.updated
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from payments.square import MalformedEvent, SquareEvent, parse_event

PAYMENT_UPDATED: dict[str, Any] = {
    "merchant_id": "6SSW7HV8K2ST5",
    "type": "payment.updated",
    "event_id": "6a8f5f28-54a1-4eb0-a98a-3111513fd4fc",
    "created_at": "2020-02-06T21:27:34.308Z",
    "data": {
        "type": "payment",
        "id": "hYy9pRFVxpDsO1FB05SunFWUe9JZY",
        "object": {
            "payment": {
                "amount_money": {"amount": 5000, "currency": "USD"},
                "approved_money": {"amount": 5000, "currency": "USD"},
                "card_details": {
                    "avs_status": "AVS_ACCEPTED",
                    "card": {
                        "bin": "540988",
                        "card_brand": "MASTERCARD",
                        "card_type": "CREDIT",
                        "exp_month": 11,
                        "exp_year": 2022,
                        "fingerprint": "sq-1-Tvruf3vPQxlvI6n0IcKYfBukrcv6IqWr8UyBdViWXU2yzGn5VMJvrsHMKpINMhPmVg",
                        "last_4": "9029",
                        "prepaid_type": "NOT_PREPAID",
                    },
                    "card_payment_timeline": {
                        "authorized_at": "2020-11-22T21:16:51.198Z",
                        "captured_at": "2020-11-22T21:19:00.832Z",
                    },
                    "cvv_status": "CVV_ACCEPTED",
                    "entry_method": "KEYED",
                    "statement_description": "SQ *DEFAULT TEST ACCOUNT",
                    "status": "CAPTURED",
                },
                "created_at": "2020-11-22T21:16:51.086Z",
                "delay_action": "CANCEL",
                "delay_duration": "PT168H",
                "delayed_until": "2020-11-29T21:16:51.086Z",
                "id": "hYy9pRFVxpDsO1FB05SunFWUe9JZY",
                "location_id": "S8GWD5R9QB376",
                "order_id": "03O3USaPaAaFnI6kkwB1JxGgBsUZY",
                "receipt_number": "hYy9",
                "receipt_url": "https://squareup.com/receipt/preview/hYy9pRFVxpDsO1FB05SunFWUe9JZY",
                "risk_evaluation": {
                    "created_at": "2020-11-22T21:16:51.198Z",
                    "risk_level": "NORMAL",
                },
                "source_type": "CARD",
                "status": "COMPLETED",
                "total_money": {"amount": 5000, "currency": "USD"},
                "updated_at": "2020-11-22T21:19:00.831Z",
                "version_token": "bhC3b8tKtRD5QvXeJ8OBwhaJOZzjCrmbCK5USQW3Je05o",
            }
        },
    },
}

REFUND_UPDATED: dict[str, Any] = {
    "merchant_id": "6SSW7HV8K2ST5",
    "type": "refund.updated",
    "event_id": "4b8e5c91-9f17-4cf1-900a-4a0629f81add",
    "created_at": "2020-02-06T22:14:30.449Z",
    "data": {
        "type": "refund",
        "id": "KkAkhdMsgzn59SM8A89WgKwekxLZY_ptNBVqHYxt5gAdfcobBe4u1AZsXhoz06KTtuq9Ls24P",
        "object": {
            "refund": {
                "amount_money": {"amount": 5000, "currency": "USD"},
                "created_at": "2020-02-06T21:27:41.836Z",
                "id": "KkAkhdMsgzn59SM8A89WgKwekxLZY_ptNBVqHYxt5gAdfcobBe4u1AZsXhoz06KTtuq9Ls24P",
                "location_id": "NAQ1FHV6ZJ8YV",
                "order_id": "haOyDuHiqtAXMk0d8pDKXpL7Jg4F",
                "payment_id": "KkAkhdMsgzn59SM8A89WgKwekxLZY",
                "processing_fee": [
                    {
                        "amount_money": {"amount": -146, "currency": "USD"},
                        "effective_at": "2020-02-06T21:27:41.000Z",
                        "type": "INITIAL",
                    }
                ],
                "reason": "Hold expired; slot taken",
                "status": "COMPLETED",
                "updated_at": "2020-02-06T22:14:24.495Z",
                "version": 10,
            }
        },
    },
}


def test_payment_updated_completed() -> None:
    event = parse_event(PAYMENT_UPDATED)
    assert event == SquareEvent(
        event_id="6a8f5f28-54a1-4eb0-a98a-3111513fd4fc",
        type="payment.updated",
        payment_id="hYy9pRFVxpDsO1FB05SunFWUe9JZY",
        order_id="03O3USaPaAaFnI6kkwB1JxGgBsUZY",
        payment_status="COMPLETED",
        amount_cents=5000,
        currency="USD",
    )
    assert event.is_payment_completed
    assert event.refund_id is None and event.refund_status is None


def test_payment_created_approved_is_not_completed() -> None:
    payload = copy.deepcopy(PAYMENT_UPDATED)
    payload["type"] = "payment.created"
    payload["data"]["object"]["payment"]["status"] = "APPROVED"
    event = parse_event(payload)
    assert event.type == "payment.created"
    assert event.payment_status == "APPROVED"
    assert not event.is_payment_completed


def test_payment_without_order_or_amount() -> None:
    payload = copy.deepcopy(PAYMENT_UPDATED)
    payment = payload["data"]["object"]["payment"]
    for key in ("order_id", "amount_money", "total_money"):
        del payment[key]
    event = parse_event(payload)
    assert event.order_id is None and event.amount_cents is None and event.currency is None


def test_refund_updated() -> None:
    event = parse_event(REFUND_UPDATED)
    assert event == SquareEvent(
        event_id="4b8e5c91-9f17-4cf1-900a-4a0629f81add",
        type="refund.updated",
        payment_id="KkAkhdMsgzn59SM8A89WgKwekxLZY",
        order_id="haOyDuHiqtAXMk0d8pDKXpL7Jg4F",
        refund_id="KkAkhdMsgzn59SM8A89WgKwekxLZY_ptNBVqHYxt5gAdfcobBe4u1AZsXhoz06KTtuq9Ls24P",
        refund_status="COMPLETED",
        amount_cents=5000,
        currency="USD",
    )
    assert not event.is_payment_completed


def test_refund_created_pending() -> None:
    payload = copy.deepcopy(REFUND_UPDATED)
    payload["type"] = "refund.created"
    payload["data"]["object"]["refund"]["status"] = "PENDING"
    event = parse_event(payload)
    assert (event.type, event.refund_status) == ("refund.created", "PENDING")


def test_other_types_keep_only_id_and_type() -> None:
    event = parse_event(
        {
            "merchant_id": "MLEFBHHSJGVHD",
            "type": "webhooks.test_notification",
            "event_id": "ac3ac95b-f97d-458c-a6e6-18981597e05f",
            "created_at": "2022-07-13T20:30:59.037339943Z",
            "data": {"type": "webhooks", "id": "bc368e64-01aa-407e-b46e-3231809b1129"},
        }
    )
    assert event == SquareEvent(
        event_id="ac3ac95b-f97d-458c-a6e6-18981597e05f", type="webhooks.test_notification"
    )


def test_event_is_frozen() -> None:
    event = parse_event(PAYMENT_UPDATED)
    with pytest.raises(AttributeError):
        event.payment_status = "FAILED"  # type: ignore[misc]


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    payload = copy.deepcopy(PAYMENT_UPDATED)
    target: Any = payload
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "payment.updated",
        {},
        _without(("event_id",)),
        _without(("type",)),
        {**PAYMENT_UPDATED, "event_id": ""},
        {**PAYMENT_UPDATED, "event_id": 12},
        _without(("data",)),
        _without(("data", "object", "payment")),
        _without(("data", "object", "payment", "id")),
    ],
    ids=[
        "none",
        "list",
        "string",
        "empty",
        "no-event-id",
        "no-type",
        "empty-event-id",
        "int-event-id",
        "no-data",
        "no-payment",
        "no-payment-id",
    ],
)
def test_malformed(payload: Any) -> None:
    with pytest.raises(MalformedEvent):
        parse_event(payload)


def test_wrong_field_types_are_malformed() -> None:
    payload = copy.deepcopy(PAYMENT_UPDATED)
    payload["data"]["object"]["payment"]["amount_money"]["amount"] = "5000"
    with pytest.raises(MalformedEvent):
        parse_event(payload)
    refund = copy.deepcopy(REFUND_UPDATED)
    refund["data"]["object"]["refund"]["status"] = ["COMPLETED"]
    with pytest.raises(MalformedEvent):
        parse_event(refund)
    assert issubclass(MalformedEvent, ValueError)
