"""Cancel and reschedule by the patient: the notice window decides the deposit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.clock import FrozenClock
from app.context import AppContext
from booking.changes import cancel_by_patient, reschedule, upcoming
from booking.models import Appointment, Deposit
from knowledge.clinic_file import ClinicFile
from messaging.models import StaffAlert
from tests.steps import (
    JANE,
    book_paid,
    deposit_order,
    hold,
    offer_botox,
    open_conversation,
    pay,
)


def _deposit_status(ctx: AppContext) -> str:
    with ctx.db.session() as s:
        return s.execute(select(Deposit.status)).scalar_one()


def test_early_cancellation_refunds_the_deposit(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))  # Thursday, days away
    done = cancel_by_patient(
        ctx.db,
        ctx.emr_for(demo_clinic),
        ctx.deposits,
        clinic=ctx.clinic_terms(demo_clinic),
        appointment_id=appt,
        now=ctx.clock.now(),
    )
    assert (done.deposit, done.late, done.amount_cents) == ("refunded", False, 5000)
    assert _deposit_status(ctx) == "refunded"
    assert upcoming(ctx.db, JANE, "glow-austin", ctx.clock.now()) == []
    with ctx.db.session() as s:
        reasons = s.execute(select(StaffAlert.reason)).scalars().all()
    assert reasons == ["booked", "cancelled"]


def test_late_cancellation_keeps_the_deposit(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    clock: FrozenClock,
) -> None:
    ctx = make_ctx(database_url)
    _, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))
    with ctx.db.session() as s:
        start = s.get(Appointment, appt).start_at  # type: ignore[union-attr]
    clock.set(start - dt.timedelta(hours=5))  # inside the 24 h notice window
    done = cancel_by_patient(
        ctx.db,
        ctx.emr_for(demo_clinic),
        ctx.deposits,
        clinic=ctx.clinic_terms(demo_clinic),
        appointment_id=appt,
        now=clock.now(),
    )
    assert (done.deposit, done.late) == ("kept", True)
    assert _deposit_status(ctx) == "paid"


def test_reschedule_books_the_new_time_first_and_moves_the_paid_deposit(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    conv, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))
    terms = ctx.clinic_terms(demo_clinic)
    emr = ctx.emr_for(demo_clinic)
    new_offer = offer_botox(ctx, demo_clinic, conv, weekdays=frozenset({4}))[0]
    moved = reschedule(
        ctx.db,
        emr,
        clinic=terms,
        appointment_id=appt,
        offer=new_offer,
        provider_name="Dr. Maya Lee",
        now=ctx.clock.now(),
    )
    assert moved.status == "booked" and moved.new_when.startswith("Fri")
    with ctx.db.session() as s:
        old = s.get(Appointment, appt)
        deposit = s.execute(select(Deposit)).scalar_one()
        assert old is not None and old.status == "cancelled"
        assert deposit.appointment_id == moved.new_appointment_id and deposit.status == "paid"
    [only] = upcoming(ctx.db, JANE, "glow-austin", ctx.clock.now())
    assert only.appointment_id == moved.new_appointment_id


def test_cancelling_an_inactive_appointment_is_refused(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))
    args = {"clinic": ctx.clinic_terms(demo_clinic), "appointment_id": appt, "now": ctx.clock.now()}
    cancel_by_patient(ctx.db, ctx.emr_for(demo_clinic), ctx.deposits, **args)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cancel_by_patient(ctx.db, ctx.emr_for(demo_clinic), ctx.deposits, **args)  # type: ignore[arg-type]


def test_cancelling_an_unpaid_hold_closes_its_link_and_a_late_payment_is_refunded(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    offer = offer_botox(ctx, demo_clinic, open_conversation(ctx), weekdays=frozenset({3}))[0]
    appt = hold(ctx, demo_clinic, offer)
    order = deposit_order(ctx, demo_clinic, appt)
    done = cancel_by_patient(
        ctx.db,
        ctx.emr_for(demo_clinic),
        ctx.deposits,
        clinic=ctx.clinic_terms(demo_clinic),
        appointment_id=appt,
        now=ctx.clock.now(),
    )
    assert done.deposit == "none" and _deposit_status(ctx) == "cancelled"
    # The patient had the page open and pays anyway: refunded, told why, never kept.
    outcome = pay(ctx, demo_clinic, order, "pay-late")
    assert outcome.result == "refunded" and _deposit_status(ctx) == "refunded"
    with ctx.db.session() as s:
        from messaging.models import Message

        last = (
            s.execute(
                select(Message.body).where(Message.to_number == JANE).order_by(Message.id.desc())
            )
            .scalars()
            .first()
        )
    assert last is not None and "was cancelled" in last
