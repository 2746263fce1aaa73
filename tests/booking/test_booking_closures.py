"""Openings never fall on a clinic closure or a provider's time off, whatever the EMR answers
(a Nextech calendar knows nothing of the clinic file's closures): ``booking.slots`` filters
them with :meth:`booking.terms.ClinicTerms.open_for`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from agent.tools import service_terms
from app.clock import FrozenClock
from app.context import AppContext
from booking.slots import search_openings
from booking.terms import ClinicTerms, SlotFilter
from emr.local import LocalCalendar, LocalEMR
from knowledge.clinic_file import ClinicFile

CHICAGO = dt.timezone(dt.timedelta(hours=-6))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


def test_open_for_closed_short_and_time_off() -> None:
    day, other = dt.date(2026, 12, 24), dt.date(2026, 12, 22)
    terms = ClinicTerms(
        clinic_id="c",
        name="C",
        timezone="America/Chicago",
        phone="+15125550100",
        closures={day: ((9 * 60, 13 * 60),), dt.date(2026, 12, 25): ()},
        time_off={"dr-a": ((other, other),)},
    )
    assert terms.open_for("dr-b", _at(day, 12, 30), _at(day, 13))
    assert not terms.open_for("dr-b", _at(day, 12, 45), _at(day, 13, 15))  # runs past 1 PM
    assert not terms.open_for(
        "dr-b", _at(dt.date(2026, 12, 25), 10), _at(dt.date(2026, 12, 25), 11)
    )
    assert not terms.open_for("dr-a", _at(other, 10), _at(other, 11))
    assert terms.open_for("dr-b", _at(other, 10), _at(other, 11))


def test_an_emr_that_ignores_closures_is_filtered(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    clock: FrozenClock,
) -> None:
    ctx = make_ctx(database_url)
    clock.set(dt.datetime(2026, 12, 21, 10, 0, tzinfo=CHICAGO))
    info = demo_clinic.clinic
    # the clinic's weekly hours and no closures: as a vendor calendar would answer
    unaware = LocalEMR(
        ctx.db,
        LocalCalendar(
            clinic_id=info.id,
            timezone=info.timezone,
            provider_hours={p.id: p.hours for p in demo_clinic.providers},
            min_notice_minutes=0,
        ),
        clock,
    )
    terms = ctx.clinic_terms(demo_clinic)
    assert terms.closures and terms.time_off["dr-lee"]
    service = service_terms(demo_clinic, demo_clinic.service("botox"))
    days = dt.date(2026, 12, 24), dt.date(2027, 1, 2)

    def openings(clinic: ClinicTerms) -> list[dt.datetime]:
        found = search_openings(
            ctx.db,
            unaware,
            clinic=clinic,
            service=service,
            wanted=SlotFilter(date_from=days[0], date_to=days[1]),
            now=clock.now(),
            max_days_ahead=60,
        )
        return [s.start.astimezone(info.zone) for s in found if s.provider_id == "dr-lee"]

    assert any(
        s.date() == dt.date(2026, 12, 25)
        for s in openings(dataclasses.replace(terms, closures={}, time_off={}))
    )
    starts = openings(terms)
    assert starts  # Sat Jan 2 and the morning of Dec 24 remain
    assert not any(s.date() in {dt.date(2026, 12, 25), dt.date(2027, 1, 1)} for s in starts)
    assert not any(dt.date(2026, 12, 28) <= s.date() <= dt.date(2026, 12, 31) for s in starts)
    assert all(s.hour < 13 for s in starts if s.date() == days[0])
