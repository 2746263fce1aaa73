"""Helpers for the HTTP-level tests of the webhooks and the checkout (tests/app).

Each test gets a wired :class:`AppContext` (demo clinic seeded, frozen clock, texts recorded)
through ``make_ctx`` from ``tests/conftest.py``, on SQLite and on the real Postgres.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.clock import FrozenClock
from app.context import AppContext
from app.eval.signing import telnyx_headers
from app.web import create_app
from booking.models import Appointment, Deposit
from messaging.models import Message

CLINIC = "+15125550100"
JANE = "+15125550121"
OMAR = "+15125550122"
STAFF = "+15125550199"
#: Settings ``make_ctx`` always sets; tests override them on the built context instead.
_FIXED_SETTINGS = ("telnyx_public_key", "sms_carrier", "public_base_url")


@dataclass
class Desk:
    """One wired app under test: its context, a test client and the frozen clock."""

    ctx: AppContext
    client: FlaskClient
    clock: FrozenClock
    _n: int = field(default=0)

    # --- Telnyx -----------------------------------------------------------------------------
    def event_id(self) -> str:
        """A fresh Telnyx-style event id."""
        self._n += 1
        return f"evt-{self._n:04d}-{uuid.uuid4().hex[:8]}"

    def post_telnyx(
        self,
        payload: dict[str, Any] | bytes,
        *,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """POST ``payload`` to /webhooks/telnyx, signed for ``timestamp`` (default: now)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ts = int(self.clock.now().timestamp()) if timestamp is None else timestamp
        sent = telnyx_headers(body, ts) if headers is None else headers
        return self.client.post(
            "/webhooks/telnyx",
            data=body,
            headers={**sent, "content-type": "application/json"},
        )

    def text(
        self,
        body: str,
        *,
        sender: str = JANE,
        to: str = CLINIC,
        event_id: str | None = None,
        media: list[dict[str, Any]] | None = None,
    ) -> TestResponse:
        """A signed Telnyx ``message.received`` from ``sender``; asserts nothing."""
        return self.post_telnyx(
            telnyx_message(
                body,
                sender=sender,
                to=to,
                event_id=event_id or self.event_id(),
                media=media,
                occurred_at=self.clock.now().isoformat(),
            )
        )

    def say(self, body: str, sender: str = JANE) -> list[str]:
        """Text the clinic, require 200, and return the texts sent back to ``sender``."""
        before = len(self.ctx.recording.bodies(sender))
        response = self.text(body, sender=sender)
        assert response.status_code == 200, response.data
        return self.ctx.recording.bodies(sender)[before:]

    # --- database -----------------------------------------------------------------------------
    def count(self, model: type, *where: Any) -> int:
        """Rows of ``model`` matching ``where``."""
        with self.ctx.db.session() as s:
            return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar())

    def messages(self, *where: Any) -> list[Message]:
        """Message rows matching ``where``, oldest first (detached)."""
        with self.ctx.db.session() as s:
            rows = list(s.execute(select(Message).where(*where).order_by(Message.id)).scalars())
            s.expunge_all()
            return rows

    def book_to_deposit(self, sender: str = JANE, day: str = "wednesday") -> Deposit:
        """Drive a conversation until a deposit link is sent for the first Botox opening after
        4 PM on ``day`` (a weekday name; Wednesday Nov 25 by default, the demo clinic being
        closed on Thanksgiving); return the open deposit."""
        self.say(f"can i book botox {day} after 4", sender)
        replies = self.say("1", sender)
        assert any("/checkout/" in r for r in replies), replies
        return open_deposit(self.ctx, sender)


def telnyx_message(
    text: str,
    *,
    sender: str,
    to: str,
    event_id: str,
    occurred_at: str,
    media: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Telnyx ``message.received`` webhook body, shaped as Telnyx documents it."""
    return {
        "data": {
            "event_type": "message.received",
            "id": event_id,
            "occurred_at": occurred_at,
            "record_type": "event",
            "payload": {
                "id": str(uuid.uuid4()),
                "record_type": "message",
                "direction": "inbound",
                "type": "MMS" if media else "SMS",
                "messaging_profile_id": "400171b1-0000-4000-8000-000000000000",
                "text": text,
                "from": {
                    "phone_number": sender,
                    "carrier": "T-Mobile USA",
                    "line_type": "Wireless",
                },
                "to": [{"phone_number": to, "status": "webhook_delivered"}],
                "media": media or [],
                "parts": 1,
                "encoding": "GSM-7",
                "received_at": occurred_at,
            },
        },
        "meta": {"attempt": 1, "delivered_to": "https://frontdesk.test/webhooks/telnyx"},
    }


def open_deposit(ctx: AppContext, phone: str) -> Deposit:
    """The newest open deposit of ``phone`` (detached)."""
    with ctx.db.session() as s:
        deposit = (
            s.execute(
                select(Deposit)
                .join(Appointment, Appointment.id == Deposit.appointment_id)
                .where(Appointment.patient_phone == phone, Deposit.status == "open")
                .order_by(Deposit.id.desc())
            )
            .scalars()
            .first()
        )
        assert deposit is not None, "no open deposit"
        s.expunge(deposit)
        return deposit


def appointment_of(ctx: AppContext, deposit: Deposit) -> Appointment:
    """The appointment ``deposit`` pays for, as stored now (detached)."""
    with ctx.db.session() as s:
        appt = s.get(Appointment, deposit.appointment_id)
        assert appt is not None
        s.expunge(appt)
        return appt


class _CurrentStderr:
    """A file-like that writes to whatever ``sys.stderr`` is at write time."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture
def desk_factory(
    make_ctx: Callable[..., AppContext], database_url: str, clock: FrozenClock
) -> Callable[..., Desk]:
    """Factory: a :class:`Desk` on this test's database, with settings overrides."""
    # A CLI test (configure_logging) may have bound structlog to an earlier test's captured,
    # now closed, stderr; every webhook warning would then answer 500. Write to today's.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()))  # type: ignore[arg-type]

    def factory(**overrides: Any) -> Desk:
        # make_ctx passes these itself, so overriding them there would clash: patch after.
        fixed = {k: overrides.pop(k) for k in _FIXED_SETTINGS if k in overrides}
        ctx = make_ctx(database_url, **overrides)
        if fixed:
            ctx.settings = ctx.settings.model_copy(update=fixed)
        return Desk(ctx=ctx, client=create_app(context=ctx).test_client(), clock=clock)

    return factory


@pytest.fixture
def desk(desk_factory: Callable[..., Desk]) -> Desk:
    """A :class:`Desk` with the default test settings (Telnyx key set, texts recorded)."""
    return desk_factory()


def xfail_on(request: pytest.FixtureRequest, backend: str, reason: str) -> None:
    """Mark the running test strict-xfail when it runs on ``backend`` (sqlite | postgres)."""
    if request.node.callspec.params.get("database_url") == backend:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
