"""``POST /webhooks/twilio/sms`` and ``/webhooks/twilio/status`` over HTTP.

Twilio signs the full public URL (``PUBLIC_BASE_URL`` + path) plus the sorted form fields
with the account auth token (HMAC-SHA1). Every test runs on SQLite and on the real Postgres.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from app.eval.signing import sign_twilio
from messaging.models import Conversation, Message
from tests.app.conftest import CLINIC, JANE, Desk

TOKEN = "test-token"
BASE = "https://frontdesk.test"
ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def desk(desk_factory: Callable[..., Desk]) -> Desk:
    """A desk whose Twilio webhooks verify with ``TOKEN``."""
    return desk_factory(twilio_auth_token=TOKEN)


def _sid() -> str:
    """A fresh Twilio-style message SID."""
    return "SM" + uuid.uuid4().hex


def _sms_form(
    body: str, *, sid: str | None = None, sender: str = JANE, to: str = CLINIC
) -> dict[str, str]:
    """The form Twilio posts for an inbound SMS."""
    sid = sid or _sid()
    return {
        "ToCountry": "US",
        "ToState": "TX",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "AUSTIN",
        "FromZip": "78704",
        "SmsSid": sid,
        "FromState": "TX",
        "SmsStatus": "received",
        "FromCity": "AUSTIN",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "MessagingServiceSid": "MG" + "1" * 32,
        "ToZip": "78701",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def _post(
    desk: Desk, path: str, form: dict[str, str], *, signature: str | None = None
) -> TestResponse:
    """POST ``form`` to ``path`` signed as Twilio would (or with ``signature``)."""
    sig = sign_twilio(BASE + path, form, TOKEN) if signature is None else signature
    return desk.client.post(path, data=form, headers={"X-Twilio-Signature": sig})


def _is_empty_twiml(response: TestResponse) -> bool:
    """True for ``text/xml`` holding an empty ``<Response/>``."""
    root = ET.fromstring(response.get_data(as_text=True))
    return response.mimetype == "text/xml" and root.tag == "Response" and len(root) == 0


def _nothing_stored(desk: Desk) -> None:
    assert desk.count(Message) == 0
    assert desk.count(Conversation) == 0
    assert desk.ctx.recording.sent == []


def test_signed_sms_is_stored_and_answered(desk: Desk) -> None:
    sid = _sid()
    response = _post(desk, "/webhooks/twilio/sms", _sms_form("hi how much is botox", sid=sid))
    assert response.status_code == 200
    assert _is_empty_twiml(response)
    [inbound] = desk.messages(Message.direction == "in")
    assert (inbound.carrier, inbound.carrier_message_id, inbound.from_number, inbound.body) == (
        "twilio",
        sid,
        JANE,
        "hi how much is botox",
    )
    [reply] = desk.ctx.recording.sent
    assert (reply.to_number, reply.from_number) == (JANE, CLINIC)
    assert "$13" in reply.body
    [out] = desk.messages(Message.direction == "out")
    assert (out.carrier, out.status) == ("twilio", "recorded")


@pytest.mark.parametrize("how", ["wrong_token", "other_url", "body_changed", "missing"])
def test_bad_signature_is_403_and_stores_nothing(desk: Desk, how: str) -> None:
    form = _sms_form("hi")
    path = "/webhooks/twilio/sms"
    signature: str | None = None
    if how == "wrong_token":
        signature = sign_twilio(BASE + path, form, "not-the-token")
    elif how == "other_url":
        signature = sign_twilio("http://frontdesk.test" + path, form, TOKEN)
    elif how == "body_changed":
        signature = sign_twilio(BASE + path, form, TOKEN)
        form = {**form, "Body": "something else"}
    else:
        signature = ""
    response = _post(desk, path, form, signature=signature)
    assert response.status_code == 403
    _nothing_stored(desk)


@pytest.mark.parametrize("field", ["MessageSid", "From", "To"])
def test_missing_required_field_is_400(desk: Desk, field: str) -> None:
    form = _sms_form("hi")
    del form[field]
    if field == "MessageSid":
        del form["SmsSid"], form["SmsMessageSid"]
    response = _post(desk, "/webhooks/twilio/sms", form)
    assert response.status_code == 400
    _nothing_stored(desk)


@pytest.mark.parametrize("path", ["/webhooks/twilio/sms", "/webhooks/twilio/status"])
def test_auth_token_unset_answers_503(desk_factory: Callable[..., Desk], path: str) -> None:
    desk = desk_factory()
    response = _post(desk, path, _sms_form("hi"))
    assert response.status_code == 503
    _nothing_stored(desk)


def test_same_message_sid_twice_is_answered_once(desk: Desk) -> None:
    form = _sms_form("hi how much is botox", sid=_sid())
    first = _post(desk, "/webhooks/twilio/sms", form)
    second = _post(desk, "/webhooks/twilio/sms", form)
    assert (first.status_code, second.status_code) == (200, 200)
    assert _is_empty_twiml(second)
    assert desk.count(Message, Message.direction == "in") == 1
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def test_sms_to_a_number_no_clinic_owns_is_ignored(desk: Desk) -> None:
    response = _post(desk, "/webhooks/twilio/sms", _sms_form("hi", to="+15125550188"))
    assert response.status_code == 200
    assert _is_empty_twiml(response)
    _nothing_stored(desk)


def test_mms_media_is_stored(desk: Desk) -> None:
    form = {
        **_sms_form("what do you think of this?"),
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1",
        "MediaContentType0": "image/jpeg",
    }
    assert _post(desk, "/webhooks/twilio/sms", form).status_code == 200
    [inbound] = desk.messages(Message.direction == "in")
    assert [(m["url"], m["content_type"]) for m in inbound.media] == [
        (form["MediaUrl0"], "image/jpeg")
    ]
    assert len(desk.ctx.recording.bodies(JANE)) == 1


def _status_form(sid: str, status: str, error: str | None = None) -> dict[str, str]:
    """A Twilio message status callback form."""
    form = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": JANE,
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": CLINIC,
        "ApiVersion": "2010-04-01",
    }
    if error:
        form["ErrorCode"] = error
    return form


def _sent_reply(desk: Desk) -> Message:
    """Have Jane text in over Twilio; return the stored outbound reply."""
    assert _post(desk, "/webhooks/twilio/sms", _sms_form("hi how much is botox")).status_code == 200
    [out] = desk.messages(Message.direction == "out")
    assert out.carrier_message_id
    return out


def test_status_callback_marks_delivered(desk: Desk) -> None:
    out = _sent_reply(desk)
    assert out.carrier_message_id is not None
    form = _status_form(out.carrier_message_id, "delivered")
    response = _post(desk, "/webhooks/twilio/status", form)
    assert response.status_code == 200
    [row] = desk.messages(Message.id == out.id)
    assert row.status == "delivered"


def test_status_callback_stores_error_code(desk: Desk) -> None:
    out = _sent_reply(desk)
    assert out.carrier_message_id is not None
    form = _status_form(out.carrier_message_id, "undelivered", error="30003")
    assert _post(desk, "/webhooks/twilio/status", form).status_code == 200
    [row] = desk.messages(Message.id == out.id)
    assert row.error_code == "30003"


def test_status_callback_with_bad_signature_changes_nothing(desk: Desk) -> None:
    out = _sent_reply(desk)
    assert out.carrier_message_id is not None
    form = _status_form(out.carrier_message_id, "failed", error="30008")
    signature = sign_twilio(BASE + "/webhooks/twilio/status", form, "wrong")
    assert _post(desk, "/webhooks/twilio/status", form, signature=signature).status_code == 403
    [row] = desk.messages(Message.id == out.id)
    assert (row.status, row.error_code) == ("recorded", None)


def test_status_callback_without_status_is_400(desk: Desk) -> None:
    form = _status_form("SM" + "9" * 32, "sent")
    del form["MessageStatus"], form["SmsStatus"]
    assert _post(desk, "/webhooks/twilio/status", form).status_code == 400
