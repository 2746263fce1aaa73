"""Telnyx adapter: signature vector, event parsing, and sending faked at the HTTP layer."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import httpx
import pytest
import respx

from app.eval.signing import (
    TEST_TELNYX_PUBLIC_KEY,
    TEST_TELNYX_SEED,
    sign_telnyx,
    telnyx_public_key,
)
from messaging.base import InboundMessage, OutboundSms, SendError, StatusUpdate
from messaging.errors import InvalidSignature, MalformedPayload
from messaging.telnyx import TelnyxCallEvent, TelnyxGateway, parse_event, verify_signature

# ---------------------------------------------------------------- signature (protocols.md vector)

VECTOR_BODY = (
    b'{"data":{"event_type":"message.received","id":"evt-1","payload":{"from":{"phone_number":'
    b'"+15551230000"},"to":[{"phone_number":"+15559870000"}],"text":"Hi"}}}'
)
VECTOR_TS = "1700000000"
VECTOR_SIG = (
    "N5n0Ge+wEQP7hi5D94kP9G6DaWBlUmj0D1fHSgkJeJrFjJlpOxCpQ4ovLekeAXfJbG1ZUJElnNAEKNRcq0sZBg=="
)
VECTOR_PK = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
NOW = dt.datetime.fromtimestamp(1700000000, tz=dt.UTC)


def test_vector_passes() -> None:
    verify_signature(VECTOR_BODY, VECTOR_SIG, VECTOR_TS, VECTOR_PK, now=NOW)


def test_signing_helper_reproduces_vector() -> None:
    assert sign_telnyx(VECTOR_BODY, 1700000000, TEST_TELNYX_SEED) == VECTOR_SIG
    assert telnyx_public_key(TEST_TELNYX_SEED) == TEST_TELNYX_PUBLIC_KEY == VECTOR_PK


def test_within_tolerance_passes() -> None:
    later = NOW + dt.timedelta(seconds=300)
    verify_signature(VECTOR_BODY, VECTOR_SIG, VECTOR_TS, VECTOR_PK, now=later)
    naive_utc = dt.datetime(2023, 11, 14, 22, 13, 20)  # == 1700000000 UTC
    verify_signature(VECTOR_BODY, VECTOR_SIG, VECTOR_TS, VECTOR_PK, now=naive_utc)


@pytest.mark.parametrize(
    ("body", "sig", "ts", "now", "fragment"),
    [
        (VECTOR_BODY.replace(b'"Hi"', b'"Ho"'), VECTOR_SIG, VECTOR_TS, NOW, "does not match"),
        (VECTOR_BODY + b" ", VECTOR_SIG, VECTOR_TS, NOW, "does not match"),
        (VECTOR_BODY, VECTOR_SIG, "1700000001", NOW, "does not match"),
        (VECTOR_BODY, VECTOR_SIG, VECTOR_TS, NOW + dt.timedelta(seconds=301), "window"),
        (VECTOR_BODY, VECTOR_SIG, VECTOR_TS, NOW - dt.timedelta(hours=1), "window"),
        (VECTOR_BODY, None, VECTOR_TS, NOW, "missing telnyx-signature"),
        (VECTOR_BODY, "", VECTOR_TS, NOW, "missing telnyx-signature"),
        (VECTOR_BODY, VECTOR_SIG, None, NOW, "missing telnyx-timestamp"),
        (VECTOR_BODY, VECTOR_SIG, "soon", NOW, "not an integer"),
        (VECTOR_BODY, "not base64!!", VECTOR_TS, NOW, "base64"),
        (VECTOR_BODY, "c2hvcnQ=", VECTOR_TS, NOW, "64 bytes"),
    ],
)
def test_bad_signatures_fail(
    body: bytes, sig: str | None, ts: str | None, now: dt.datetime, fragment: str
) -> None:
    with pytest.raises(InvalidSignature, match=fragment):
        verify_signature(body, sig, ts, VECTOR_PK, now=now)


def test_bad_public_key_fails() -> None:
    with pytest.raises(InvalidSignature, match="public key"):
        verify_signature(VECTOR_BODY, VECTOR_SIG, VECTOR_TS, "AAAA", now=NOW)
    other_key = telnyx_public_key(bytes(32))
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(VECTOR_BODY, VECTOR_SIG, VECTOR_TS, other_key, now=NOW)


def test_freshly_signed_body_roundtrip() -> None:
    body = json.dumps({"data": {"event_type": "message.received", "id": "x"}}).encode()
    sig = sign_telnyx(body, 1800000000, TEST_TELNYX_SEED)
    verify_signature(
        body,
        sig,
        "1800000000",
        TEST_TELNYX_PUBLIC_KEY,
        now=dt.datetime.fromtimestamp(1800000000, dt.UTC),
    )


# ---------------------------------------------------------------- parsing

MMS_RECEIVED: dict[str, Any] = {
    "data": {
        "record_type": "event",
        "id": "bf6307bd-884d-4c1f-b6ea-c62b8c495d3c",
        "event_type": "message.received",
        "occurred_at": "2026-11-23T16:00:02.574Z",
        "payload": {
            "record_type": "message",
            "direction": "inbound",
            "id": "7ee4241c-f127-47e5-9c34-3aac291f8058",
            "type": "MMS",
            "messaging_profile_id": "0f512bda-ae1e-4597-8e11-e5f5686b97d3",
            "from": {
                "phone_number": "+15125550123",
                "carrier": "T-MOBILE USA, INC.",
                "line_type": "Wireless",
            },
            "to": [
                {
                    "phone_number": "+15125550100",
                    "status": "webhook_delivered",
                    "carrier": "TELNYX LLC",
                    "line_type": "VoIP",
                }
            ],
            "cc": [],
            "text": "is this bruising normal?",
            "media": [
                {
                    "url": "https://media.telnyx.example/abc.jpg",
                    "content_type": "image/jpeg",
                    "size": 183422,
                    "hash_sha256": "4b1e...",
                }
            ],
            "encoding": "GSM-7",
            "parts": 1,
            "received_at": "2026-11-23T16:00:02.000Z",
        },
    },
    "meta": {"attempt": 1, "delivered_to": "https://frontdesk.example/webhooks/telnyx"},
}


def test_parse_message_received_with_mms() -> None:
    event = parse_event(MMS_RECEIVED)
    assert isinstance(event, InboundMessage)
    assert event.carrier == "telnyx"
    assert event.event_id == "bf6307bd-884d-4c1f-b6ea-c62b8c495d3c"
    assert event.carrier_message_id == "7ee4241c-f127-47e5-9c34-3aac291f8058"
    assert event.from_number == "+15125550123"
    assert event.to_number == "+15125550100"
    assert event.body == "is this bruising normal?"
    assert len(event.media) == 1
    assert event.media[0].url == "https://media.telnyx.example/abc.jpg"
    assert event.media[0].content_type == "image/jpeg"
    assert event.media[0].size == 183422
    assert event.received_at == dt.datetime(2026, 11, 23, 16, 0, 2, 574000, tzinfo=dt.UTC)


def test_parse_vector_body_minimal_sms() -> None:
    event = parse_event(json.loads(VECTOR_BODY))
    assert isinstance(event, InboundMessage)
    assert (event.event_id, event.body, event.media, event.received_at) == ("evt-1", "Hi", (), None)


def test_parse_finalized_status_with_error() -> None:
    payload = {
        "data": {
            "event_type": "message.finalized",
            "id": "4ee8c3a6-4995-4309-a3c6-38e3db9ea4be",
            "occurred_at": "2019-12-09T21:32:14.148+00:00",
            "payload": {
                "id": "40385f64-5717-4562-b3fc-2c963f66afa6",
                "direction": "outbound",
                "from": {"phone_number": "+15125550100"},
                "to": [{"phone_number": "+15125550123", "status": "delivery_failed"}],
                "errors": [{"code": "40008", "title": "Undeliverable", "detail": "..."}],
            },
            "record_type": "event",
        }
    }
    event = parse_event(payload)
    assert event == StatusUpdate(
        carrier="telnyx",
        carrier_message_id="40385f64-5717-4562-b3fc-2c963f66afa6",
        status="delivery_failed",
        error_code="40008",
        error_detail="Undeliverable",
    )


def test_parse_sent_status() -> None:
    payload = {
        "data": {
            "event_type": "message.sent",
            "id": "e1",
            "payload": {
                "id": "m1",
                "to": [{"phone_number": "+15125550123", "status": "sent"}],
                "errors": [],
            },
        }
    }
    event = parse_event(payload)
    assert isinstance(event, StatusUpdate)
    assert (event.status, event.error_code) == ("sent", None)


@pytest.mark.parametrize("event_type", ["call.initiated", "call.answered", "call.hangup"])
def test_parse_call_events(event_type: str) -> None:
    payload = {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
            "occurred_at": "2026-11-23T16:00:00.000000Z",
            "payload": {
                "call_control_id": "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
                "call_leg_id": "2dc6fc34-f9e0-11ea-b68e-02420a0f7768",
                "call_session_id": "2dc1b3c8-f9e0-11ea-bc5a-02420a0f7768",
                "connection_id": "1240401930086254526",
                "from": "+15125550123",
                "to": "+15125550100",
                "direction": "incoming",
                "state": "parked",
                "hangup_cause": "originator_cancel" if event_type == "call.hangup" else None,
                "hangup_source": "caller" if event_type == "call.hangup" else None,
            },
        },
        "meta": {"attempt": 1},
    }
    event = parse_event(payload)
    assert isinstance(event, TelnyxCallEvent)
    assert event.event_type == event_type
    assert event.call_session_id == "2dc1b3c8-f9e0-11ea-bc5a-02420a0f7768"
    assert event.from_number == "+15125550123"
    assert event.to_number == "+15125550100"
    assert event.direction == "incoming"
    assert event.occurred_at == dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
    if event_type == "call.hangup":
        assert (event.hangup_cause, event.hangup_source) == ("originator_cancel", "caller")
    else:
        assert event.hangup_cause is None


def test_other_event_types_are_ignored() -> None:
    assert (
        parse_event({"data": {"event_type": "call.recording.saved", "id": "e", "payload": {}}})
        is None
    )
    assert parse_event({"data": {"event_type": "number_order.complete", "id": "e"}}) is None


def _without(path: list[str | int]) -> dict[str, Any]:
    payload = copy.deepcopy(MMS_RECEIVED)
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "data",
        None,
        {},
        {"data": None},
        {"data": {"id": "e"}},
        {"data": {"event_type": "", "id": "e"}},
        _without(["data", "id"]),
        _without(["data", "payload"]),
        _without(["data", "payload", "from"]),
        _without(["data", "payload", "to"]),
        {"data": {"event_type": "message.received", "id": "e", "payload": {"from": {}, "to": []}}},
        {"data": {"event_type": "message.finalized", "id": "e", "payload": {"id": "m", "to": []}}},
        {"data": {"event_type": "call.hangup", "payload": {}}},
    ],
)
def test_malformed_payloads(payload: Any) -> None:
    with pytest.raises(MalformedPayload) as info:
        parse_event(payload)
    assert "+1512" not in str(info.value)


def test_malformed_media() -> None:
    payload = copy.deepcopy(MMS_RECEIVED)
    payload["data"]["payload"]["media"] = [{"content_type": "image/jpeg"}]
    with pytest.raises(MalformedPayload, match="media"):
        parse_event(payload)


# ---------------------------------------------------------------- sending

BASE = "https://api.telnyx.test/v2"

SEND_RESPONSE = {
    "data": {
        "record_type": "message",
        "direction": "outbound",
        "id": "40385f64-5717-4562-b3fc-2c963f66afa6",
        "type": "SMS",
        "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
        "organization_id": "b448f9cc-a842-4784-98e9-03c1a5872950",
        "from": {"phone_number": "+15125550100", "carrier": "TELNYX LLC", "line_type": "VoIP"},
        "to": [
            {
                "phone_number": "+15125550123",
                "status": "queued",
                "carrier": "T-MOBILE USA, INC.",
                "line_type": "Wireless",
            }
        ],
        "cc": [],
        "text": "Hi Jane, this is Glow Med Spa.",
        "media": [],
        "webhook_url": "https://www.example.com/hooks",
        "webhook_failover_url": "",
        "encoding": "GSM-7",
        "parts": 1,
        "tags": [],
        "cost": None,
        "tcr_campaign_id": None,
        "tcr_campaign_billable": False,
        "tcr_campaign_registered": None,
        "received_at": "2026-11-23T16:00:02.000Z",
        "sent_at": None,
        "completed_at": None,
        "valid_until": "2026-11-23T17:00:02.000Z",
        "errors": [],
    }
}

MESSAGE = OutboundSms(
    from_number="+15125550100",
    to_number="+15125550123",
    body="Hi Jane, this is Glow Med Spa.",
    idempotency_key="msg-42-attempt",
)


@pytest.fixture
def gateway() -> TelnyxGateway:
    return TelnyxGateway(
        api_key="KEY_test",
        messaging_profile_id="4001767e-ce0f-4cae-9d5f-0d5e636e7809",
        base_url=BASE,
    )


@respx.mock
def test_send_success(gateway: TelnyxGateway) -> None:
    route = respx.post(f"{BASE}/messages").mock(
        return_value=httpx.Response(200, json=SEND_RESPONSE)
    )
    result = gateway.send(MESSAGE)
    assert result.carrier_message_id == "40385f64-5717-4562-b3fc-2c963f66afa6"
    assert result.status == "queued"
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == "msg-42-attempt"
    assert request.headers["Authorization"] == "Bearer KEY_test"
    assert json.loads(request.content) == {
        "from": "+15125550100",
        "to": "+15125550123",
        "text": "Hi Jane, this is Glow Med Spa.",
        "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
    }


@respx.mock
def test_send_mms_and_unsafe_idempotency_key_is_hashed(gateway: TelnyxGateway) -> None:
    route = respx.post(f"{BASE}/messages").mock(
        return_value=httpx.Response(200, json=SEND_RESPONSE)
    )
    message = OutboundSms(
        from_number="+15125550100",
        to_number="+15125550123",
        body="Aftercare sheet attached",
        idempotency_key="msg/42 retry",
        media_urls=("https://frontdesk.example/aftercare.pdf",),
    )
    gateway.send(message)
    request = route.calls.last.request
    key = request.headers["Idempotency-Key"]
    assert len(key) == 64 and all(c in "0123456789abcdef" for c in key)
    assert json.loads(request.content)["media_urls"] == ["https://frontdesk.example/aftercare.pdf"]


@respx.mock
def test_send_opted_out(gateway: TelnyxGateway) -> None:
    route = respx.post(f"{BASE}/messages").mock(
        return_value=httpx.Response(
            409,
            json={
                "errors": [
                    {
                        "code": "40300",
                        "title": "Blocked due to STOP message",
                        "detail": "Messages cannot be sent from '+15125550100' to '+15125550123' due to an existing block rule.",
                        "meta": {"url": "https://developers.telnyx.com/docs/overview/errors/40300"},
                    }
                ]
            },
        )
    )
    with pytest.raises(SendError) as info:
        gateway.send(MESSAGE)
    err = info.value
    assert (err.permanent, err.opted_out, err.code) == (True, True, "40300")
    assert "+15125550123" not in str(err) and "Hi Jane" not in str(err)
    assert err.__cause__ is None and err.__suppress_context__
    assert route.call_count == 1  # SDK retries are off


@respx.mock
def test_send_rate_limited_is_transient(gateway: TelnyxGateway) -> None:
    route = respx.post(f"{BASE}/messages").mock(
        return_value=httpx.Response(
            429, json={"errors": [{"code": "10011", "title": "Too many requests"}]}
        )
    )
    with pytest.raises(SendError) as info:
        gateway.send(MESSAGE)
    assert (info.value.permanent, info.value.opted_out, info.value.code) == (False, False, "10011")
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("status", "body", "permanent", "code"),
    [
        (500, {"errors": [{"code": "10007", "title": "Unexpected error"}]}, False, "10007"),
        (503, "Service Unavailable", False, "503"),
        (409, {"errors": [{"code": "10015", "title": "Conflict"}]}, False, "10015"),
        (400, {"errors": [{"code": "40310", "title": "Invalid 'to' address"}]}, True, "40310"),
        (401, {"errors": [{"code": "10009", "title": "Authentication failed"}]}, True, "10009"),
        (422, {"errors": [{"code": "10015", "title": "Idempotency mismatch"}]}, True, "10015"),
    ],
)
@respx.mock
def test_send_error_mapping(
    gateway: TelnyxGateway, status: int, body: Any, permanent: bool, code: str
) -> None:
    response = (
        httpx.Response(status, json=body)
        if isinstance(body, dict)
        else httpx.Response(status, text=body)
    )
    respx.post(f"{BASE}/messages").mock(return_value=response)
    with pytest.raises(SendError) as info:
        gateway.send(MESSAGE)
    assert (info.value.permanent, info.value.code, info.value.opted_out) == (permanent, code, False)


@respx.mock
def test_send_timeout_and_connection_errors_are_transient(gateway: TelnyxGateway) -> None:
    respx.post(f"{BASE}/messages").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(SendError) as info:
        gateway.send(MESSAGE)
    assert (info.value.permanent, info.value.code) == (False, "timeout")

    respx.post(f"{BASE}/messages").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(SendError) as info:
        gateway.send(MESSAGE)
    assert (info.value.permanent, info.value.code) == (False, "connection")


def test_gateway_name(gateway: TelnyxGateway) -> None:
    assert gateway.name == "telnyx"
