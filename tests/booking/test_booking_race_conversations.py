"""Fifty patients pick the same offered slot at once through the agent's tool, on Postgres:
exactly one holds it; every other patient is told it is gone and offered alternatives."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from agent.tools import AgentDeps, FindSlotsArgs, HoldSlotArgs, find_slots, hold_slot
from app.context import AppContext
from app.db import Database
from app.flows.staff import handoff
from booking.models import ACTIVE_STATUSES, Appointment
from knowledge.clinic_file import ClinicFile
from tests.steps import open_conversation

pytestmark = pytest.mark.postgres
PATIENTS = 50


def test_fifty_patients_one_slot_one_booked_the_rest_offered_alternatives(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    ctx = make_ctx(pg_app_db.url)
    terms, emr = ctx.clinic_terms(demo_clinic), ctx.emr_for(demo_clinic)
    patients = []
    for i in range(PATIENTS):
        phone = f"+15125550{i:03d}"
        conv = open_conversation(ctx, phone)
        deps = AgentDeps(
            db=ctx.db,
            clinic=demo_clinic,
            terms=terms,
            emr=emr,
            deposits=ctx.deposits,
            conversation_id=conv,
            patient_phone=phone,
            now=ctx.clock.now(),
            handoff=lambda r, s, c=conv: handoff(ctx, c, r, s),
        )
        offered = find_slots(
            deps,
            FindSlotsArgs.model_validate(
                {"service_id": "botox", "weekdays": ["tue"], "after": "16:00"}
            ),
        )
        # Tuesday: Dr. Lee is the one Botox provider, so 4 PM is one slot that all see
        assert offered["slots"][0]["when"] == "Tue Nov 24 at 4:00 PM CST"
        patients.append(deps)

    barrier = threading.Barrier(PATIENTS)
    results: list[dict[str, object]] = []
    lock = threading.Lock()

    def pick_option_one(deps: AgentDeps) -> None:
        barrier.wait()
        outcome = hold_slot(deps, HoldSlotArgs(option=1))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=pick_option_one, args=(d,)) for d in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    held = [r for r in results if r.get("held")]
    told_gone = [r for r in results if r.get("held") is False]
    assert len(held) == 1 and len(told_gone) == PATIENTS - 1
    for r in told_gone:
        assert r["reason"] == "that time was just taken"
        alternatives = r["alternatives"]
        assert isinstance(alternatives, list) and alternatives
        assert all(a["when"] != "Tue Nov 24 at 4:00 PM CST" for a in alternatives)
    with ctx.db.session() as s:
        active = (
            s.execute(select(Appointment).where(Appointment.status.in_(ACTIVE_STATUSES)))
            .scalars()
            .all()
        )
    assert len(active) == 1
    json.dumps(results)  # tool results stay JSON for the model
