"""The local test checkout books without a card, so it runs only on the embedded default or
with ``FRONTDESK_DEMO_CHECKOUT=1``; and a text only the recording gateway took is stored as
``recorded``, never ``sent`` (issue 11). HTTP tests run on SQLite and on the real Postgres."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from app.settings import load_settings
from booking.models import Deposit
from messaging.models import Message
from tests.app.conftest import JANE, Desk, appointment_of

JSON = {"accept": "application/json"}
TELNYX_SEND = "https://api.telnyx.com/v2/messages"


def _settings(tmp_path: Path, **values: Any) -> Any:
    return load_settings({}, instance_path=tmp_path, **values)


@pytest.mark.parametrize(
    ("values", "enabled"),
    [
        ({}, True),  # the embedded default: SQLite, no carrier keys
        ({"telnyx_api_key": "KEY_live"}, False),
        ({"telnyx_public_key": "cHVibGlj"}, False),
        ({"telnyx_messaging_profile_id": "4001767e"}, False),
        ({"twilio_account_sid": "AC" + "1" * 32, "twilio_auth_token": "tok"}, False),
        ({"twilio_auth_token": "tok"}, False),
        ({"database_url": "postgresql://u@db.example.com/frontdesk"}, False),
        ({"telnyx_api_key": "KEY_live", "frontdesk_demo_checkout": True}, True),
        ({"database_url": "postgresql://u@db/f", "frontdesk_demo_checkout": "1"}, True),
    ],
)
def test_checkout_runs_only_on_the_embedded_default_or_when_asked(
    tmp_path: Path, values: dict[str, Any], enabled: bool
) -> None:
    assert _settings(tmp_path, **values).local_checkout_enabled is enabled


def test_the_demo_flag_is_read_from_the_environment(tmp_path: Path) -> None:
    env = {"TELNYX_API_KEY": "KEY_live", "FRONTDESK_DEMO_CHECKOUT": "1"}
    assert load_settings(env, instance_path=tmp_path).local_checkout_enabled
    env["FRONTDESK_DEMO_CHECKOUT"] = "0"
    assert not load_settings(env, instance_path=tmp_path).local_checkout_enabled


def _client_with(desk: Desk, **settings: Any) -> Any:
    """A fresh app on ``desk``'s context with ``settings`` changed (as a restart would)."""
    from app.web import create_app

    desk.ctx.settings = desk.ctx.settings.model_copy(update=settings)
    return create_app(context=desk.ctx).test_client()


@pytest.mark.parametrize(
    "carrier_keys",
    [
        {"telnyx_api_key": "KEY_live"},
        {"twilio_account_sid": "AC" + "1" * 32, "twilio_auth_token": "tok"},
    ],
    ids=["telnyx", "twilio"],
)
def test_beside_live_carrier_keys_a_link_cannot_book_for_free(
    desk: Desk, carrier_keys: dict[str, str]
) -> None:
    deposit = desk.book_to_deposit()
    link = deposit.payment_link_id
    assert link
    client = _client_with(desk, frontdesk_demo_checkout=False, **carrier_keys)
    assert client.get(f"/checkout/{link}").status_code == 404
    assert client.post(f"/checkout/{link}/pay", headers=JSON).status_code == 404
    assert appointment_of(desk.ctx, deposit).status == "awaiting_deposit"
    with desk.ctx.db.session() as s:
        row = s.get(Deposit, deposit.id)
        assert row is not None and row.status == "open"
    assert not any(b.startswith("You're booked") for b in desk.ctx.recording.bodies(JANE))


def test_with_the_demo_flag_the_checkout_books_beside_carrier_keys(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    client = _client_with(desk, frontdesk_demo_checkout=True, telnyx_api_key="KEY_live")
    response = client.post(f"/checkout/{deposit.payment_link_id}/pay", headers=JSON)
    assert response.status_code == 200
    assert json.loads(response.data) == {"result": "booked"}
    assert appointment_of(desk.ctx, deposit).status == "booked"


def test_on_the_embedded_default_the_checkout_books(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    client = _client_with(desk, frontdesk_demo_checkout=False, telnyx_public_key=None)
    if not desk.ctx.settings.is_sqlite:  # Postgres is not the embedded default
        assert client.get(f"/checkout/{deposit.payment_link_id}").status_code == 404
        return
    response = client.post(f"/checkout/{deposit.payment_link_id}/pay", headers=JSON)
    assert response.status_code == 200
    assert appointment_of(desk.ctx, deposit).status == "booked"


def test_a_recorded_reply_is_stored_as_recorded_not_sent(desk: Desk) -> None:
    assert desk.say("hi how much is botox")
    [reply] = desk.messages(Message.direction == "out")
    assert reply.status == "recorded"
    assert reply.carrier_message_id and reply.sent_at is not None


@respx.mock
def test_a_reply_a_carrier_accepted_is_sent(desk_factory: Callable[..., Desk]) -> None:
    route = respx.post(TELNYX_SEND).mock(
        return_value=httpx.Response(
            200, json={"data": {"id": "40385f64-5717-4562-b3fc-2c963f66afa6", "to": []}}
        )
    )
    desk = desk_factory(telnyx_api_key="KEY_test", sms_carrier="auto")
    assert desk.text("hi how much is botox").status_code == 200
    assert route.call_count == 1
    [reply] = desk.messages(Message.direction == "out")
    assert (reply.status, reply.carrier_message_id) == (
        "sent",
        "40385f64-5717-4562-b3fc-2c963f66afa6",
    )
    assert desk.ctx.recording.sent == []
