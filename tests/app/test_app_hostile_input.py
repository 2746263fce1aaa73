"""A valid signed request is never lost to odd input, and hostile input is refused cleanly
(security review, issue 11; each case was a 500 before).

NUL bytes and lone surrogates are cleaned (Postgres rejects NUL in text, UTF-8 cannot encode a
lone surrogate) and the text stored and answered; provider ids longer than their column are
stored (shortened stably, so redelivery still dedupes); deeply nested or non-finite JSON is a
400 with nothing stored; an absurd ``telnyx-timestamp`` is a 401. SQLite and Postgres.
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
from nacl.signing import SigningKey
from werkzeug.test import TestResponse

from app.eval.signing import TEST_TELNYX_SEED, sign_twilio
from knowledge.apikeys import create_key
from messaging.models import CallSession, Conversation, Message
from payments.models import PaymentEvent
from payments.square import SIGNATURE_HEADER
from tests.app.conftest import CLINIC, JANE, Desk, telnyx_message

TOKEN = "hostile-token"
SQUARE_KEY = "sq-key"
BASE = "https://frontdesk.test"
LONG_ID = "evt-" + "x" * 296


@pytest.fixture
def desk(desk_factory: Callable[..., Desk]) -> Desk:
    return desk_factory(twilio_auth_token=TOKEN, square_webhook_signature_key=SQUARE_KEY)


def _inbound(desk: Desk) -> list[Message]:
    return desk.messages(Message.direction == "in")


def _nothing_stored(desk: Desk) -> None:
    assert desk.count(Message) == 0
    assert desk.count(Conversation) == 0
    assert desk.count(PaymentEvent) == 0
    assert desk.ctx.recording.sent == []


def _text_body(desk: Desk, text: str, **payload: Any) -> dict[str, Any]:
    body = telnyx_message(text, sender=JANE, to=CLINIC, event_id=desk.event_id(), occurred_at="")
    body["data"]["payload"].update(payload)
    return body


# --------------------------------------------------------------------- Telnyx: odd characters


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("how much\x00 is botox", "how much is botox"),
        ("how much is botox \ud83d", "how much is botox \ufffd"),
        ("\udc00 how much is botox\x00\x00", "\ufffd how much is botox"),
    ],
    ids=["nul", "lone-high-surrogate", "both"],
)
def test_telnyx_text_with_nul_or_lone_surrogate_is_stored_and_answered(
    desk: Desk, sent: str, stored: str
) -> None:
    response = desk.post_telnyx(_text_body(desk, sent))
    assert response.status_code == 200
    [inbound] = _inbound(desk)
    assert inbound.body == stored
    [reply] = desk.ctx.recording.bodies(JANE)
    assert "$13" in reply


def test_nul_in_every_field_of_a_telnyx_text_is_cleaned(desk: Desk) -> None:
    body = _text_body(
        desk,
        "hi\x00",
        id="msg\x00-1",
        media=[{"url": "https://media.telnyx.test/a\x00.jpg", "content_type": "image/\x00jpeg"}],
    )
    body["data"]["id"] = "evt\x00-nul"
    body["meta"]["note\x00"] = "\ud800"
    assert desk.post_telnyx(body).status_code == 200
    [inbound] = _inbound(desk)
    assert (inbound.carrier_event_id, inbound.carrier_message_id) == ("evt-nul", "msg-1")
    assert inbound.media[0]["url"] == "https://media.telnyx.test/a.jpg"
    assert desk.ctx.recording.bodies(JANE)


def test_a_telnyx_time_past_year_9999_in_utc_is_ignored_and_the_text_stored(desk: Desk) -> None:
    body = _text_body(desk, "hi how much is botox", received_at="9999-12-31T23:59:59-05:00")
    body["data"]["occurred_at"] = "9999-12-31T23:59:59-05:00"
    assert desk.post_telnyx(body).status_code == 200
    assert len(_inbound(desk)) == 1
    assert desk.ctx.recording.bodies(JANE)


# --------------------------------------------------------------------- long provider ids


def test_telnyx_ids_longer_than_their_column_are_stored_and_deduped(desk: Desk) -> None:
    first = _text_body(desk, "hi how much is botox", id="m" * 500)
    first["data"]["id"] = LONG_ID
    second = _text_body(desk, "and filler?", id="m" * 500 + "2")
    second["data"]["id"] = LONG_ID[:-1] + "y"  # the same long prefix, another event
    for body in (first, first, second):  # Telnyx redelivers the first event once
        assert desk.post_telnyx(body).status_code == 200
    ids = [m.carrier_event_id or "" for m in _inbound(desk)]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(len(i) <= 100 for i in ids)
    assert len(desk.ctx.recording.bodies(JANE)) == 2


def test_telnyx_call_with_a_long_session_id_is_texted_back(desk: Desk) -> None:
    session_id = "s" * 300
    for event_type, extra in (
        ("call.initiated", {"direction": "incoming"}),
        ("call.hangup", {"hangup_cause": "originator_cancel"}),
    ):
        body = {
            "data": {
                "event_type": event_type,
                "id": desk.event_id(),
                "occurred_at": desk.clock.now().isoformat(),
                "payload": {
                    "call_session_id": session_id,
                    "call_control_id": "c" * 300,
                    "from": JANE,
                    "to": CLINIC,
                    **extra,
                },
            }
        }
        assert desk.post_telnyx(body).status_code == 200
    assert desk.count(CallSession) == 1
    assert len(desk.messages(Message.kind == "textback")) == 1


def _twilio(desk: Desk, path: str, form: dict[str, str]) -> TestResponse:
    signature = sign_twilio(BASE + path, form, TOKEN)
    return desk.client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _sms_form(body: str, sid: str) -> dict[str, str]:
    return {"MessageSid": sid, "From": JANE, "To": CLINIC, "Body": body, "NumMedia": "0"}


def test_twilio_sms_with_nul_and_a_long_sid_is_stored_answered_and_deduped(desk: Desk) -> None:
    form = _sms_form("how much\x00 is botox", "SM" + "9" * 400)
    assert _twilio(desk, "/webhooks/twilio/sms", form).status_code == 200
    assert _twilio(desk, "/webhooks/twilio/sms", form).status_code == 200
    [inbound] = _inbound(desk)
    assert inbound.body == "how much is botox"
    assert len(inbound.carrier_event_id or "") <= 100
    [reply] = desk.ctx.recording.bodies(JANE)
    assert "$13" in reply


def test_twilio_status_with_a_long_error_code_and_nul_is_recorded(desk: Desk) -> None:
    assert (
        _twilio(desk, "/webhooks/twilio/sms", _sms_form("hi", "SM" + "1" * 32)).status_code == 200
    )
    [out] = desk.messages(Message.direction == "out")
    form = {
        "MessageSid": out.carrier_message_id or "",
        "MessageStatus": "undelivered",
        "ErrorCode": "3" * 200,
        "ErrorMessage": "carrier\x00 said no",
    }
    assert _twilio(desk, "/webhooks/twilio/status", form).status_code == 200
    [row] = desk.messages(Message.direction == "out")
    assert row.status == "failed"
    assert row.error_code and len(row.error_code) <= 32
    assert row.error_detail == "carrier said no"


def test_twilio_missed_call_with_a_long_call_sid_is_texted_back(desk: Desk) -> None:
    form = {"CallSid": "CA" + "7" * 300, "From": JANE, "To": CLINIC, "CallStatus": "ringing"}
    response = _twilio(desk, "/webhooks/twilio/voice", form)
    assert response.status_code == 200
    assert desk.count(CallSession) == 1
    dial = {**form, "DialCallStatus": "no-answer"}
    assert _twilio(desk, "/webhooks/twilio/voice/status", dial).status_code == 200
    assert len(desk.messages(Message.kind == "textback")) == 1


# --------------------------------------------------------------------- JSON that is refused


def _deep(depth: int) -> bytes:
    return b'{"data": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [40, 100_000], ids=["deeper-than-32", "stack-exhausting"])
def test_deeply_nested_signed_telnyx_json_is_400(desk: Desk, depth: int) -> None:
    """Even inside an otherwise valid text (here its ``meta``)."""
    body = json.dumps(_text_body(desk, "hi")).encode()
    nested = b"[" * depth + b"]" * depth
    assert desk.post_telnyx(body[:-1] + b', "x": ' + nested + b"}").status_code == 400
    _nothing_stored(desk)


@pytest.mark.parametrize(
    "tail",
    [b'"x": NaN', b'"x": -Infinity', b'"x": 1e999', b'"x": ' + b"9" * 5000],
    ids=["nan", "infinity", "overflowing-float", "5000-digit-int"],
)
def test_non_finite_or_oversized_numbers_are_400(desk: Desk, tail: bytes) -> None:
    body = json.dumps(_text_body(desk, "hi")).encode()
    assert desk.post_telnyx(body[:-1] + b", " + tail + b"}").status_code == 400
    _nothing_stored(desk)


# --------------------------------------------------------------------- Telnyx timestamps


def _signed_at(body: bytes, timestamp: str) -> dict[str, str]:
    """Headers carrying a real signature over ``timestamp|body``, whatever ``timestamp`` is."""
    signed = SigningKey(TEST_TELNYX_SEED).sign(timestamp.encode("latin-1") + b"|" + body)
    return {
        "telnyx-signature-ed25519": base64.b64encode(signed.signature).decode(),
        "telnyx-timestamp": timestamp,
    }


@pytest.mark.parametrize(
    "timestamp",
    [str(10**30), "1" + "0" * 400, "-5", "abc", "1_700_000_000", "0x6553f100", "+1700000000"],
)
def test_an_absurd_telnyx_timestamp_is_401(desk: Desk, timestamp: str) -> None:
    body = json.dumps(_text_body(desk, "hi")).encode()
    response = desk.post_telnyx(body, headers=_signed_at(body, timestamp))
    assert response.status_code == 401
    _nothing_stored(desk)


# --------------------------------------------------------------------- Square


def _square(desk: Desk, body: bytes) -> TestResponse:
    digest = hmac.new(
        SQUARE_KEY.encode(), (BASE + "/webhooks/square").encode() + body, hashlib.sha256
    ).digest()
    return desk.client.post(
        "/webhooks/square",
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: base64.b64encode(digest).decode()},
    )


def _square_event(event_id: str, order_id: str) -> dict[str, Any]:
    payment: dict[str, Any] = {"id": "PAY\x00-1", "order_id": order_id, "status": "COMPLETED"}
    payment["amount_money"] = {"amount": 5000, "currency": "USD"}
    return {
        "merchant_id": "ML\ud83d",
        "type": "payment.updated",
        "event_id": event_id,
        "data": {"type": "payment", "object": {"payment": payment}},
    }


def test_square_event_with_nul_surrogate_and_long_id_is_stored_once(desk: Desk) -> None:
    body = json.dumps(_square_event("E" * 300 + "\x00", "ORDER-" + uuid.uuid4().hex)).encode()
    assert _square(desk, body).status_code == 200
    assert _square(desk, body).status_code == 200
    assert desk.count(PaymentEvent) == 1
    with desk.ctx.db.session() as s:
        [event] = s.query(PaymentEvent).all()
        assert len(event.event_id) <= 100
        assert event.payload["merchant_id"] == "ML\ufffd"
        assert event.processed_at is not None


@pytest.mark.parametrize("body", [_deep(100_000), b'{"event_id": "e", "x": NaN}'])
def test_deep_or_non_finite_square_json_is_400(desk: Desk, body: bytes) -> None:
    assert _square(desk, body).status_code == 400
    _nothing_stored(desk)


# --------------------------------------------------------------------- staff and knowledge


def test_staff_reply_with_nul_is_sent_clean(desk: Desk) -> None:
    assert desk.say("hi how much is botox")
    [conversation_id] = [m.conversation_id for m in _inbound(desk)]
    key = create_key(desk.ctx.db, "glow-austin", "front desk")
    response = desk.client.post(
        f"/staff/glow-austin/conversations/{conversation_id}/reply",
        json={"text": "Hi Jane\x00, this is Amy \udc00"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201
    assert desk.ctx.recording.bodies(JANE)[-1] == "Hi Jane, this is Amy \ufffd"


@pytest.mark.parametrize(
    "path", ["/staff/glow-austin/conversations/1/reply", "/knowledge/glow-austin"]
)
def test_deeply_nested_json_to_the_staff_and_knowledge_apis_is_400(desk: Desk, path: str) -> None:
    assert desk.say("hi")
    key = create_key(desk.ctx.db, "glow-austin", "front desk")
    response = desk.client.post(
        path,
        data=_deep(100_000),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 400
