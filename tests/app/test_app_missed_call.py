"""Missed-call text-back over ``POST /webhooks/telnyx`` (Telnyx Call Control events).

A ``call.initiated`` (incoming) followed by ``call.hangup`` with no ``call.answered`` is a
missed call: the caller gets the clinic's greeting (after-hours variant when closed), at most
once per 12 hours. Every test runs on SQLite and on the real Postgres.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.eval.signing import telnyx_headers
from messaging.models import CallSession, Conversation, Message
from tests.app.conftest import CLINIC, JANE, OMAR, Desk

CST = dt.timezone(dt.timedelta(hours=-6))
GREETING = "Sorry we missed your call"
AFTER_HOURS = "We're closed right now"


def _call_event(
    desk: Desk, event_type: str, session_id: str, caller: str, **extra: Any
) -> dict[str, Any]:
    """A Telnyx Call Control webhook body for one call leg."""
    return {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": desk.event_id(),
            "occurred_at": desk.clock.now().isoformat(),
            "payload": {
                "call_control_id": f"v3:{session_id}",
                "call_leg_id": f"leg-{session_id}",
                "call_session_id": session_id,
                "client_state": None,
                "connection_id": "1684641123236054244",
                "from": caller,
                "to": CLINIC,
                **extra,
            },
        },
        "meta": {"attempt": 1, "delivered_to": "https://frontdesk.test/webhooks/telnyx"},
    }


def call(desk: Desk, caller: str = JANE, *, answered: bool = False) -> str:
    """Post a whole inbound call (initiated, maybe answered, hangup); return its session id."""
    session_id = str(uuid.uuid4())
    events = [
        _call_event(
            desk, "call.initiated", session_id, caller, direction="incoming", state="parked"
        )
    ]
    if answered:
        events.append(_call_event(desk, "call.answered", session_id, caller))
    cause = "normal_clearing" if answered else "originator_cancel"
    events.append(
        _call_event(
            desk,
            "call.hangup",
            session_id,
            caller,
            hangup_cause=cause,
            hangup_source="caller",
            state="hangup",
        )
    )
    for event in events:
        assert desk.post_telnyx(event).status_code == 200
    return session_id


def _textbacks(desk: Desk, phone: str = JANE) -> list[Message]:
    return desk.messages(Message.kind == "textback", Message.to_number == phone)


def test_missed_call_in_business_hours_gets_the_greeting(desk: Desk) -> None:
    session_id = call(desk)
    [text] = desk.ctx.recording.sent
    assert (text.to_number, text.from_number) == (JANE, CLINIC)
    assert GREETING in text.body and "Glow Med Spa" in text.body
    [row] = _textbacks(desk)
    assert row.status == "recorded"
    with desk.ctx.db.session() as s:
        tracked = s.get(CallSession, session_id)
        assert tracked is not None
        assert (tracked.missed, tracked.answered, tracked.textback_message_id) == (
            True,
            False,
            row.id,
        )
    assert desk.count(Conversation, Conversation.patient_phone == JANE) == 1


def test_missed_call_after_hours_gets_the_after_hours_greeting(desk: Desk) -> None:
    desk.clock.set(dt.datetime(2026, 11, 23, 22, 0, tzinfo=CST))
    call(desk)
    [text] = desk.ctx.recording.bodies(JANE)
    assert AFTER_HOURS in text
    assert GREETING not in text


def test_on_sunday_the_after_hours_greeting_is_used(desk: Desk) -> None:
    desk.clock.set(dt.datetime(2026, 11, 29, 11, 0, tzinfo=CST))
    call(desk)
    [text] = desk.ctx.recording.bodies(JANE)
    assert AFTER_HOURS in text


def test_second_missed_call_within_12_hours_gets_no_second_text(desk: Desk) -> None:
    call(desk)
    desk.clock.advance(dt.timedelta(hours=11, minutes=59))
    call(desk)
    assert len(_textbacks(desk)) == 1
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def test_after_the_window_a_new_missed_call_texts_again(desk: Desk) -> None:
    call(desk)
    desk.clock.advance(dt.timedelta(hours=12, minutes=1))
    call(desk)
    assert len(_textbacks(desk)) == 2


def test_window_is_per_caller(desk: Desk) -> None:
    call(desk, JANE)
    call(desk, OMAR)
    assert len(_textbacks(desk, JANE)) == len(_textbacks(desk, OMAR)) == 1


def test_answered_call_gets_no_text(desk: Desk) -> None:
    session_id = call(desk, answered=True)
    assert desk.ctx.recording.sent == []
    assert desk.count(Message) == 0
    with desk.ctx.db.session() as s:
        tracked = s.get(CallSession, session_id)
        assert tracked is not None and tracked.answered and not tracked.missed


def test_redelivered_hangup_texts_once(desk: Desk) -> None:
    session_id = str(uuid.uuid4())
    initiated = _call_event(desk, "call.initiated", session_id, JANE, direction="incoming")
    hangup = _call_event(desk, "call.hangup", session_id, JANE, hangup_cause="originator_cancel")
    for event in (initiated, hangup, hangup):
        assert desk.post_telnyx(event).status_code == 200
    assert len(_textbacks(desk)) == 1


def test_outgoing_call_gets_no_text(desk: Desk) -> None:
    session_id = str(uuid.uuid4())
    out = _call_event(desk, "call.initiated", session_id, CLINIC, direction="outgoing")
    out["data"]["payload"]["to"] = JANE
    hangup = _call_event(desk, "call.hangup", session_id, CLINIC, hangup_cause="normal_clearing")
    hangup["data"]["payload"]["to"] = JANE
    for event in (out, hangup):
        assert desk.post_telnyx(event).status_code == 200
    assert desk.ctx.recording.sent == []


def test_call_to_a_number_no_clinic_owns_gets_no_text(desk: Desk) -> None:
    session_id = str(uuid.uuid4())
    for event_type, extra in (
        ("call.initiated", {"direction": "incoming"}),
        ("call.hangup", {"hangup_cause": "originator_cancel"}),
    ):
        event = _call_event(desk, event_type, session_id, JANE, **extra)
        event["data"]["payload"]["to"] = "+15125550188"
        assert desk.post_telnyx(event).status_code == 200
    assert desk.ctx.recording.sent == []
    assert desk.count(Message) == 0


def test_badly_signed_call_event_is_rejected(desk: Desk) -> None:
    event = _call_event(desk, "call.hangup", "s-1", JANE, hangup_cause="originator_cancel")
    headers = {"telnyx-signature-ed25519": "A" * 88, "telnyx-timestamp": "1795449600"}
    assert desk.post_telnyx(event, headers=headers).status_code == 401
    assert desk.ctx.recording.sent == []


def test_reply_after_text_back_starts_an_agent_turn(desk: Desk) -> None:
    call(desk)
    desk.clock.advance(dt.timedelta(minutes=2))
    replies = desk.say("hi how much is botox")
    assert len(replies) == 1 and "$13" in replies[0]
    conversations = desk.messages(Message.to_number == JANE)
    assert [m.kind for m in conversations] == ["textback", "reply"]
    assert len({m.conversation_id for m in desk.messages()}) == 1


@pytest.mark.parametrize("hour", [8, 17])
def test_edges_of_business_hours_are_closed(desk: Desk, hour: int) -> None:
    """Monday hours are 09:00-17:00: 08:00 and 17:00 are after hours."""
    desk.clock.set(dt.datetime(2026, 11, 23, hour, 0, tzinfo=CST))
    call(desk)
    [text] = desk.ctx.recording.bodies(JANE)
    assert AFTER_HOURS in text


def test_initiated_and_hangup_arriving_together_text_back_once(desk: Desk) -> None:
    """Telnyx may deliver a short call's events at the same moment: every event is
    acknowledged and each caller gets exactly one text-back (both backends; on Postgres the
    two inserts really race)."""
    callers = [f"+1512555{n:04d}" for n in range(160, 172)]
    bodies = []
    for caller in callers:
        session_id = str(uuid.uuid4())
        bodies.append(
            _call_event(
                desk, "call.initiated", session_id, caller, direction="incoming", state="parked"
            )
        )
        bodies.append(
            _call_event(desk, "call.hangup", session_id, caller, hangup_cause="originator_cancel")
        )
    barrier = threading.Barrier(len(bodies))

    def post(body: dict[str, Any]) -> int:
        client = desk.client.application.test_client()  # one client per thread
        raw = json.dumps(body).encode()
        headers = telnyx_headers(raw, int(desk.clock.now().timestamp()))
        barrier.wait()
        response = client.post(
            "/webhooks/telnyx", data=raw, headers={**headers, "content-type": "application/json"}
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        statuses = list(pool.map(post, bodies))
    assert statuses == [200] * len(bodies)
    for caller in callers:
        texts = desk.messages(Message.to_number == caller, Message.kind == "textback")
        assert len(texts) == 1, caller
