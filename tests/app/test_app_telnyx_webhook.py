"""``POST /webhooks/telnyx`` over HTTP: signatures, parsing, dedupe, routing, statuses, MMS.

Every test runs on SQLite and on the real Postgres (the ``database_url`` fixture).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from agent.models.base import ChatRequest, ChatResponse
from agent.offline import OfflineModel
from app.eval.signing import TEST_TELNYX_SEED, sign_telnyx
from messaging.models import Conversation, Message, OptOut
from tests.app.conftest import (
    CLINIC,
    JANE,
    OMAR,
    Desk,
    telnyx_message,
)

OTHER_SEED = bytes(range(32))
UNOWNED = "+15125550188"


def _nothing_stored(desk: Desk) -> None:
    """No message or conversation rows exist and nothing was sent."""
    assert desk.count(Message) == 0
    assert desk.count(Conversation) == 0
    assert desk.ctx.recording.sent == []


def _status_event(event_type: str, message_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """A Telnyx ``message.sent`` / ``message.finalized`` body for an outbound message."""
    return {
        "data": {
            "event_type": event_type,
            "id": f"status-{event_type}-{status}-{message_id}",
            "occurred_at": "2026-11-23T16:00:05.000+00:00",
            "record_type": "event",
            "payload": {
                "id": message_id,
                "record_type": "message",
                "direction": "outbound",
                "type": "SMS",
                "from": {"phone_number": CLINIC},
                "to": [{"phone_number": JANE, "status": status, "carrier": "T-Mobile USA"}],
                "text": "hello",
                "errors": extra.pop("errors", []),
                **extra,
            },
        },
        "meta": {"attempt": 1, "delivered_to": "https://frontdesk.test/webhooks/telnyx"},
    }


def _first_reply(desk: Desk) -> Message:
    """Text the clinic once and return the stored outbound reply row."""
    assert desk.say("hi how much is botox")
    rows = desk.messages(Message.direction == "out")
    assert len(rows) == 1 and rows[0].carrier_message_id
    return rows[0]


def test_signed_text_is_stored_and_answered(desk: Desk) -> None:
    response = desk.text("hi how much is botox")
    assert response.status_code == 200
    inbound = desk.messages(Message.direction == "in")
    assert [(m.from_number, m.to_number, m.body, m.carrier) for m in inbound] == [
        (JANE, CLINIC, "hi how much is botox", "telnyx")
    ]
    assert inbound[0].status == "processed"
    replies = desk.ctx.recording.sent
    assert len(replies) == 1 and replies[0].to_number == JANE
    assert replies[0].from_number == CLINIC
    assert "$13" in replies[0].body
    out = desk.messages(Message.direction == "out")
    assert [(m.to_number, m.status, m.conversation_id) for m in out] == [
        (JANE, "recorded", inbound[0].conversation_id)
    ]
    assert desk.count(Conversation, Conversation.patient_phone == JANE) == 1


@pytest.mark.parametrize("tamper", ["other_key", "body_changed", "garbage", "wrong_timestamp"])
def test_bad_signature_is_401_and_stores_nothing(desk: Desk, tamper: str) -> None:
    body = json.dumps(
        telnyx_message("hi", sender=JANE, to=CLINIC, event_id="evt-bad", occurred_at="")
    ).encode()
    ts = int(desk.clock.now().timestamp())
    signature = sign_telnyx(body, ts, OTHER_SEED if tamper == "other_key" else TEST_TELNYX_SEED)
    sent_ts = ts
    if tamper == "body_changed":
        body = body.replace(b'"hi"', b'"ho"')
    elif tamper == "garbage":
        signature = "bm90IGEgc2lnbmF0dXJl"
    elif tamper == "wrong_timestamp":
        sent_ts = ts - 1
    headers = {"telnyx-signature-ed25519": signature, "telnyx-timestamp": str(sent_ts)}
    response = desk.post_telnyx(body, headers=headers)
    assert response.status_code == 401
    _nothing_stored(desk)


@pytest.mark.parametrize(("offset", "status"), [(-301, 401), (-3600, 401), (301, 401), (-300, 200)])
def test_timestamp_window_is_300_seconds(desk: Desk, offset: int, status: int) -> None:
    now = int(desk.clock.now().timestamp())
    body = telnyx_message(
        "hi", sender=JANE, to=CLINIC, event_id="evt-ts", occurred_at=desk.clock.now().isoformat()
    )
    response = desk.post_telnyx(body, timestamp=now + offset)
    assert response.status_code == status
    assert desk.count(Message, Message.direction == "in") == (1 if status == 200 else 0)


@pytest.mark.parametrize("missing", ["telnyx-signature-ed25519", "telnyx-timestamp", "both"])
def test_missing_signature_headers_are_401(desk: Desk, missing: str) -> None:
    body = json.dumps(
        telnyx_message("hi", sender=JANE, to=CLINIC, event_id="evt-h", occurred_at="")
    ).encode()
    ts = int(desk.clock.now().timestamp())
    headers = {
        "telnyx-signature-ed25519": sign_telnyx(body, ts, TEST_TELNYX_SEED),
        "telnyx-timestamp": str(ts),
    }
    for name in list(headers):
        if missing in (name, "both"):
            del headers[name]
    assert desk.post_telnyx(body, headers=headers).status_code == 401
    _nothing_stored(desk)


def test_invalid_json_is_400(desk: Desk) -> None:
    response = desk.post_telnyx(b'{"data": {"event_type": "message.received",')
    assert response.status_code == 400
    _nothing_stored(desk)


def _without(path: str) -> dict[str, Any]:
    """A valid inbound body with the dotted ``path`` removed."""
    body = telnyx_message("hi", sender=JANE, to=CLINIC, event_id="evt-m", occurred_at="")
    *parents, leaf = path.split(".")
    node: Any = body
    for key in parents:
        node = node[key]
    del node[leaf]
    return body


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({}, id="empty-object"),
        pytest.param([], id="array"),
        pytest.param(_without("data"), id="no-data"),
        pytest.param(_without("data.event_type"), id="no-event-type"),
        pytest.param(_without("data.id"), id="no-event-id"),
        pytest.param(_without("data.payload"), id="no-payload"),
        pytest.param(_without("data.payload.from"), id="no-from"),
        pytest.param(_without("data.payload.to"), id="no-to"),
    ],
)
def test_malformed_body_is_400_and_stores_nothing(desk: Desk, payload: Any) -> None:
    response = desk.post_telnyx(json.dumps(payload).encode())
    assert response.status_code == 400
    _nothing_stored(desk)


def test_same_event_twice_is_stored_and_answered_once(desk: Desk) -> None:
    body = telnyx_message(
        "hi how much is botox",
        sender=JANE,
        to=CLINIC,
        event_id="evt-retry",
        occurred_at=desk.clock.now().isoformat(),
    )
    first = desk.post_telnyx(body)
    desk.clock.advance(dt.timedelta(seconds=5))
    second = desk.post_telnyx(body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert desk.count(Message, Message.direction == "in") == 1
    assert desk.count(Message, Message.direction == "out") == 1
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def test_text_to_a_number_no_clinic_owns_is_ignored(desk: Desk) -> None:
    response = desk.text("hi", to=UNOWNED)
    assert response.status_code == 200
    _nothing_stored(desk)


def test_public_key_unset_answers_503(desk_factory: Callable[..., Desk]) -> None:
    desk = desk_factory(telnyx_public_key=None)
    response = desk.text("hi")
    assert response.status_code == 503
    _nothing_stored(desk)


def test_two_patients_get_separate_conversations(desk: Desk) -> None:
    assert desk.say("hi how much is botox", JANE)
    assert desk.say("hi how much is botox", OMAR)
    assert desk.count(Conversation) == 2
    assert len(desk.ctx.recording.bodies(JANE)) == len(desk.ctx.recording.bodies(OMAR)) == 1


def test_finalized_delivered_updates_the_sent_row(desk: Desk) -> None:
    reply = _first_reply(desk)
    assert reply.carrier_message_id is not None
    event = _status_event("message.finalized", reply.carrier_message_id, "delivered")
    assert desk.post_telnyx(event).status_code == 200
    [row] = desk.messages(Message.id == reply.id)
    assert (row.status, row.error_code) == ("delivered", None)


def test_finalized_failure_stores_the_carrier_error(desk: Desk) -> None:
    reply = _first_reply(desk)
    assert reply.carrier_message_id is not None
    errors = [{"code": "40008", "title": "Undeliverable", "detail": "Handset unreachable"}]
    event = _status_event(
        "message.finalized", reply.carrier_message_id, "delivery_failed", errors=errors
    )
    assert desk.post_telnyx(event).status_code == 200
    [row] = desk.messages(Message.id == reply.id)
    assert row.error_code == "40008"
    assert row.error_detail == "Undeliverable"


def test_finalized_failure_marks_the_row_failed(desk: Desk) -> None:
    reply = _first_reply(desk)
    assert reply.carrier_message_id is not None
    errors = [{"code": "40008", "title": "Undeliverable"}]
    event = _status_event(
        "message.finalized", reply.carrier_message_id, "delivery_failed", errors=errors
    )
    assert desk.post_telnyx(event).status_code == 200
    [row] = desk.messages(Message.id == reply.id)
    assert row.status == "failed"


def test_late_sent_event_does_not_undo_delivered(desk: Desk) -> None:
    reply = _first_reply(desk)
    assert reply.carrier_message_id is not None
    finalized = _status_event("message.finalized", reply.carrier_message_id, "delivered")
    sent = _status_event("message.sent", reply.carrier_message_id, "sent")
    assert desk.post_telnyx(finalized).status_code == 200
    assert desk.post_telnyx(sent).status_code == 200
    [row] = desk.messages(Message.id == reply.id)
    assert row.status == "delivered"


def test_status_for_unknown_message_changes_nothing(desk: Desk) -> None:
    reply = _first_reply(desk)
    event = _status_event("message.finalized", "40317f8e-not-ours", "delivered")
    assert desk.post_telnyx(event).status_code == 200
    [row] = desk.messages(Message.id == reply.id)
    assert row.status == "recorded"


def test_unhandled_event_type_is_acknowledged(desk: Desk) -> None:
    body = {"data": {"event_type": "number_order.complete", "id": "evt-x", "payload": {}}}
    assert desk.post_telnyx(body).status_code == 200
    _nothing_stored(desk)


class SpyModel:
    """The offline model, keeping every request it was asked to complete."""

    name = "spy"

    def __init__(self) -> None:
        self.inner = OfflineModel()
        self.requests: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Record ``request`` and answer as the offline model does."""
        self.requests.append(request)
        return self.inner.complete(request)


