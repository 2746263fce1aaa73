"""The waitlist on both backends (DESIGN.md §2, Waitlist), and its races on real Postgres.

Slots free up through the production path (:func:`booking.holds.release_appointment`), the
offer job runs inline after the commit, and answers go through the booking functions.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent.tools import service_terms
from app.context import AppContext
from app.db import Database
from app.flows.waitlist import offer_opening, sweep
from booking.holds import HoldFailed, release_appointment
from booking.waitlist import Waiting, Window, fair_order, fits, join
from booking.waitlist_models import (
    EntryStatus,
    OfferStatus,
    OpeningStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
)
from booking.waitlist_offers import claim, decline, next_due, offer_claimed
from knowledge.clinic_file import ClinicFile
from messaging.models import Message
from messaging.outbound import record_opt_out
from tests.steps import book_paid, hold, offer_botox, open_conversation

ROSA, MIA, LEO = "+15125550601", "+15125550602", "+15125550603"
FRIDAY = frozenset({4})


def _wait(ctx: AppContext, phone: str, *, days: frozenset[int] = frozenset(), ago: int = 0) -> int:
    """``phone`` joins the Botox waitlist ``ago`` minutes before now; the entry id."""
    with ctx.db.session() as s:
        entry = join(
            s,
            clinic_id="glow-austin",
            patient_phone=phone,
            service_id="botox",
            window=Window(weekdays=days),
            now=ctx.clock.now() - dt.timedelta(minutes=ago),
        )
        return entry.id


def _cancel(ctx: AppContext, clinic: ClinicFile, appointment_id: int) -> None:
    release_appointment(
        ctx.db, ctx.emr_for(clinic), appointment_id, status="cancelled", now=ctx.clock.now()
    )


def _offers(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.db.session() as s:
        rows = s.execute(
            select(WaitlistOffer.patient_phone, WaitlistOffer.status).order_by(WaitlistOffer.id)
        ).all()
    return [(p, str(st)) for p, st in rows]


def _texts(ctx: AppContext, phone: str) -> list[str]:
    with ctx.db.session() as s:
        return list(
            s.scalars(
                select(Message.body).where(Message.to_number == phone, Message.kind == "waitlist")
            )
        )


def test_window_fit_and_fair_order() -> None:
    zone = dt.timezone(dt.timedelta(hours=-6))
    friday_9 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=zone)
    morning = Window(weekdays=FRIDAY, before=dt.time(12))
    assert fits(morning, friday_9, zone)  # type: ignore[arg-type]
    assert not fits(Window(weekdays=frozenset({3})), friday_9, zone)  # type: ignore[arg-type]
    assert not fits(Window(after=dt.time(9, 30)), friday_9, zone)  # type: ignore[arg-type]
    t0 = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    wide = Waiting(1, ROSA, t0, Window())
    narrow = Waiting(2, MIA, t0, Window(weekdays=FRIDAY, after=dt.time(9), before=dt.time(12)))
    first = Waiting(3, LEO, t0 - dt.timedelta(seconds=1), Window())
    assert [w.entry_id for w in fair_order([wide, narrow, first])] == [3, 2, 1]


def test_cancellation_offers_first_in_line_and_hides_the_slot(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _wait(ctx, ROSA, days=FRIDAY, ago=10)
    _wait(ctx, MIA, ago=5)
    _conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    _cancel(ctx, demo_clinic, appt)
    assert _offers(ctx) == [(ROSA, "pending")]
    assert "reply YES" in _texts(ctx, ROSA)[0] and not _texts(ctx, MIA)
    with ctx.db.session() as s:
        opening = s.execute(select(WaitlistOpening)).scalar_one()
        assert (opening.source, opening.status) == ("cancellation", OpeningStatus.OPEN)
    # the slot under Rosa's exclusive offer is offered to nobody else
    other = open_conversation(ctx, LEO)
    shown = offer_botox(ctx, demo_clinic, other, weekdays=FRIDAY)
    assert shown and (opening.start_at, opening.provider_id) not in {
        (o.start_at, o.provider_id) for o in shown
    }


def test_lapse_and_decline_pass_it_on_up_to_the_cap(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)  # demo clinic: claim 10 min, at most 3 offers per opening
    for i, phone in enumerate((ROSA, MIA, LEO, "+15125550604")):
        _wait(ctx, phone, ago=10 - i)
    _conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    _cancel(ctx, demo_clinic, appt)
    with ctx.db.session() as s:
        due = next_due(s, ctx.clock.now())
    assert due == ctx.clock.now() + dt.timedelta(minutes=10)
    ctx.clock.advance(dt.timedelta(minutes=10))  # type: ignore[attr-defined]
    assert sweep(ctx)["waitlist_lapsed"] == 1
    assert _offers(ctx) == [(ROSA, "lapsed"), (MIA, "pending")]
    with ctx.db.session() as s:
        mia_offer = s.execute(select(WaitlistOffer).where(WaitlistOffer.status == "pending"))
        assert decline(s, mia_offer.scalar_one().id, ctx.clock.now()) is not None
    assert _offers(ctx)[-1] == (LEO, "pending")  # passed on after the commit
    ctx.clock.advance(dt.timedelta(minutes=10))  # type: ignore[attr-defined]
    sweep(ctx)
    with ctx.db.session() as s:
        opening = s.execute(select(WaitlistOpening)).scalar_one()
        statuses = set(s.scalars(select(WaitlistEntry.status)))
    assert opening.status == OpeningStatus.UNFILLED and len(_offers(ctx)) == 3
    assert statuses == {EntryStatus.WAITING}  # passed over: everyone stays on the list


def test_opted_out_number_is_never_texted(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _wait(ctx, ROSA, ago=10)
    _wait(ctx, MIA, ago=5)
    with ctx.db.session() as s:
        record_opt_out(s, "glow-austin", ROSA, "keyword", ctx.clock.now())
    _conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    _cancel(ctx, demo_clinic, appt)
    assert _offers(ctx) == [(MIA, "pending")] and not _texts(ctx, ROSA)


def test_claim_after_the_window_is_late_and_the_patient_keeps_waiting(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _wait(ctx, ROSA)
    _conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    _cancel(ctx, demo_clinic, appt)
    ctx.clock.advance(dt.timedelta(minutes=11))  # type: ignore[attr-defined]
    with ctx.db.session() as s:
        offer_id = s.execute(select(WaitlistOffer.id)).scalar_one()
        assert claim(s, offer_id, ctx.clock.now()) is None
    with ctx.db.session() as s:
        assert s.get(WaitlistOffer, offer_id).status == OfferStatus.LATE  # type: ignore[union-attr]
        assert s.execute(select(WaitlistEntry.status)).scalar_one() == EntryStatus.WAITING


def test_joining_again_keeps_the_place_and_updates_the_window(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    first = _wait(ctx, ROSA, ago=30)
    again = _wait(ctx, ROSA, days=FRIDAY)
    with ctx.db.session() as s:
        entry = s.get(WaitlistEntry, first)
        assert again == first and entry is not None and entry.weekdays == "4"


# --------------------------------------------------------------------------- Postgres races


def _race(n: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _pg(make_ctx: Callable[..., AppContext], pg_app_db: Database) -> AppContext:
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    return make_ctx(pg_app_db.url)


@pytest.mark.postgres
def test_two_claims_for_one_opening_make_one_hold(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    ctx = _pg(make_ctx, pg_app_db)
    _wait(ctx, ROSA)
    _conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    _cancel(ctx, demo_clinic, appt)
    conv = open_conversation(ctx, ROSA)
    with ctx.db.session() as s:
        offer_id = s.execute(select(WaitlistOffer.id)).scalar_one()
    terms = ctx.clinic_terms(demo_clinic)

    def claim_and_hold(_i: int) -> str:
        with ctx.db.session() as s:
            won = claim(s, offer_id, ctx.clock.now())
            if won is None:
                return "lost"
            service = service_terms(demo_clinic, demo_clinic.service("botox"))
            slot_offer = offer_claimed(
                s, won, conversation_id=conv, clinic=terms, service=service, now=ctx.clock.now()
            )
        try:
            hold(ctx, demo_clinic, slot_offer, ROSA)
        except HoldFailed:
            return "taken"
        return "held"

    assert sorted(map(str, _race(2, claim_and_hold))) == ["held", "lost"]
    from booking.funnel import WAITLIST_CLAIMED, WAITLIST_OFFERED, FunnelEvent

    with ctx.db.session() as s:  # the funnel counts one offer and one claim
        steps = sorted(s.scalars(select(FunnelEvent.step).where(FunnelEvent.step.like("wait%"))))
    assert steps == [WAITLIST_CLAIMED, WAITLIST_OFFERED]


@pytest.mark.postgres
def test_two_sweepers_make_one_offer(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    ctx = _pg(make_ctx, pg_app_db)
    _conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    _cancel(ctx, demo_clinic, appt)  # nobody waits yet: the opening is left unfilled
    with ctx.db.session() as s:
        opening = s.execute(select(WaitlistOpening)).scalar_one()
        opening.status = OpeningStatus.OPEN
        opening_id = opening.id
    _wait(ctx, ROSA, ago=2)
    _wait(ctx, MIA, ago=1)
    results = _race(4, lambda _i: offer_opening(ctx, opening_id))
    assert results.count(True) == 1
    assert _offers(ctx) == [(ROSA, "pending")] and len(_texts(ctx, ROSA)) == 1


@pytest.mark.postgres
def test_cancellations_while_offering_give_one_patient_one_offer(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    ctx = _pg(make_ctx, pg_app_db)
    appts = [
        book_paid(ctx, demo_clinic, phone, weekdays=FRIDAY)[1]
        for phone in ("+15125550611", "+15125550612")
    ]
    _wait(ctx, ROSA)
    _race(2, lambda i: _cancel(ctx, demo_clinic, appts[i]))
    assert _offers(ctx) == [(ROSA, "pending")]  # one exclusive offer per patient at a time
    with ctx.db.session() as s:
        statuses = sorted(str(x) for x in s.scalars(select(WaitlistOpening.status)))
    assert statuses == ["open", "unfilled"]  # the other opening had nobody else to go to


def test_entries_whose_dates_passed_come_off_the_list(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    today = ctx.clock.now().astimezone(ZoneInfo("America/Chicago")).date()
    with ctx.db.session() as s:
        for phone, last_day in ((ROSA, today - dt.timedelta(days=1)), (MIA, today)):
            window = Window(date_from=last_day, date_to=last_day)
            join(s, clinic_id="glow-austin", patient_phone=phone, service_id="botox",
                 window=window, now=ctx.clock.now())  # fmt: skip
    assert sweep(ctx)["waitlist_expired"] == 1
    with ctx.db.session() as s:
        rows = dict(s.execute(select(WaitlistEntry.patient_phone, WaitlistEntry.status)).all())
    assert rows == {ROSA: EntryStatus.REMOVED, MIA: EntryStatus.WAITING}


def test_the_clinic_sets_the_claim_window(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    from knowledge.clinic_file import WaitlistSettings
    from knowledge.seed import seed_clinic

    ctx = make_ctx(database_url)
    info = demo_clinic.clinic.model_copy(
        update={"waitlist": WaitlistSettings(claim_minutes=5, max_offers_per_opening=1)}
    )
    seed_clinic(ctx.db, demo_clinic.model_copy(update={"clinic": info}))
    _wait(ctx, ROSA, ago=2)
    _wait(ctx, MIA, ago=1)
    _conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    _cancel(ctx, demo_clinic, appt)
    with ctx.db.session() as s:
        offer = s.execute(select(WaitlistOffer)).scalar_one()
        assert offer.expires_at - offer.sent_at == dt.timedelta(minutes=5)
    assert "next 5 min" in _texts(ctx, ROSA)[0]
    ctx.clock.advance(dt.timedelta(minutes=5))  # type: ignore[attr-defined]
    sweep(ctx)  # one offer per opening: Mia is not offered it
    assert _offers(ctx) == [(ROSA, "lapsed")]


def test_a_move_and_an_expired_hold_free_their_slots_too(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    from booking.changes import reschedule
    from booking.deposits import expire_due_holds

    ctx = make_ctx(database_url)
    terms, emr = ctx.clinic_terms(demo_clinic), ctx.emr_for(demo_clinic)
    conv, appt = book_paid(ctx, demo_clinic, weekdays=FRIDAY)
    later = offer_botox(ctx, demo_clinic, conv, weekdays=frozenset({1}))[0]
    reschedule(
        ctx.db, emr, clinic=terms, appointment_id=appt, offer=later,
        provider_name="Dr. Maya Lee", now=ctx.clock.now(),
    )  # fmt: skip
    unpaid = hold(ctx, demo_clinic, offer_botox(ctx, demo_clinic, conv, weekdays=FRIDAY)[1])
    ctx.clock.advance(dt.timedelta(minutes=20))  # type: ignore[attr-defined]
    assert expire_due_holds(ctx.db, emr, ctx.deposits, clinic=terms, now=ctx.clock.now()) == [
        unpaid
    ]
    with ctx.db.session() as s:
        sources = s.execute(
            select(WaitlistOpening.appointment_id, WaitlistOpening.source).order_by(
                WaitlistOpening.id
            )
        ).all()
    assert [tuple(r) for r in sources] == [(appt, "reschedule"), (unpaid, "expired_hold")]


@pytest.mark.postgres
def test_openings_racing_for_the_first_patient_go_to_the_next(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    ctx = _pg(make_ctx, pg_app_db)
    appts = [
        book_paid(ctx, demo_clinic, phone, weekdays=FRIDAY)[1]
        for phone in ("+15125550621", "+15125550622", "+15125550623")
    ]
    _wait(ctx, ROSA, ago=2)
    _wait(ctx, MIA, ago=1)
    _race(3, lambda i: _cancel(ctx, demo_clinic, appts[i]))
    assert sorted(_offers(ctx)) == [(ROSA, "pending"), (MIA, "pending")]
    with ctx.db.session() as s:
        statuses = sorted(str(x) for x in s.scalars(select(WaitlistOpening.status)))
    assert statuses == ["open", "open", "unfilled"]  # nobody was left for the third
