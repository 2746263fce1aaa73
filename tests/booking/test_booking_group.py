"""Group booking: openings for several people, one pick holding a slot per person, all or
none (also when patients race for the same pair on Postgres)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from agent.tool_base import AgentDeps
from agent.tools import HoldSlotArgs, hold_slot
from agent.tools_group import (
    FindGroupSlotsArgs,
    HoldGroupArgs,
    find_group_slots,
    hold_group_slots,
)
from app.context import AppContext
from app.db import Database
from app.flows.staff import handoff
from booking.group import GroupMember, chain_openings, group_options, hold_group
from booking.holds import HoldFailed
from booking.models import ACTIVE_STATUSES, Appointment, Deposit
from booking.slots import latest_offers
from emr.base import Slot
from knowledge.clinic_file import ClinicFile
from tests.steps import JANE, OMAR, offer_botox, open_conversation

T0 = dt.datetime(2026, 11, 25, 21, 0, tzinfo=dt.UTC)


def _slot(provider: str, minutes: int, length: int = 30) -> Slot:
    start = T0 + dt.timedelta(minutes=minutes)
    return Slot(
        "botox", provider, start, start + dt.timedelta(minutes=length), f"{provider}{minutes}"
    )


def _shape(slots: tuple[Slot, ...]) -> list[tuple[str, int]]:
    return [(s.provider_id, int((s.start - T0).total_seconds() // 60)) for s in slots]


def test_two_providers_free_at_once_sit_side_by_side() -> None:
    found = chain_openings([_slot("a", 0), _slot("b", 0), _slot("a", 30)], 2)
    assert _shape(found.openings[0].slots) == [("a", 0), ("b", 0)]
    assert found.openings[0].kind == "side_by_side"


def test_one_provider_takes_a_group_back_to_back() -> None:
    found = chain_openings([_slot("a", 0), _slot("a", 30), _slot("a", 60)], 3)
    assert [o.kind for o in found.openings] == ["back_to_back"]
    assert _shape(found.openings[0].slots) == [("a", 0), ("a", 30), ("a", 60)]


def test_three_people_with_two_providers_get_two_then_one() -> None:
    found = chain_openings([_slot("a", 0), _slot("b", 0), _slot("b", 30)], 3)
    assert _shape(found.openings[0].slots) == [("a", 0), ("b", 0), ("b", 30)]
    assert found.openings[0].kind == "mixed"


def test_when_nobody_fits_all_the_best_partial_is_kept() -> None:
    found = chain_openings([_slot("a", 0), _slot("a", 90)], 2)  # a gap, not back to back
    assert found.openings == []
    assert found.best_partial is not None and len(found.best_partial.slots) == 1


def _deps(ctx: AppContext, clinic: ClinicFile, phone: str) -> AgentDeps:
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


def _find(deps: AgentDeps, size: int = 2, **wanted: Any) -> dict[str, Any]:
    args = {"service_id": "botox", "party_size": size, **wanted}
    return find_group_slots(deps, FindGroupSlotsArgs.model_validate(args))


def _active(ctx: AppContext, phone: str) -> list[tuple[str, str, str]]:
    with ctx.db.session() as s:
        rows = s.execute(
            select(Appointment)
            .where(Appointment.patient_phone == phone, Appointment.status.in_(ACTIVE_STATUSES))
            .order_by(Appointment.start_at, Appointment.provider_id)
        ).scalars()
        return [(r.status.value, r.provider_id, r.start_at.strftime("%a %H:%M")) for r in rows]


def test_a_group_pick_holds_one_slot_each_with_a_link_each_and_replaces_an_earlier_hold(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    jane = _deps(ctx, demo_clinic, JANE)
    offer_botox(ctx, demo_clinic, jane.conversation_id, weekdays=frozenset({4}))
    assert hold_slot(jane, HoldSlotArgs(option=1))["held"] is True  # a single Friday hold
    found = _find(jane, weekdays=["wed"], after="15:00")
    first = found["groups"][0]
    assert found["matched_preferences"] and first["kind"] == "side_by_side"
    held = hold_group_slots(jane, HoldGroupArgs(option=1))
    assert held["held"] is True and held["party_size"] == 2
    assert len({h["link"] for h in held["holds"]}) == 2
    # the group's two holds stand together; the earlier Friday hold was replaced
    assert _active(ctx, JANE) == [
        ("awaiting_deposit", "dr-lee", "Wed 21:00"),
        ("awaiting_deposit", "sarah-kim", "Wed 21:00"),
    ]
    with ctx.db.session() as s:
        statuses = sorted(s.execute(select(Deposit.status)).scalars())
    assert statuses == ["open", "open"]  # the single hold never had a link


def test_a_group_pick_with_one_slot_just_taken_holds_none_and_offers_again(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    jane, omar = _deps(ctx, demo_clinic, JANE), _deps(ctx, demo_clinic, OMAR)
    _find(jane, weekdays=["wed"], after="15:00")
    with ctx.db.session() as s:
        pair = group_options(latest_offers(s, jane.conversation_id))[1]
    # Omar takes Sarah Kim's half of Jane's first pair before she answers
    offer_botox(
        ctx,
        demo_clinic,
        omar.conversation_id,
        weekdays=frozenset({2}),
        after=dt.time(15),
        provider_ids=("sarah-kim",),
    )
    assert hold_slot(omar, HoldSlotArgs(option=1))["held"] is True
    assert pair[1].provider_id == "sarah-kim"
    again = hold_group_slots(jane, HoldGroupArgs(option=1))
    assert again["held"] is False and again["groups"]
    assert _active(ctx, JANE) == []  # all or none: Dr. Lee's half was not kept either


def test_a_one_person_option_is_not_a_group_pick(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    jane = _deps(ctx, demo_clinic, JANE)
    offer_botox(ctx, demo_clinic, jane.conversation_id, weekdays=frozenset({4}))
    assert "error" in hold_group_slots(jane, HoldGroupArgs(option=1))
    assert "error" in hold_group_slots(jane, HoldGroupArgs(option=9))


@pytest.mark.postgres
def test_groups_racing_for_the_same_pair_on_postgres_hold_all_or_none(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    """Ten conversations pick the same side-by-side pair at once, and ten others a pair that
    shares one slot with it: exactly one group wins, whole, and nobody keeps half a pair."""
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    ctx = make_ctx(pg_app_db.url)
    picks: list[tuple[str, list[GroupMember]]] = []
    for i in range(20):
        phone = f"+151255501{i:02d}"
        deps = _deps(ctx, demo_clinic, phone)
        # even: Wed 3:00 side by side; odd: Dr. Lee at 3:00 and 3:30, back to back
        wish = {"before": "15:01"} if i % 2 == 0 else {"provider_id": "dr-lee"}
        found = _find(deps, weekdays=["wed"], after="15:00", **wish)
        with ctx.db.session() as s:
            rows = group_options(latest_offers(s, deps.conversation_id))[1]
        picks.append((phone, [GroupMember(r, r.provider_id) for r in rows]))
        assert found["groups"]
    shapes = {tuple((m.offer.provider_id, m.offer.start_at) for m in p) for _, p in picks}
    assert len(shapes) == 2  # everybody saw one of the two overlapping pairs

    barrier = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def patient(phone: str, members: list[GroupMember]) -> None:
        barrier.wait()
        try:
            hold_group(
                ctx.db,
                ctx.emr_for(demo_clinic),
                ctx.deposits,
                clinic=ctx.clinic_terms(demo_clinic),
                members=members,
                patient_phone=phone,
                service_name="Botox",
                deposit_cents=5000,
                now=ctx.clock.now(),
            )
            outcome = "held"
        except HoldFailed as exc:
            outcome = exc.reason
        except Exception as exc:  # noqa: BLE001 - a crash is a result the assert must show
            outcome = f"error: {type(exc).__name__}: {exc}"[:200]
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=patient, args=pick) for pick in picks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["held"] + ["taken"] * 19
    with ctx.db.session() as s:
        active = (
            s.execute(select(Appointment).where(Appointment.status.in_(ACTIVE_STATUSES)))
            .scalars()
            .all()
        )
    assert len(active) == 2 and len({a.patient_phone for a in active}) == 1
    assert all(a.emr_appointment_id is not None for a in active)