def test_mms_stores_media_and_tells_the_agent(desk_factory: Callable[..., Desk]) -> None:
    spy = SpyModel()
    desk = desk_factory(chat_model=spy)
    media = [
        {
            "url": "https://media.telnyx.example/forehead.jpg",
            "content_type": "image/jpeg",
            "size": 53212,
            "hash_sha256": "0" * 64,
        }
    ]
    response = desk.text("is this normal after botox?", media=media)
    assert response.status_code == 200
    [inbound] = desk.messages(Message.direction == "in")
    assert inbound.media == [
        {
            "url": "https://media.telnyx.example/forehead.jpg",
            "content_type": "image/jpeg",
            "size": 53212,
        }
    ]
    user_texts = [m.content or "" for r in spy.requests for m in r.messages if m.role == "user"]
    assert any("photo" in t and "is this normal" in t for t in user_texts), user_texts
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def test_photo_without_text_still_gets_a_reply(desk_factory: Callable[..., Desk]) -> None:
    spy = SpyModel()
    desk = desk_factory(chat_model=spy)
    media = [{"url": "https://media.telnyx.example/a.png", "content_type": "image/png"}]
    assert desk.text("", media=media).status_code == 200
    user_texts = [m.content or "" for r in spy.requests for m in r.messages if m.role == "user"]
    assert any("1 photo" in t for t in user_texts), user_texts
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def test_duplicate_event_runs_no_second_turn(desk: Desk) -> None:
    from agent.store import AgentTurn

    body = telnyx_message(
        "hi", sender=JANE, to=CLINIC, event_id="evt-dup", occurred_at=desk.clock.now().isoformat()
    )
    assert desk.post_telnyx(body).status_code == 200
    assert desk.post_telnyx(body).status_code == 200
    with desk.ctx.db.session() as s:
        assert s.execute(select(func.count()).select_from(AgentTurn)).scalar() == 1
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def test_stop_opts_out_with_one_confirmation(desk: Desk) -> None:
    [confirmation] = desk.say("STOP")
    assert "unsubscribed" in confirmation
    assert desk.count(OptOut, OptOut.phone == JANE) == 1
    assert desk.say("STOP") == []
    assert desk.say("hi how much is botox") == []


def test_start_sends_the_resubscribe_confirmation(desk: Desk) -> None:
    desk.say("STOP")
    [confirmation] = desk.say("START")
    assert "resubscribed" in confirmation


def test_after_start_the_patient_is_answered_again(desk: Desk) -> None:
    desk.say("STOP")
    desk.say("START")
    assert desk.count(OptOut, OptOut.phone == JANE) == 0
    assert desk.say("hi how much is botox")
