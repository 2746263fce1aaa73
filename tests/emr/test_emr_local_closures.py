"""``LocalEMR.find_slots`` never offers a clinic closure, outside a short day's hours, or a
provider's time off (DESIGN.md §4.1 ``clinic.closures``, provider ``time_off``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from emr.base import SlotQuery
from emr.local import LocalCalendar, LocalEMR

TZ = ZoneInfo("America/Chicago")
TUESDAY = dt.date(2026, 3, 3)
WEDNESDAY = dt.date(2026, 3, 4)


def day_query(day: dt.date, providers: tuple[str, ...] = ("dr-lee",)) -> SlotQuery:
    """A 30-minute query for the whole Chicago day ``day``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=TZ)
    return SlotQuery("botox", 30, providers, start, start + dt.timedelta(days=1))


def walls(slots: list) -> list[str]:
    """Local HH:MM of each slot start."""
    return [s.start.astimezone(TZ).strftime("%H:%M") for s in slots]


def test_closed_day_has_no_openings(make_emr: Callable[..., LocalEMR]) -> None:
    emr = make_emr(closures={TUESDAY: []})
    assert emr.find_slots(day_query(TUESDAY)) == []
    assert emr.find_slots(day_query(WEDNESDAY))  # the next day is a normal day


def test_short_day_keeps_only_its_hours(make_emr: Callable[..., LocalEMR]) -> None:
    emr = make_emr(closures={TUESDAY: [("09:00", "12:00")]})
    got = walls(emr.find_slots(day_query(TUESDAY)))
    assert got[0] == "09:00" and got[-1] == "11:30"  # a 30-minute visit ends by noon


def test_short_day_replaces_clinic_weekly_hours(make_emr: Callable[..., LocalEMR]) -> None:
    emr = make_emr(
        clinic_hours={"tue": [("10:00", "16:00")]}, closures={TUESDAY: [("13:00", "15:00")]}
    )
    got = walls(emr.find_slots(day_query(TUESDAY)))
    assert got[0] == "13:00" and got[-1] == "14:30"


def test_provider_time_off_has_no_openings(make_emr: Callable[..., LocalEMR]) -> None:
    emr = make_emr(provider_time_off={"dr-lee": [(TUESDAY, WEDNESDAY)]})
    assert emr.find_slots(day_query(TUESDAY)) == []
    assert emr.find_slots(day_query(WEDNESDAY)) == []
    assert emr.find_slots(day_query(dt.date(2026, 3, 5)))  # back on Thursday
    assert emr.find_slots(day_query(TUESDAY, ("nurse-kim",)))  # others still work


def test_bad_closure_hours_rejected() -> None:
    with pytest.raises(ValueError, match=r"closures\[2026-03-03\]"):
        LocalCalendar(
            clinic_id="c",
            timezone="America/Chicago",
            provider_hours={},
            closures={TUESDAY: [("12:00", "09:00")]},
        )
