"""Twilio adapter: official signature vectors, form parsing, TwiML, and sending via `responses`."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
import responses
from werkzeug.datastructures import MultiDict

from app.eval.signing import sign_twilio
from messaging.base import InboundMessage, MissedCall, OutboundSms, SendError, StatusUpdate
from messaging.errors import InvalidSignature, MalformedPayload
from messaging.twilio import (
    TwilioGateway,
    dial_twiml,
    empty_twiml,
    parse_dial_action,
    parse_inbound,
    parse_status,
    verify_signature,
)

# ---------------------------------------------------------------- official vectors
# twilio-python tests/unit/test_request_validator.py

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}


def test_vector_plain() -> None:
    verify_signature(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", TOKEN)


def test_vector_with_default_port_443() -> None:
    # Signed over https://mycompany.com:443/...; accepted for the port-less URL.
    verify_signature(URL, PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=", TOKEN)
    # ...and the plain signature is accepted when the URL carries the port.
    url_with_port = URL.replace(".com", ".com:443")
    verify_signature(url_with_port, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", TOKEN)


DUPLICATE_SIG = "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_vector_duplicate_params_multidict() -> None:
    form = MultiDict(
        [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    )
    verify_signature(URL, form, DUPLICATE_SIG, TOKEN)


def test_vector_duplicate_params_mapping_of_lists() -> None:
    form = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234"]}
    verify_signature(URL, form, DUPLICATE_SIG, TOKEN)
    # a parse_qs result is the same shape
    verify_signature(
        URL, parse_qs("Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234"), DUPLICATE_SIG, TOKEN
    )


def test_sign_twilio_helper_matches_vectors() -> None:
    assert sign_twilio(URL, PARAMS, TOKEN) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert (
        sign_twilio(URL, {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234"]}, TOKEN)
        == DUPLICATE_SIG
    )


@pytest.mark.parametrize(
    ("url", "params", "signature", "token", "fragment"),
    [
        (URL, PARAMS, None, TOKEN, "missing"),
        (URL, PARAMS, "", TOKEN, "missing"),
        (URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "54321", "does not match"),
        (
            URL,
            {**PARAMS, "Digits": "9999"},
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            TOKEN,
            "does not match",
        ),
        (
            URL.replace("foo=1", "foo=2"),
            PARAMS,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
            TOKEN,
            "does not match",
        ),
        (URL, {"Digits": ["5678"]}, DUPLICATE_SIG, TOKEN, "does not match"),
        (URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "", "auth token"),
    ],
)
def test_bad_signatures(
    url: str, params: dict, signature: str | None, token: str, fragment: str
) -> None:
    with pytest.raises(InvalidSignature, match=fragment):
        verify_signature(url, params, signature, token)


# ---------------------------------------------------------------- parsing

INBOUND_MMS = MultiDict(
    [
        ("ToCountry", "US"),
        ("MediaContentType0", "image/jpeg"),
        ("ToState", "TX"),
        ("SmsMessageSid", "MM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d"),
        ("NumMedia", "2"),
        ("ToCity", "AUSTIN"),
        ("FromZip", "78701"),
        ("SmsSid", "MM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d"),
        ("FromState", "TX"),
        ("SmsStatus", "received"),
        ("FromCity", "AUSTIN"),
        ("Body", "here's the rash after my peel"),
        ("FromCountry", "US"),
        ("To", "+15125550100"),
        ("MessagingServiceSid", "MG9752274e9e519418a7406176694466fa"),
        ("ToZip", "78701"),
        ("NumSegments", "1"),
        ("MessageSid", "MM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d"),
        ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        ("From", "+15125550123"),
        ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC.../Messages/MM.../Media/ME1"),
        ("MediaContentType1", "image/png"),
        ("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC.../Messages/MM.../Media/ME2"),
        ("ApiVersion", "2010-04-01"),
    ]
)


def test_parse_inbound_mms_multidict() -> None:
    message = parse_inbound(INBOUND_MMS)
    assert isinstance(message, InboundMessage)
    assert message.carrier == "twilio"
    assert message.event_id == message.carrier_message_id == "MM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d"
    assert (message.from_number, message.to_number) == ("+15125550123", "+15125550100")
    assert message.body == "here's the rash after my peel"
    assert [(m.url[-3:], m.content_type) for m in message.media] == [
        ("ME1", "image/jpeg"),
        ("ME2", "image/png"),
    ]
    assert message.received_at is None


def test_parse_inbound_mapping_of_lists_and_plain_dict() -> None:
    form_lists = {
        "MessageSid": ["SM1"],
        "From": ["+15125550123"],
        "To": ["+15125550100"],
        "Body": ["Hi"],
        "NumMedia": ["0"],
    }
    form_plain = {"MessageSid": "SM1", "From": "+15125550123", "To": "+15125550100", "Body": "Hi"}
    assert parse_inbound(form_lists) == parse_inbound(form_plain)
    assert parse_inbound(form_plain).media == ()
    # MMS with no text
    assert parse_inbound({k: v for k, v in form_plain.items() if k != "Body"}).body == ""


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To"])
def test_parse_inbound_missing_fields(missing: str) -> None:
    form = {"MessageSid": "SM1", "From": "+15125550123", "To": "+15125550100", "Body": "Hi"}
    del form[missing]
    with pytest.raises(MalformedPayload, match=missing):
        parse_inbound(form)


@pytest.mark.parametrize("num_media", ["two", "-1", "1"])
def test_parse_inbound_bad_media(num_media: str) -> None:
    form = {
        "MessageSid": "SM1",
        "From": "+15125550123",
        "To": "+15125550100",
        "NumMedia": num_media,
    }
    with pytest.raises(MalformedPayload):
        parse_inbound(form)


def test_parse_status() -> None:
    form = MultiDict(
        [
            ("MessageSid", "SM1"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
            ("AccountSid", "AC1"),
            ("From", "+15125550100"),
            ("To", "+15125550123"),
        ]
    )
    assert parse_status(form) == StatusUpdate(
        carrier="twilio", carrier_message_id="SM1", status="undelivered", error_code="30003"
    )
    delivered = parse_status({"SmsSid": "SM2", "SmsStatus": "delivered"})
    assert (delivered.carrier_message_id, delivered.status, delivered.error_code) == (
        "SM2",
        "delivered",
        None,
    )
    with pytest.raises(MalformedPayload, match="MessageSid"):
        parse_status({"MessageStatus": "sent"})
    with pytest.raises(MalformedPayload, match="MessageStatus"):
        parse_status({"MessageSid": "SM1"})


DIAL_FORM = {
    "AccountSid": "AC1",
    "CallSid": "CA0123456789abcdef0123456789abcdef",
    "CallStatus": "in-progress",
    "Direction": "inbound",
    "From": "+15125550123",
    "To": "+15125550100",
    "DialCallSid": "CAffff",
    "DialCallDuration": "0",
}


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_dial_action_missed(status: str) -> None:
    missed = parse_dial_action({**DIAL_FORM, "DialCallStatus": status})
    assert missed == MissedCall(
        carrier="twilio",
        event_id="CA0123456789abcdef0123456789abcdef",
        from_number="+15125550123",
        to_number="+15125550100",
    )


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_dial_action_answered(status: str) -> None:
    assert parse_dial_action({**DIAL_FORM, "DialCallStatus": status}) is None


def test_dial_action_malformed() -> None:
    with pytest.raises(MalformedPayload, match="DialCallStatus"):
        parse_dial_action(DIAL_FORM)
    with pytest.raises(MalformedPayload, match="CallSid"):
        parse_dial_action({"DialCallStatus": "busy", "From": "+1", "To": "+1"})


def test_twiml() -> None:
    assert empty_twiml() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    xml = dial_twiml(
        "+15125550199", "https://frontdesk.example/webhooks/twilio/voice?step=dial&a=1"
    )
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Dial ')
    assert 'action="https://frontdesk.example/webhooks/twilio/voice?step=dial&amp;a=1"' in xml
    assert 'timeout="20"' in xml and 'method="POST"' in xml
    assert ">+15125550199</Dial></Response>" in xml
    assert 'timeout="30"' in dial_twiml("+15125550199", "https://x.example/a", timeout_seconds=30)


# ---------------------------------------------------------------- sending

SID = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
CREATED = {
    "account_sid": SID,
    "api_version": "2010-04-01",
    "body": "Hi Jane, this is Glow Med Spa.",
    "date_created": "Mon, 23 Nov 2026 16:00:02 +0000",
    "date_sent": None,
    "date_updated": "Mon, 23 Nov 2026 16:00:02 +0000",
    "direction": "outbound-api",
    "error_code": None,
    "error_message": None,
    "from": "+15125550100",
    "messaging_service_sid": None,
    "num_media": "0",
    "num_segments": "1",
    "price": None,
    "price_unit": "USD",
    "sid": "SM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d",
    "status": "queued",
    "subresource_uris": {
        "media": f"/2010-04-01/Accounts/{SID}/Messages/SM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d/Media.json"
    },
    "to": "+15125550123",
    "uri": f"/2010-04-01/Accounts/{SID}/Messages/SM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d.json",
}
MESSAGE = OutboundSms(
    from_number="+15125550100",
    to_number="+15125550123",
    body="Hi Jane, this is Glow Med Spa.",
    idempotency_key="msg-42",
)


@responses.activate
def test_send_success() -> None:
    responses.add(responses.POST, MESSAGES_URL, json=CREATED, status=201)
    gateway = TwilioGateway(
        SID, "token", status_callback_url="https://frontdesk.example/webhooks/twilio/status"
    )
    result = gateway.send(MESSAGE)
    assert result.carrier_message_id == "SM1f8b1e4b0f4c2e9b8f0d6a5c3b2a1e0d"
    assert result.status == "queued"
    assert len(responses.calls) == 1
    sent = parse_qs(str(responses.calls[0].request.body))
    assert sent == {
        "To": ["+15125550123"],
        "From": ["+15125550100"],
        "Body": ["Hi Jane, this is Glow Med Spa."],
        "StatusCallback": ["https://frontdesk.example/webhooks/twilio/status"],
    }
    assert gateway.name == "twilio"


@responses.activate
def test_send_mms() -> None:
    responses.add(responses.POST, MESSAGES_URL, json=CREATED, status=201)
    message = OutboundSms(
        from_number="+15125550100",
        to_number="+15125550123",
        body="Aftercare",
        idempotency_key="k",
        media_urls=("https://x.example/a.pdf", "https://x.example/b.jpg"),
    )
    TwilioGateway(SID, "token").send(message)
    sent = parse_qs(str(responses.calls[0].request.body))
    assert sent["MediaUrl"] == ["https://x.example/a.pdf", "https://x.example/b.jpg"]
    assert "StatusCallback" not in sent


@responses.activate
def test_send_opted_out() -> None:
    responses.add(
        responses.POST,
        MESSAGES_URL,
        status=400,
        json={
            "code": 21610,
            "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610",
            "status": 400,
        },
    )
    with pytest.raises(SendError) as info:
        TwilioGateway(SID, "token").send(MESSAGE)
    err = info.value
    assert (err.permanent, err.opted_out, err.code) == (True, True, "21610")
    assert "+15125550123" not in str(err) and SID not in str(err)


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (429, 20429, False),
        (500, 20500, False),
        (503, None, False),
        (400, 21611, False),
        (400, 21211, True),  # invalid 'To'
        (401, 20003, True),
    ],
)
@responses.activate
def test_send_error_mapping(status: int, code: int | None, permanent: bool) -> None:
    body = (
        {"code": code, "message": "x", "status": status}
        if code
        else {"message": "x", "status": status}
    )
    responses.add(responses.POST, MESSAGES_URL, status=status, json=body)
    with pytest.raises(SendError) as info:
        TwilioGateway(SID, "token").send(MESSAGE)
    assert info.value.permanent is permanent
    assert info.value.opted_out is False
    assert info.value.code == str(code or status)


@responses.activate
def test_send_connection_errors_are_transient() -> None:
    responses.add(responses.POST, MESSAGES_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(SendError) as info:
        TwilioGateway(SID, "token").send(MESSAGE)
    assert (info.value.permanent, info.value.code) == (False, "connection")

    responses.replace(responses.POST, MESSAGES_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(SendError) as info:
        TwilioGateway(SID, "token").send(MESSAGE)
    assert (info.value.permanent, info.value.code) == (False, "timeout")
