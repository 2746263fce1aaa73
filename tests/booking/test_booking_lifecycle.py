"""The booking lifecycle on both databases: offers, holds, deposits, expiry, late payments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.clock import FrozenClock
from app.context import AppContext
from booking.deposits import expire_due_holds, request_deposit
from booking.holds import HoldFailed
from booking.models import Appointment, Deposit, SlotOffer
from booking.paid import ReceivedPayment, record_payment
from knowledge.clinic_file import ClinicFile
from messaging.models import Message, StaffAlert
from tests.steps import (
    JANE,
    OMAR,
    appointment_status,
    deposit_order,
    hold,
    offer_botox,
    open_conversation,
    pay,
)


def _texts_to(ctx: AppContext, phone: str) -> list[str]:
    with ctx.db.session() as s:
        return list(
            s.execute(
                select(Message.body)
                .where(Message.to_number == phone, Message.direction == "out")
                .order_by(Message.id)
            ).scalars()
        )


def test_offers_match_the_patients_wish_and_are_numbered(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    conv = open_conversation(ctx, JANE)
    offers = offer_botox(ctx, demo_clinic, conv, weekdays=frozenset({3}), after=dt.time(16))
    assert [o.position for o in offers] == list(range(1, len(offers) + 1))
    zone = demo_clinic.clinic.zone
    for o in offers:
        local = o.start_at.astimezone(zone)
        assert local.weekday() == 3 and local.time() >= dt.time(16)
        assert local + (o.end_at - o.start_at) <= local.replace(hour=18, minute=0)


def test_one_slot_cannot_be_held_twice(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    jane, omar = open_conversation(ctx, JANE), open_conversation(ctx, OMAR)
    first = offer_botox(ctx, demo_clinic, jane, weekdays=frozenset({3}), after=dt.time(16))[0]
    same = offer_botox(ctx, demo_clinic, omar, weekdays=frozenset({3}), after=dt.time(16))[0]
    assert same.start_at == first.start_at  # both saw the slot before anyone held it
    hold(ctx, demo_clinic, first, JANE)
    with pytest.raises(HoldFailed) as failed:
        hold(ctx, demo_clinic, same, OMAR)
    assert failed.value.reason == "taken"
    # And the held time is no longer offered to anyone.
    again = offer_botox(ctx, demo_clinic, omar, weekdays=frozenset({3}), after=dt.time(16))
    assert all(o.start_at != first.start_at for o in again)


def test_paid_deposit_books_confirms_and_notifies_staff(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    conv = open_conversation(ctx, JANE)
    appt = hold(ctx, demo_clinic, offer_botox(ctx, demo_clinic, conv)[0], JANE)
    terms = ctx.clinic_terms(demo_clinic)
    link = request_deposit(
        ctx.db, ctx.deposits, clinic=terms, appointment_id=appt, now=ctx.clock.now()
    )
    assert link.amount_cents == 5000 and link.url.startswith("https://frontdesk.test/checkout/")
    again = request_deposit(
        ctx.db, ctx.deposits, clinic=terms, appointment_id=appt, now=ctx.clock.now()
    )
    assert again.url == link.url  # asking twice never makes a second link
    with ctx.db.session() as s:
        order_id = s.get(Deposit, link.deposit_id).order_id  # type: ignore[union-attr]
    emr = ctx.emr_for(demo_clinic)
    outcome = record_payment(
        ctx.db,
        emr,
        ctx.deposits,
        clinic=terms,
        order_id=order_id,
        payment=ReceivedPayment("local", "pay-1", 5000, "USD"),
        now=ctx.clock.now(),
    )
    assert outcome.result == "booked" and appointment_status(ctx, appt) == "booked"
    repeat = record_payment(
        ctx.db,
        emr,
        ctx.deposits,
        clinic=terms,
        order_id=order_id,
        payment=ReceivedPayment("local", "pay-1", 5000, "USD"),
        now=ctx.clock.now(),
    )
    assert repeat.result == "duplicate"
    texts = _texts_to(ctx, JANE)
    assert sum("You're booked" in t for t in texts) == 1
    assert any("New booking" in t for t in _texts_to(ctx, "+15125550199"))
    with ctx.db.session() as s:
        assert s.execute(select(StaffAlert.kind)).scalars().all() == ["notice"]


def test_unpaid_hold_expires_frees_the_slot_and_tells_the_patient(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    clock: FrozenClock,
) -> None:
    ctx = make_ctx(database_url)
    conv = open_conversation(ctx, JANE)
    offer = offer_botox(ctx, demo_clinic, conv, weekdays=frozenset({3}))[0]
    appt = hold(ctx, demo_clinic, offer, JANE)
    terms = ctx.clinic_terms(demo_clinic)
    request_deposit(ctx.db, ctx.deposits, clinic=terms, appointment_id=appt, now=clock.now())
    emr = ctx.emr_for(demo_clinic)
    clock.advance(dt.timedelta(minutes=14))
    assert expire_due_holds(ctx.db, emr, ctx.deposits, clinic=terms, now=clock.now()) == []
    clock.advance(dt.timedelta(minutes=2))
    assert expire_due_holds(ctx.db, emr, ctx.deposits, clinic=terms, now=clock.now()) == [appt]
    assert appointment_status(ctx, appt) == "expired"
    assert any("has lapsed" in t for t in _texts_to(ctx, JANE))
    with ctx.db.session() as s:
        assert s.execute(select(Deposit.status)).scalar_one() == "expired"
    fresh = offer_botox(ctx, demo_clinic, open_conversation(ctx, OMAR), weekdays=frozenset({3}))
    assert offer.start_at in [o.start_at for o in fresh]  # released for everyone


def _expired_with_deposit(
    ctx: AppContext, clinic: ClinicFile, clock: FrozenClock
) -> tuple[int, str, SlotOffer]:
    offer = offer_botox(ctx, clinic, open_conversation(ctx, JANE), weekdays=frozenset({3}))[0]
    appt = hold(ctx, clinic, offer, JANE)
    order_id = deposit_order(ctx, clinic, appt)
    clock.advance(dt.timedelta(minutes=20))
    expire_due_holds(
        ctx.db, ctx.emr_for(clinic), ctx.deposits, clinic=ctx.clinic_terms(clinic), now=clock.now()
    )
    return appt, order_id, offer


def test_late_payment_books_the_slot_when_still_free(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    clock: FrozenClock,
) -> None:
    ctx = make_ctx(database_url)
    appt, order_id, _ = _expired_with_deposit(ctx, demo_clinic, clock)
    outcome = pay(ctx, demo_clinic, order_id, "pay-late")
    assert outcome.result == "late_booked" and appointment_status(ctx, appt) == "booked"
    assert any("You're booked" in t for t in _texts_to(ctx, JANE))


def test_late_payment_for_a_taken_slot_is_refunded_patient_told_staff_alerted(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    clock: FrozenClock,
) -> None:
    ctx = make_ctx(database_url)
    appt, order_id, offer = _expired_with_deposit(ctx, demo_clinic, clock)
    omar_offer = next(
        o
        for o in offer_botox(
            ctx, demo_clinic, open_conversation(ctx, OMAR), weekdays=frozenset({3})
        )
        if o.start_at == offer.start_at and o.provider_id == offer.provider_id
    )
    hold(ctx, demo_clinic, omar_offer, OMAR)  # someone else took the time meanwhile
    outcome = pay(ctx, demo_clinic, order_id, "pay-late")
    assert outcome.result == "refunded" and appointment_status(ctx, appt) == "expired"
    with ctx.db.session() as s:
        deposit = s.execute(select(Deposit).where(Deposit.order_id == order_id)).scalar_one()
        assert deposit.status == "refunded" and deposit.refund_id
        assert s.execute(
            select(StaffAlert.reason).where(StaffAlert.kind == "alert")
        ).scalars().all() == ["late_payment_refund"]
    assert any("refunded it in full" in t for t in _texts_to(ctx, JANE))


def test_an_emr_confirm_that_failed_is_retried_by_the_sweeper(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    """The EMR refuses the confirmation once (its appointment row is made invisible); our row
    stays booked with the error recorded, and the sweeper's retry clears it."""
    from sqlalchemy import update

    from app.flows.sweeper import run_due
    from booking.holds import confirm_appointment
    from emr.models import LocalAppointment

    ctx = make_ctx(database_url)
    appt = hold(
        ctx, demo_clinic, offer_botox(ctx, demo_clinic, open_conversation(ctx, JANE))[0], JANE
    )
    with ctx.db.session() as s:
        emr_id = int(s.get(Appointment, appt).emr_appointment_id or 0)  # type: ignore[union-attr]
        s.execute(
            update(LocalAppointment)
            .where(LocalAppointment.id == emr_id)
            .values(clinic_id="elsewhere")
        )  # the EMR cannot find it for now
    confirm_appointment(ctx.db, ctx.emr_for(demo_clinic), appt, ctx.clock.now())
    with ctx.db.session() as s:
        row = s.get(Appointment, appt)
        assert (
            row is not None
            and row.status == "booked"
            and (row.emr_error or "").startswith("confirm:")
        )
        s.execute(
            update(LocalAppointment)
            .where(LocalAppointment.id == emr_id)
            .values(clinic_id="glow-austin")
        )
    assert run_due(ctx)["emr_resynced"] == 1
    with ctx.db.session() as s:
        assert s.get(Appointment, appt).emr_error is None  # type: ignore[union-attr]
        assert s.get(LocalAppointment, emr_id).status == "booked"  # type: ignore[union-attr]
