"""The local test checkout over HTTP: ``GET /checkout/<link_id>`` and ``POST .../pay``.

The deposit link comes from a real conversation over the Telnyx webhook. Every test runs on
SQLite and on the real Postgres.
"""

from __future__ import annotations

import datetime as dt
import json

from werkzeug.test import TestResponse

from app.flows.sweeper import run_due
from booking.models import Deposit
from messaging.models import StaffAlert
from tests.app.conftest import JANE, OMAR, Desk, appointment_of

JSON = {"accept": "application/json"}


def _pay(desk: Desk, link_id: str) -> TestResponse:
    """POST the checkout form of ``link_id`` asking for JSON."""
    return desk.client.post(f"/checkout/{link_id}/pay", headers=JSON)


def _confirmations(desk: Desk, phone: str = JANE) -> list[str]:
    return [b for b in desk.ctx.recording.bodies(phone) if b.startswith("You're booked")]


def _deposit(desk: Desk, deposit_id: int) -> Deposit:
    with desk.ctx.db.session() as s:
        row = s.get(Deposit, deposit_id)
        assert row is not None
        s.expunge(row)
        return row


def test_page_shows_amount_and_test_notice(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.payment_link_url and deposit.payment_link_id
    assert deposit.payment_link_url.endswith(f"/checkout/{deposit.payment_link_id}")
    response = desk.client.get(f"/checkout/{deposit.payment_link_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "$50.00" in page
    assert "Test checkout" in page and "no card is charged" in page
    assert "Glow Med Spa" in page and "Botox deposit" in page
    assert f'action="/checkout/{deposit.payment_link_id}/pay"' in page


def test_paying_books_and_confirms(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.payment_link_id
    response = _pay(desk, deposit.payment_link_id)
    assert response.status_code == 200
    assert json.loads(response.data) == {"result": "booked"}
    assert appointment_of(desk.ctx, deposit).status == "booked"
    assert _deposit(desk, deposit.id).status == "paid"
    [confirmation] = _confirmations(desk)
    assert "Wed Nov 25 at 4:00 PM" in confirmation
    assert desk.count(StaffAlert, StaffAlert.kind == "notice", StaffAlert.reason == "booked") == 1
    page = desk.client.get(f"/checkout/{deposit.payment_link_id}").get_data(as_text=True)
    assert "Paid, thank you" in page and "<form" not in page


def test_paying_twice_is_refused_and_confirms_once(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.payment_link_id
    assert _pay(desk, deposit.payment_link_id).status_code == 200
    second = _pay(desk, deposit.payment_link_id)
    assert second.status_code == 409
    assert len(_confirmations(desk)) == 1
    assert desk.count(StaffAlert, StaffAlert.reason == "booked") == 1


def test_browser_form_post_redirects_to_the_page(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.payment_link_id
    response = desk.client.post(
        f"/checkout/{deposit.payment_link_id}/pay", headers={"accept": "text/html"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/checkout/{deposit.payment_link_id}")
    assert appointment_of(desk.ctx, deposit).status == "booked"


def test_unknown_link_is_404(desk: Desk) -> None:
    assert desk.client.get("/checkout/loc_000000000000000000000000").status_code == 404
    assert _pay(desk, "loc_000000000000000000000000").status_code == 404
    assert desk.ctx.recording.sent == []


def test_expired_hold_still_free_books_when_paid(desk: Desk) -> None:
    deposit = desk.book_to_deposit()
    assert deposit.payment_link_id
    desk.clock.advance(dt.timedelta(minutes=20))
    desk.ctx.jobs.enqueue(run_due)
    assert appointment_of(desk.ctx, deposit).status == "expired"
    page = desk.client.get(f"/checkout/{deposit.payment_link_id}").get_data(as_text=True)
    assert "hold has expired" in page
    response = _pay(desk, deposit.payment_link_id)
    assert response.status_code == 200
    assert json.loads(response.data) == {"result": "late_booked"}
    assert appointment_of(desk.ctx, deposit).status == "booked"
    assert len(_confirmations(desk)) == 1


def test_expired_hold_taken_by_another_patient_is_refunded(desk: Desk) -> None:
    jane = desk.book_to_deposit(JANE)
    assert jane.payment_link_id
    desk.clock.advance(dt.timedelta(minutes=20))
    desk.ctx.jobs.enqueue(run_due)
    omar = desk.book_to_deposit(OMAR)
    assert omar.payment_link_id
    assert appointment_of(desk.ctx, omar).start_at == appointment_of(desk.ctx, jane).start_at
    assert _pay(desk, omar.payment_link_id).status_code == 200
    response = _pay(desk, jane.payment_link_id)
    assert response.status_code == 200
    assert json.loads(response.data) == {"result": "refunded"}
    assert _deposit(desk, jane.id).status == "refunded"
    assert appointment_of(desk.ctx, jane).status != "booked"
    assert _confirmations(desk, JANE) == []
    assert any("refunded it in full" in b for b in desk.ctx.recording.bodies(JANE))
    assert desk.count(StaffAlert, StaffAlert.kind == "alert") == 1
    assert len(_confirmations(desk, OMAR)) == 1
