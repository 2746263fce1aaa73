"""Concurrency for real: many threads hold one slot on Postgres; exactly one wins."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select, text

from app.context import AppContext
from app.db import Database
from booking.holds import HoldFailed, hold_offer, release_appointment
from booking.models import Appointment
from knowledge.clinic_file import ClinicFile
from tests.steps import hold, offer_botox, open_conversation

pytestmark = pytest.mark.postgres


def test_twenty_threads_holding_one_slot_on_postgres_have_exactly_one_winner(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    ctx = make_ctx(pg_app_db.url)
    terms = ctx.clinic_terms(demo_clinic)
    emr = ctx.emr_for(demo_clinic)
    offers = []
    for i in range(20):
        conv = open_conversation(ctx, f"+151255501{i:02d}")
        offers.append(
            offer_botox(ctx, demo_clinic, conv, weekdays=frozenset({3}), after=dt.time(16))[0]
        )
    assert len({(o.start_at, o.provider_id) for o in offers}) == 1  # all saw the same slot

    barrier = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def patient(i: int) -> None:
        barrier.wait()
        try:
            hold_offer(
                ctx.db,
                emr,
                clinic=terms,
                offer=offers[i],
                patient_phone=f"+151255501{i:02d}",
                service_name="Botox",
                provider_name="Dr. Maya Lee",
                deposit_cents=5000,
                now=ctx.clock.now(),
            )
            outcome = "held"
        except HoldFailed as exc:
            outcome = exc.reason
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=patient, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["held"] + ["taken"] * 19
    with ctx.db.session() as s:
        active = (
            s.execute(
                select(Appointment).where(
                    Appointment.status.in_(("held", "awaiting_deposit", "booked"))
                )
            )
            .scalars()
            .all()
        )
        assert len(active) == 1 and active[0].emr_appointment_id is not None


def test_the_database_itself_refuses_overlapping_active_appointments(pg_app_db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    from tests.conftest import _truncate

    _truncate(pg_app_db)
    start = dt.datetime(2026, 11, 26, 22, 0, tzinfo=dt.UTC)

    def row(minutes: int, status: str = "held") -> Appointment:
        s = start + dt.timedelta(minutes=minutes)
        return Appointment(
            clinic_id="c",
            patient_phone="+15125550123",
            service_id="x",
            provider_id="p",
            start_at=s,
            end_at=s + dt.timedelta(minutes=30),
            status=status,
        )

    with pg_app_db.session() as s:
        s.add(row(0))
        s.add(row(30))  # back to back is fine
        s.add(row(0, "cancelled"))  # inactive rows never block
    with pytest.raises(IntegrityError), pg_app_db.session() as s:
        s.add(row(15, "booked"))
    with pg_app_db.session() as s:
        assert s.execute(text("select count(*) from appointments")).scalar() == 3


def _wait_until_a_backend_waits_on_a_lock(db: Database) -> None:
    """Return once some connection of this database waits on a lock of ``appointments``
    (bounded; another test's wait can only make it return early, which never fails a test)."""
    deadline = time.monotonic() + 30
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "select count(*) from pg_stat_activity "
                    "where datname = current_database() and wait_event_type = 'Lock' "
                    "and query ilike '%appointments%'"
                )
            ).scalar()
            conn.rollback()
            if waiting:
                return
    pytest.fail("nobody waited on the row lock")


def test_a_hold_ended_by_two_processes_at_once_ends_once(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    """The sweeper and a patient's slot search may expire one lapsed hold at the same moment:
    only one of them ends it (so the patient is told once)."""
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    ctx = make_ctx(pg_app_db.url)
    offer = offer_botox(ctx, demo_clinic, open_conversation(ctx), weekdays=frozenset({3}))[0]
    appt = hold(ctx, demo_clinic, offer)
    ended: list[bool] = []
    with pg_app_db.engine.connect() as other:  # another process, half-way through ending it
        other.execute(
            text("update appointments set status = 'expired' where id = :id"), {"id": appt}
        )
        second = threading.Thread(
            target=lambda: ended.append(
                release_appointment(
                    ctx.db,
                    ctx.emr_for(demo_clinic),
                    appt,
                    status="expired",
                    now=ctx.clock.now(),
                )
            )
        )
        second.start()
        _wait_until_a_backend_waits_on_a_lock(pg_app_db)
        other.commit()
    second.join(timeout=30)
    assert ended == [False]
