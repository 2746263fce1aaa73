"""Twilio voice: ``/webhooks/twilio/voice`` forwards the call with ``<Dial action>``, and the
action callback turns no-answer/busy/failed/canceled into one missed-call text-back.

Signed forms as Twilio sends them (``app.eval.signing.sign_twilio``); SQLite and Postgres.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from app.eval.signing import sign_twilio
from knowledge.clinic_file import ClinicFile
from messaging.models import CallSession, Message
from tests.app.conftest import CLINIC, JANE, Desk

TOKEN = "voice-token"
BASE = "https://frontdesk.test"
FRONT_LINE = "+15125550177"


def _clinic(demo: ClinicFile, **changes: object) -> ClinicFile:
    info = demo.clinic.model_copy(update=changes)
    return demo.model_copy(update={"clinic": info})


@pytest.fixture
def demo_clinic(demo_clinic: ClinicFile) -> ClinicFile:
    """The demo clinic with a forwarding line."""
    return _clinic(demo_clinic, forward_calls_to=FRONT_LINE)


@pytest.fixture
def desk(desk_factory: Callable[..., Desk]) -> Desk:
    return desk_factory(twilio_auth_token=TOKEN)


def _post(
    desk: Desk, path: str, form: dict[str, str], signature: str | None = None
) -> TestResponse:
    sig = sign_twilio(BASE + path, form, TOKEN) if signature is None else signature
    return desk.client.post(path, data=form, headers={"X-Twilio-Signature": sig})


def _call_form(sid: str, caller: str = JANE) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": caller,
        "To": CLINIC,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def _dial_form(sid: str, status: str, caller: str = JANE) -> dict[str, str]:
    return {**_call_form(sid, caller), "CallStatus": "in-progress", "DialCallStatus": status}


def _sid() -> str:
    return "CA" + uuid.uuid4().hex


def _textbacks(desk: Desk) -> list[Message]:
    return desk.messages(Message.kind == "textback")


def test_call_is_forwarded_with_dial_action_and_timeout(desk: Desk) -> None:
    response = _post(desk, "/webhooks/twilio/voice", _call_form(_sid()))
    assert response.status_code == 200 and response.mimetype == "text/xml"
    dial = ET.fromstring(response.get_data(as_text=True)).find("Dial")
    assert dial is not None
    assert dial.get("action") == BASE + "/webhooks/twilio/voice/status"
    assert dial.get("timeout") == "20" and dial.get("method") == "POST"
    assert (dial.text or "").strip() == FRONT_LINE
    assert desk.count(CallSession) == 1 and _textbacks(desk) == []


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_unanswered_dial_texts_back_once(desk: Desk, status: str) -> None:
    sid = _sid()
    _post(desk, "/webhooks/twilio/voice", _call_form(sid))
    response = _post(desk, "/webhooks/twilio/voice/status", _dial_form(sid, status))
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert len(ET.fromstring(response.get_data(as_text=True))) == 0  # <Response/>
    [textback] = _textbacks(desk)
    assert textback.to_number == JANE and textback.status == "recorded"
    assert desk.ctx.recording.bodies(JANE) == [textback.body]
    # Twilio retries the callback: still one text.
    _post(desk, "/webhooks/twilio/voice/status", _dial_form(sid, status))
    assert len(_textbacks(desk)) == 1


def test_answered_dial_sends_nothing(desk: Desk) -> None:
    sid = _sid()
    _post(desk, "/webhooks/twilio/voice", _call_form(sid))
    response = _post(desk, "/webhooks/twilio/voice/status", _dial_form(sid, "completed"))
    assert response.status_code == 200
    assert _textbacks(desk) == [] and desk.ctx.recording.sent == []


def test_bad_signature_is_403_and_sends_nothing(desk: Desk) -> None:
    sid = _sid()
    bad = _post(desk, "/webhooks/twilio/voice/status", _dial_form(sid, "busy"), signature="x")
    assert bad.status_code == 403
    assert _post(desk, "/webhooks/twilio/voice", _call_form(sid), signature="x").status_code == 403
    assert desk.count(CallSession) == 0 and desk.ctx.recording.sent == []


def test_anonymous_caller_gets_no_text(desk: Desk) -> None:
    sid = _sid()
    _post(desk, "/webhooks/twilio/voice", _call_form(sid, "anonymous"))
    _post(desk, "/webhooks/twilio/voice/status", _dial_form(sid, "no-answer", "anonymous"))
    assert desk.ctx.recording.sent == []


def test_textback_window_is_the_clinics(desk: Desk) -> None:
    for _ in range(2):  # within 12 h: one text
        sid = _sid()
        _post(desk, "/webhooks/twilio/voice", _call_form(sid))
        _post(desk, "/webhooks/twilio/voice/status", _dial_form(sid, "no-answer"))
        desk.clock.advance(dt.timedelta(hours=11))
    assert len(_textbacks(desk)) == 1
    desk.clock.advance(dt.timedelta(hours=2))
    sid = _sid()
    _post(desk, "/webhooks/twilio/voice", _call_form(sid))
    _post(desk, "/webhooks/twilio/voice/status", _dial_form(sid, "busy"))
    assert len(_textbacks(desk)) == 2


class TestWithoutForwardingLine:
    @pytest.fixture
    def demo_clinic(self, demo_clinic: ClinicFile) -> ClinicFile:
        return _clinic(demo_clinic, forward_calls_to=None, textback_window_hours=1)

    def test_says_sorry_hangs_up_and_texts_back(self, desk: Desk) -> None:
        response = _post(desk, "/webhooks/twilio/voice", _call_form(_sid()))
        root = ET.fromstring(response.get_data(as_text=True))
        assert [child.tag for child in root] == ["Say", "Hangup"]
        assert len(_textbacks(desk)) == 1

    def test_window_of_one_hour(self, desk: Desk) -> None:
        _post(desk, "/webhooks/twilio/voice", _call_form(_sid()))
        desk.clock.advance(dt.timedelta(minutes=59))
        _post(desk, "/webhooks/twilio/voice", _call_form(_sid()))
        assert len(_textbacks(desk)) == 1
        desk.clock.advance(dt.timedelta(minutes=2))
        _post(desk, "/webhooks/twilio/voice", _call_form(_sid()))
        assert len(_textbacks(desk)) == 2
