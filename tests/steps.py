"""Steps shared by tests: a patient texting, and the real booking path, one call per step.

Each step goes through the production functions (no shortcuts into tables), on the demo
clinic's Botox (30 min, $50 deposit), so tests read as the patient's story.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from agent.tools import service_terms
from app.context import AppContext
from app.db import Database
from app.eval.signing import telnyx_headers
from app.flows.payment import apply_payment
from booking.deposits import request_deposit
from booking.holds import hold_offer
from booking.models import Appointment, Deposit, SlotOffer
from booking.paid import PaymentOutcome, ReceivedPayment
from booking.slots import offer_slots
from booking.terms import SlotFilter
from knowledge.clinic_file import ClinicFile, load_clinic_file
from knowledge.seed import seed_clinic
from messaging.inbound import get_or_create_conversation

JANE, OMAR = "+15125550123", "+15125550124"
CLINIC_NUMBER = "+15125550100"


def open_conversation(ctx: AppContext, phone: str = JANE) -> int:
    """The demo clinic's conversation with ``phone`` (created if new); its id."""
    with ctx.db.session() as s:
        return get_or_create_conversation(
            s,
            clinic_id="glow-austin",
            patient_phone=phone,
            clinic_phone=CLINIC_NUMBER,
            carrier="telnyx",
            now=ctx.clock.now(),
        ).id


def offer_botox(
    ctx: AppContext, clinic: ClinicFile, conversation_id: int, **wanted: Any
) -> list[SlotOffer]:
    """Botox openings matching ``wanted`` (SlotFilter fields), recorded as offers."""
    return offer_slots(
        ctx.db,
        ctx.emr_for(clinic),
        clinic=ctx.clinic_terms(clinic),
        conversation_id=conversation_id,
        service=service_terms(clinic, clinic.service("botox")),
        wanted=SlotFilter(**wanted),
        now=ctx.clock.now(),
    )


def hold(ctx: AppContext, clinic: ClinicFile, offer: SlotOffer, phone: str = JANE) -> int:
    """Hold ``offer`` for ``phone`` with the $50 deposit; the appointment id."""
    return hold_offer(
        ctx.db,
        ctx.emr_for(clinic),
        clinic=ctx.clinic_terms(clinic),
        offer=offer,
        patient_phone=phone,
        service_name="Botox",
        provider_name="Dr. Maya Lee",
        deposit_cents=5000,
        now=ctx.clock.now(),
    ).appointment_id


def deposit_order(ctx: AppContext, clinic: ClinicFile, appointment_id: int) -> str:
    """Ask for the deposit of a held appointment; the payment link's order id."""
    link = request_deposit(
        ctx.db,
        ctx.deposits,
        clinic=ctx.clinic_terms(clinic),
        appointment_id=appointment_id,
        now=ctx.clock.now(),
    )
    with ctx.db.session() as s:
        deposit = s.get(Deposit, link.deposit_id)
        assert deposit is not None and deposit.order_id is not None
        return deposit.order_id


def pay(
    ctx: AppContext, clinic: ClinicFile, order_id: str, payment_id: str = "pay-1"
) -> PaymentOutcome:
    """The payment of ``order_id`` completes for exactly its deposit, through the deposit's own
    provider, by the payment flow that Square's webhook and the local checkout both end in
    (``clinic`` is the order's clinic, found by the flow itself)."""
    with ctx.db.session() as s:
        deposit = s.execute(select(Deposit).where(Deposit.order_id == order_id)).scalar_one()
        paid = ReceivedPayment(deposit.provider, payment_id, deposit.amount_cents, deposit.currency)
    return apply_payment(ctx, order_id, paid)


def book_paid(
    ctx: AppContext, clinic: ClinicFile, phone: str = JANE, **wanted: Any
) -> tuple[int, int]:
    """Offer, hold and pay a Botox appointment; (conversation id, appointment id)."""
    conv = open_conversation(ctx, phone)
    appt = hold(ctx, clinic, offer_botox(ctx, clinic, conv, **wanted)[0], phone)
    outcome = pay(ctx, clinic, deposit_order(ctx, clinic, appt))
    assert outcome.result == "booked"
    return conv, appt


def appointment_status(ctx: AppContext, appointment_id: int) -> str:
    """The appointment's status as stored now (it must exist)."""
    with ctx.db.session() as s:
        row = s.get(Appointment, appointment_id)
        assert row is not None
        return row.status


def signed_text(
    body: str, event_id: str, ts: int, sender: str = JANE
) -> tuple[bytes, dict[str, str]]:
    """A Telnyx ``message.received`` body from ``sender`` to the demo clinic, and the headers
    that sign it at unix time ``ts`` (the test key of :mod:`app.eval.signing`)."""
    payload = {
        "data": {
            "event_type": "message.received",
            "id": event_id,
            "payload": {
                "id": event_id,
                "text": body,
                "from": {"phone_number": sender},
                "to": [{"phone_number": CLINIC_NUMBER}],
            },
        }
    }
    raw = json.dumps(payload).encode()
    return raw, {**telnyx_headers(raw, ts), "content-type": "application/json"}


def post_text(client: Any, ctx: AppContext, body: str, event_id: str, sender: str = JANE) -> None:
    """The patient texts ``body``: a signed webhook to ``/webhooks/telnyx``, answered 200."""
    raw, headers = signed_text(body, event_id, int(ctx.clock.now().timestamp()), sender)
    assert client.post("/webhooks/telnyx", data=raw, headers=headers).status_code == 200


class HeldJobs:
    """A job queue that keeps jobs instead of running them: the worker that would run them
    is gone (or a test runs them one by one). ``jobs`` lists ``(function, args)``."""

    delays = False
    retries = False

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def enqueue(self, func: Callable[..., Any], *args: Any) -> None:
        """Keep ``func(ctx, *args)``."""
        self.jobs.append((func, args))

    enqueue_after_job = enqueue


def cli_database(monkeypatch: Any, tmp_path: Any) -> Database:
    """Point ``frontdesk`` commands at a fresh SQLite file under ``tmp_path``, migrated by
    ``frontdesk db upgrade`` and seeded with the demo clinic; the database (dispose it)."""
    from app.cli import main
    from tests.conftest import DEMO_CLINIC

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    seed_clinic(db, load_clinic_file(DEMO_CLINIC))
    return db
