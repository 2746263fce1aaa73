"""Request bodies are capped before they are read, on every POST route (security review,
issue 11): a 100 MB body or a form of very many fields is a 413 at once, nothing stored; a NUL
in the URL path is a 404. Flask's ``MAX_CONTENT_LENGTH``/``MAX_FORM_PARTS``
(https://flask.palletsprojects.com/en/stable/config/#MAX_CONTENT_LENGTH); SQLite and Postgres.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from app.eval.signing import sign_twilio
from app.web.limits import MAX_FORM_PARTS, MAX_REQUEST_BYTES
from knowledge.apikeys import create_key
from messaging.models import Conversation, Message
from payments.models import PaymentEvent
from tests.app.conftest import CLINIC, JANE, Desk, telnyx_message

TOKEN = "limits-token"
BASE = "https://frontdesk.test"
HUNDRED_MB = 100 * 1024 * 1024
#: Every POST route of the app, with a path that reaches its view.
POST_ROUTES = [
    "/webhooks/telnyx",
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    "/webhooks/twilio/voice",
    "/webhooks/twilio/voice/status",
    "/webhooks/square",
    "/checkout/loc_nothing/pay",
    "/staff/glow-austin/conversations/1/reply",
    "/staff/glow-austin/conversations/1/resume",
    "/knowledge/glow-austin",
]


class LazyBody(io.RawIOBase):
    """A request body of ``size`` bytes made only as it is read; counts what was read.

    Seekable only so the test client can measure it (it seeks to the end and back)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"a" * n
        self.position += n
        self.read_bytes += n
        return n


@pytest.fixture
def desk(desk_factory: Callable[..., Desk]) -> Desk:
    """A desk with every webhook secret set, so a body would reach each route's checks."""
    return desk_factory(twilio_auth_token=TOKEN, square_webhook_signature_key="sq-key")


def _nothing_stored(desk: Desk) -> None:
    assert desk.count(Message) == 0
    assert desk.count(Conversation) == 0
    assert desk.count(PaymentEvent) == 0
    assert desk.ctx.recording.sent == []


def _post_lazy(desk: Desk, path: str, body: LazyBody, content_type: str) -> TestResponse:
    key = create_key(desk.ctx.db, "glow-austin", "limits")
    return desk.client.post(
        path,
        input_stream=body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_100_mb_body_is_413_without_being_read(desk: Desk, path: str, content_type: str) -> None:
    body = LazyBody(HUNDRED_MB)
    response = _post_lazy(desk, path, body, content_type)
    assert response.status_code == 413
    assert body.read_bytes == 0
    _nothing_stored(desk)


def test_a_body_just_over_the_cap_is_413(desk: Desk) -> None:
    payload = telnyx_message(
        "hi", sender=JANE, to=CLINIC, event_id="evt-big", occurred_at=desk.clock.now().isoformat()
    )
    payload["meta"]["padding"] = "x" * MAX_REQUEST_BYTES
    response = desk.post_telnyx(json.dumps(payload).encode())
    assert response.status_code == 413
    _nothing_stored(desk)


def test_a_chunked_body_without_length_stops_at_the_cap(desk: Desk) -> None:
    """A body sent without Content-Length (chunked; gunicorn marks the input terminated) is
    read only up to the cap, never further, and what was read fails its signature."""
    body = LazyBody(HUNDRED_MB)
    response = desk.client.post(
        "/webhooks/telnyx",
        input_stream=body,
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 401
    assert body.read_bytes == MAX_REQUEST_BYTES
    _nothing_stored(desk)


def _many_fields(count: int) -> bytes:
    return b"&".join([b"To=%2B15125550100", b"From=%2B15125550121", b"a="] + [b"b="] * count)


@pytest.mark.parametrize("path", [p for p in POST_ROUTES if "twilio" in p])
def test_a_form_of_very_many_fields_is_413(desk: Desk, path: str) -> None:
    """Under the byte cap, 300,000 fields are still refused before they are parsed."""
    data = _many_fields(300_000)
    assert len(data) < MAX_REQUEST_BYTES
    response = desk.client.post(
        path,
        data=data,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "x"},
    )
    assert response.status_code == 413
    _nothing_stored(desk)


def test_a_multipart_form_of_very_many_parts_is_413(desk: Desk) -> None:
    form = {f"f{i}": "x" for i in range(MAX_FORM_PARTS + 1)}
    response = desk.client.post(
        "/webhooks/twilio/sms", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    _nothing_stored(desk)


def test_a_signed_form_within_the_limits_is_answered(desk: Desk) -> None:
    """The limits leave Twilio's real forms alone (an MMS of 10 media has about 40 fields)."""
    form = {
        "MessageSid": "SM" + "1" * 32,
        "From": JANE,
        "To": CLINIC,
        "Body": "hi how much is botox",
        "NumMedia": "10",
        **{f"MediaUrl{i}": f"https://api.twilio.com/media/ME{i}" for i in range(10)},
        **{f"MediaContentType{i}": "image/jpeg" for i in range(10)},
    }
    path = "/webhooks/twilio/sms"
    signature = sign_twilio(BASE + path, form, TOKEN)
    response = desk.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert desk.count(Message, Message.direction == "in") == 1
    assert desk.ctx.recording.bodies(JANE)


def test_the_knowledge_api_keeps_its_larger_cap(desk: Desk) -> None:
    """Clinic files may be bigger than a webhook: 2 MB reaches the knowledge API's checks."""
    key = create_key(desk.ctx.db, "glow-austin", "limits")
    body = json.dumps({"documents": "x" * (2 * MAX_REQUEST_BYTES)})
    response = desk.client.post(
        "/knowledge/glow-austin",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/checkout/loc_%00x"),
        ("post", "/checkout/loc_%00x/pay"),
        ("post", "/knowledge/glow%00austin"),
        ("get", "/staff/glow%00austin/conversations"),
        ("post", "/staff/glow%00austin/conversations/1/reply"),
        ("post", "/webhooks/telnyx%00"),
    ],
)
def test_a_nul_in_the_path_is_404(desk: Desk, method: str, path: str) -> None:
    response = getattr(desk.client, method)(path, headers={"Authorization": "Bearer fdk_x"})
    assert response.status_code == 404
    _nothing_stored(desk)
