"""A closure lifted in the clinic file hands the day's free times to waiting patients
(issue 13 item 2, source ``closure_lifted``), one opening per patient, offered like a
cancellation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.context import AppContext
from app.flows.waitlist_reopened import lifted_days, offer_lifted_closures
from booking.waitlist import Window, join
from booking.waitlist_models import WaitlistOffer, WaitlistOpening
from knowledge.clinic_file import ClinicFile, parse_clinic_file
from knowledge.seed import seed_clinic
from messaging.models import Message

ROSA, MIA = "+15125550611", "+15125550612"
WEDNESDAY = dt.date(2026, 11, 25)  # the test clock is Monday Nov 23, 10 AM in Austin


def _closed(clinic: ClinicFile, closures: list[dict[str, Any]]) -> ClinicFile:
    data = clinic.model_dump(mode="json", by_alias=True)
    data["clinic"]["closures"] = closures
    return parse_clinic_file(data)


def _wait(ctx: AppContext, phone: str, weekdays: frozenset[int] = frozenset()) -> None:
    with ctx.db.session() as s:
        join(
            s,
            clinic_id="glow-austin",
            patient_phone=phone,
            service_id="botox",
            window=Window(weekdays=weekdays),
            now=ctx.clock.now(),
        )


def test_only_whole_days_closed_before_and_open_now_are_lifted(demo_clinic: ClinicFile) -> None:
    before = _closed(
        demo_clinic,
        [
            {"date": "2026-11-25"},
            {"date": "2026-11-26"},
            {"date": "2026-11-27"},
            {"date": "2026-11-20"},  # already past
        ],
    )
    after = _closed(
        demo_clinic, [{"date": "2026-11-26"}, {"date": "2026-11-27", "hours": [["09:00", "12:00"]]}]
    )
    assert lifted_days(before, after, dt.date(2026, 11, 23)) == [WEDNESDAY, dt.date(2026, 11, 27)]
    assert lifted_days(None, after, dt.date(2026, 11, 23)) == []


def test_a_lifted_closure_offers_each_waiting_patient_their_own_time(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    closed = _closed(demo_clinic, [{"date": WEDNESDAY.isoformat(), "reason": "Staff training"}])
    seed_clinic(ctx.db, closed)
    _wait(ctx, ROSA, frozenset({2}))  # Wednesdays
    _wait(ctx, MIA)  # any day
    seed_clinic(ctx.db, demo_clinic)  # the training moved: Wednesday is open again

    assert offer_lifted_closures(ctx, closed, demo_clinic) == 2
    with ctx.db.session() as s:
        openings = s.scalars(select(WaitlistOpening).order_by(WaitlistOpening.id)).all()
        offers = s.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id)).all()
        texts = s.scalars(select(Message.to_number).where(Message.kind == "waitlist")).all()
        assert {o.source for o in openings} == {"closure_lifted"}
        assert len({(o.provider_id, o.start_at) for o in openings}) == 2  # one time each
        assert all(
            o.start_at.astimezone(demo_clinic.clinic.zone).date() == WEDNESDAY for o in openings
        )
        assert sorted(o.patient_phone for o in offers) == sorted([ROSA, MIA])
    assert sorted(texts) == sorted([ROSA, MIA])
    assert offer_lifted_closures(ctx, demo_clinic, demo_clinic) == 0  # nothing lifted now


def test_an_owner_lifting_a_closure_on_the_settings_page_offers_the_day(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    from tests.app.inbox_helpers import OWNER, post_form, signed_in_client

    ctx = make_ctx(database_url)
    seed_clinic(ctx.db, _closed(demo_clinic, [{"date": WEDNESDAY.isoformat()}]))
    _wait(ctx, ROSA, frozenset({2}))
    client = signed_in_client(ctx, OWNER)
    assert (
        post_form(client, "/app/settings", "/app/settings/closures", value="[]").status_code == 303
    )
    with ctx.db.session() as s:
        [opening] = s.scalars(select(WaitlistOpening)).all()
        assert opening.source == "closure_lifted"
        assert s.scalars(select(WaitlistOffer.patient_phone)).all() == [ROSA]
