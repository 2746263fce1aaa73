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


def _start(ctx: AppContext, appointment_id: int) -> dt.datetime:
    with ctx.db.session() as s:
        row = s.get(Appointment, appointment_id)
        assert row is not None
        return row.start_at


def _move_to_next_tuesday(ctx: AppContext, clinic: ClinicFile, conv: int, appt: int) -> int:
    """Jane moves ``appt`` to the first Botox opening on a Tuesday; the new appointment."""
    offer = offer_botox(ctx, clinic, conv, weekdays=frozenset({1}))[0]
    moved = reschedule(
        ctx.db,
        ctx.emr_for(clinic),
        clinic=ctx.clinic_terms(clinic),
        appointment_id=appt,
        offer=offer,
        provider_name="Dr. Maya Lee",
        now=ctx.clock.now(),
    )
    assert moved.status == "booked" and moved.new_when.startswith("Tue")
    return moved.new_appointment_id


def _cancel(ctx: AppContext, clinic: ClinicFile, appt: int) -> tuple[str, bool]:
    done = cancel_by_patient(
        ctx.db,
        ctx.emr_for(clinic),
        ctx.deposits,
        clinic=ctx.clinic_terms(clinic),
        appointment_id=appt,
        now=ctx.clock.now(),
    )
    return done.deposit, done.late


def test_a_move_inside_the_notice_window_keeps_the_deposit_forfeitable(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    clock: FrozenClock,
) -> None:
    """Policy: 24 hours' notice "to cancel or reschedule", else the deposit is forfeited. A
    move 5 hours before the visit, to a day a week out, then a cancellation days before that
    new day, keeps the deposit, as cancelling the original would have."""
    ctx = make_ctx(database_url)
    conv, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))  # Thursday
    clock.set(_start(ctx, appt) - dt.timedelta(hours=5))
    new = _move_to_next_tuesday(ctx, demo_clinic, conv, appt)
    assert _start(ctx, new) - clock.now() > dt.timedelta(days=4)
    [row] = upcoming(ctx.db, JANE, "glow-austin", clock.now())
    assert row.moved_late
    clock.advance(dt.timedelta(days=1))
    assert _cancel(ctx, demo_clinic, new) == ("kept", True)
    assert _deposit_status(ctx) == "paid"
    with ctx.db.session() as s:
        notices = s.execute(select(StaffAlert.summary)).scalars().all()
    assert any("Rescheduled" in n and "Late change" in n for n in notices)
    assert any("late cancellation, deposit $50.00 kept" in n for n in notices)


def test_a_late_move_stays_late_through_a_second_move_made_with_notice(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    clock: FrozenClock,
) -> None:
    ctx = make_ctx(database_url)
    conv, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))
    clock.set(_start(ctx, appt) - dt.timedelta(hours=5))
    tuesday = _move_to_next_tuesday(ctx, demo_clinic, conv, appt)
    # Moved again days before that Tuesday (with notice), to a Friday a week out.
    offer = offer_botox(
        ctx, demo_clinic, conv, weekdays=frozenset({4}), date_from=dt.date(2026, 12, 2)
    )[0]
    again = reschedule(
        ctx.db,
        ctx.emr_for(demo_clinic),
        clinic=ctx.clinic_terms(demo_clinic),
        appointment_id=tuesday,
        offer=offer,
        provider_name="Dr. Maya Lee",
        now=clock.now(),
    )
    assert again.late_change and again.new_when.startswith("Fri Dec 4")
    assert _cancel(ctx, demo_clinic, again.new_appointment_id) == ("kept", True)


def test_a_move_made_with_notice_then_a_timely_cancellation_refunds(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    conv, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))  # days away
    new = _move_to_next_tuesday(ctx, demo_clinic, conv, appt)
    [row] = upcoming(ctx.db, JANE, "glow-austin", ctx.clock.now())
    assert not row.moved_late
    assert _cancel(ctx, demo_clinic, new) == ("refunded", False)
    assert _deposit_status(ctx) == "refunded"
