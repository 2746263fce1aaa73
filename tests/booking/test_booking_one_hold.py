"""One conversation holds at most one slot at a time: a patient's new hold, through the agent's
``hold_slot`` tool, releases the conversation's earlier unpaid hold for everybody else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from agent.tools import (
    AgentDeps,
    FindSlotsArgs,
    HoldSlotArgs,
    SendDepositLinkArgs,
    find_slots,
    hold_slot,
    send_deposit_link,
)
from app.context import AppContext
from app.flows.staff import handoff
from booking.models import Appointment, Deposit
from knowledge.clinic_file import ClinicFile
from tests.steps import JANE, OMAR, open_conversation, pay

# Tuesday: one Botox provider (Dr. Lee) works, so a held 4 PM is not offered twice
TUE_4PM = "Tue Nov 24 at 4:00 PM CST"


def _deps(ctx: AppContext, clinic: ClinicFile, phone: str) -> AgentDeps:
    """What the agent's tools get during one of ``phone``'s turns (now, on the demo clinic)."""
    conv = open_conversation(ctx, phone)
    return AgentDeps(
        db=ctx.db,
        clinic=clinic,
        terms=ctx.clinic_terms(clinic),
        emr=ctx.emr_for(clinic),
        deposits=ctx.deposits,
        conversation_id=conv,
        patient_phone=phone,
        now=ctx.clock.now(),
        handoff=lambda r, s: handoff(ctx, conv, r, s),
    )


def _search(deps: AgentDeps, **wanted: Any) -> list[str]:
    """Botox openings for ``wanted`` (find_slots arguments), as the patient reads them."""
    found = find_slots(deps, FindSlotsArgs.model_validate({"service_id": "botox", **wanted}))
    return [s["when"] for s in found["slots"]]


def _appointments(ctx: AppContext, phone: str) -> list[tuple[str, str]]:
    """(status, local start) of every appointment of ``phone``, oldest first."""
    with ctx.db.session() as s:
        rows = s.execute(
            select(Appointment).where(Appointment.patient_phone == phone).order_by(Appointment.id)
        ).scalars()
        return [(r.status.value, r.start_at.strftime("%a %H:%M")) for r in rows]


def test_a_new_hold_releases_the_earlier_one_for_another_patient(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    jane = _deps(ctx, demo_clinic, JANE)
    assert _search(jane, weekdays=["tue"], after="16:00")[0] == TUE_4PM
    assert hold_slot(jane, HoldSlotArgs(option=1))["held"] is True
    first_link = send_deposit_link(jane, SendDepositLinkArgs())["link"]
    # Jane changes her mind before paying and holds a Friday instead.
    friday = _search(jane, weekdays=["fri"])
    held = hold_slot(jane, HoldSlotArgs(option=1))
    assert held["held"] is True and held["when"] == friday[0]
    assert _appointments(ctx, JANE) == [("cancelled", "Tue 22:00"), ("held", "Fri 15:00")]
    assert send_deposit_link(jane, SendDepositLinkArgs())["link"] != first_link
    # Tuesday at 4 is open again: Omar is offered it and holds it.
    omar = _deps(ctx, demo_clinic, OMAR)
    assert _search(omar, weekdays=["tue"], after="16:00")[0] == TUE_4PM
    assert hold_slot(omar, HoldSlotArgs(option=1))["held"] is True
    # Jane's first link no longer books: paid anyway, it is refunded, never kept.
    with ctx.db.session() as s:
        first = s.execute(
            select(Deposit).where(Deposit.payment_link_url == first_link)
        ).scalar_one()
        assert first.status == "cancelled" and first.order_id
        order = first.order_id
    assert pay(ctx, demo_clinic, order, "pay-old-link").result == "refunded"
    assert _appointments(ctx, OMAR) == [("held", "Tue 22:00")]


def test_picking_the_held_time_again_keeps_one_hold(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    """The same slot picked twice (an earlier hold overlapping the new one) is one hold, not
    "that time was just taken"."""
    ctx = make_ctx(database_url)
    jane = _deps(ctx, demo_clinic, JANE)
    _search(jane, weekdays=["tue"], after="16:00")
    assert hold_slot(jane, HoldSlotArgs(option=1))["held"] is True
    again = hold_slot(jane, HoldSlotArgs(option=1))
    assert again["held"] is True and again["when"] == TUE_4PM
    assert _appointments(ctx, JANE) == [("cancelled", "Tue 22:00"), ("held", "Tue 22:00")]


def test_a_new_pick_that_was_just_taken_keeps_the_earlier_hold(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    jane, omar = _deps(ctx, demo_clinic, JANE), _deps(ctx, demo_clinic, OMAR)
    _search(jane, weekdays=["tue"], after="16:00")
    assert hold_slot(jane, HoldSlotArgs(option=1))["held"] is True
    assert _search(jane, weekdays=["fri"])[0] == _search(omar, weekdays=["fri"])[0]
    assert hold_slot(omar, HoldSlotArgs(option=1))["held"] is True  # Omar is quicker
    taken = hold_slot(jane, HoldSlotArgs(option=1))
    assert taken["held"] is False and taken["reason"] == "that time was just taken"
    assert _appointments(ctx, JANE) == [("held", "Tue 22:00")]
