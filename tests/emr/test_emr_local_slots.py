"""``LocalEMR.find_slots``: the grid, hours, notice, horizon, busy time and DST."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from app.clock import FrozenClock
from app.db import Database
from emr.base import SlotQuery
from emr.local import LocalCalendar, LocalEMR
from emr.models import LocalAppointment, LocalPatient

TZ = ZoneInfo("America/Chicago")
UTC = dt.UTC


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    """A Chicago wall time (fold=0) as an aware datetime."""
    return dt.datetime(y, mo, d, h, mi, tzinfo=TZ)


def day_query(
    day: dt.date, minutes: int = 30, providers: tuple[str, ...] = ("dr-lee",)
) -> SlotQuery:
    """A query for the whole Chicago calendar day ``day``."""
    start = local(day.year, day.month, day.day)
    nxt = day + dt.timedelta(days=1)
    return SlotQuery("botox", minutes, providers, start, local(nxt.year, nxt.month, nxt.day))


def walls(slots: list) -> list[str]:
    """Local HH:MM of each slot start."""
    return [s.start.astimezone(TZ).strftime("%H:%M") for s in slots]


def add_appointment(
    db: Database,
    provider: str,
    start: dt.datetime,
    minutes: int,
    status: str = "booked",
    clinic: str = "glow-austin",
) -> None:
    """Insert an appointment row directly (another booking channel)."""
    with db.session() as s:
        patient = LocalPatient(clinic_id=clinic, phone="+15125550111")
        s.add(patient)
        s.flush()
        s.add(
            LocalAppointment(
                clinic_id=clinic,
                provider_id=provider,
                patient_id=patient.id,
                service_id="botox",
                start_at=start,
                end_at=start + dt.timedelta(minutes=minutes),
                status=status,
            )
        )


TUESDAY = dt.date(2026, 3, 3)


def test_slots_on_grid_inside_provider_hours(emr: LocalEMR) -> None:
    slots = emr.find_slots(day_query(TUESDAY, 30))
    assert walls(slots)[0] == "09:00" and walls(slots)[-1] == "17:30"
    assert len(slots) == 35  # 09:00..17:30 every 15 minutes
    for s in slots:
        assert s.start.tzinfo is not None and s.start.utcoffset() == dt.timedelta(0)
        assert s.start.astimezone(TZ).minute % 15 == 0
        assert s.end - s.start == dt.timedelta(minutes=30)
        assert s.end.astimezone(TZ).time() <= dt.time(18, 0)
        assert (s.provider_id, s.service_id) == ("dr-lee", "botox")
    assert slots[0].start == dt.datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 09:00 CST


def test_long_service_fits_inside_interval(emr: LocalEMR) -> None:
    slots = emr.find_slots(day_query(TUESDAY, 60))
    assert walls(slots)[-1] == "17:00"
    assert "17:15" not in walls(slots) and "17:30" not in walls(slots)


def test_appointment_never_spans_a_break(emr: LocalEMR) -> None:
    got = walls(emr.find_slots(day_query(TUESDAY, 60, ("nurse-kim",))))
    assert got[: got.index("15:00")][-1] == "13:00"
    assert not any("13:15" <= w < "15:00" for w in got)
    assert got[-1] == "18:00"


def test_grid_follows_slot_interval(make_emr: Callable[..., LocalEMR]) -> None:
    got = walls(make_emr(slot_interval_minutes=45).find_slots(day_query(TUESDAY, 30)))
    assert got[:4] == ["09:00", "09:45", "10:30", "11:15"]


def test_min_notice(emr: LocalEMR, clock: FrozenClock) -> None:
    clock.set(local(2026, 3, 3, 9, 7))
    got = walls(emr.find_slots(day_query(TUESDAY, 30)))
    assert got[0] == "10:15"  # first grid start at or after 10:07


def test_min_notice_is_configurable(make_emr: Callable[..., LocalEMR], clock: FrozenClock) -> None:
    clock.set(local(2026, 3, 3, 9, 7))
    got = walls(make_emr(min_notice_minutes=0).find_slots(day_query(TUESDAY, 30)))
    assert got[0] == "09:15"


def test_max_days_ahead(make_emr: Callable[..., LocalEMR], clock: FrozenClock) -> None:
    emr = make_emr(max_days_ahead=10)
    now = clock.now()
    slots = emr.find_slots(SlotQuery("botox", 30, (), now, now + dt.timedelta(days=90)))
    assert slots and max(s.start for s in slots) <= now + dt.timedelta(days=10)
    assert max(s.start for s in slots) > now + dt.timedelta(days=9)


def test_query_window_is_half_open(emr: LocalEMR) -> None:
    start, end = local(2026, 3, 3, 10, 0), local(2026, 3, 3, 11, 0)
    got = walls(emr.find_slots(SlotQuery("botox", 30, ("dr-lee",), start, end)))
    assert got == ["10:00", "10:15", "10:30", "10:45"]


def test_past_or_empty_window_has_no_slots(emr: LocalEMR, clock: FrozenClock) -> None:
    now = clock.now()
    assert emr.find_slots(SlotQuery("botox", 30, (), now - dt.timedelta(days=2), now)) == []
    assert (
        emr.find_slots(SlotQuery("botox", 30, ("nobody",), now, now + dt.timedelta(days=5))) == []
    )


def test_all_providers_sorted_by_start_then_provider(emr: LocalEMR) -> None:
    slots = emr.find_slots(day_query(TUESDAY, 30, ()))
    assert {s.provider_id for s in slots} == {"dr-lee", "nurse-kim"}
    assert slots == sorted(slots, key=lambda s: (s.start, s.provider_id))
    ten = [s.provider_id for s in slots if walls([s]) == ["10:00"]]
    assert ten == ["dr-lee", "nurse-kim"]


def test_clinic_hours_restrict_slots(make_emr: Callable[..., LocalEMR]) -> None:
    emr = make_emr(clinic_hours={"tue": [("10:00", "16:00")]})
    got = walls(emr.find_slots(day_query(TUESDAY, 30)))
    assert got[0] == "10:00" and got[-1] == "15:30"
    assert emr.find_slots(day_query(dt.date(2026, 3, 4), 30)) == []  # clinic closed Wednesday


def test_busy_appointments_removed(emr: LocalEMR, db: Database) -> None:
    add_appointment(db, "dr-lee", local(2026, 3, 3, 10, 0), 60, status="booked")
    add_appointment(db, "dr-lee", local(2026, 3, 3, 14, 0), 30, status="proposed")
    got = walls(emr.find_slots(day_query(TUESDAY, 30)))
    assert "09:30" in got and "11:00" in got and "14:30" in got
    for taken in ("09:45", "10:00", "10:30", "10:45", "13:45", "14:00", "14:15"):
        assert taken not in got
    # Another provider and another clinic are unaffected.
    add_appointment(db, "dr-lee", local(2026, 3, 3, 16, 0), 60, clinic="other-clinic")
    assert "16:00" in walls(emr.find_slots(day_query(TUESDAY, 30)))
    assert "10:00" in walls(emr.find_slots(day_query(TUESDAY, 30, ("nurse-kim",))))


def test_overlapping_busy_rows_merge(emr: LocalEMR, db: Database) -> None:
    add_appointment(db, "dr-lee", local(2026, 3, 3, 10, 0), 120)
    add_appointment(db, "dr-lee", local(2026, 3, 3, 10, 30), 30)
    got = walls(emr.find_slots(day_query(TUESDAY, 30)))
    assert "11:30" not in got and "12:00" in got and "09:30" in got


def test_cancelled_appointments_free_the_time(emr: LocalEMR, db: Database) -> None:
    add_appointment(db, "dr-lee", local(2026, 3, 3, 10, 0), 60, status="cancelled")
    assert "10:00" in walls(emr.find_slots(day_query(TUESDAY, 30)))


def _assert_distinct_non_overlapping(slots: list, step_equals_duration: bool) -> None:
    starts = [s.start for s in slots]
    assert len(set(starts)) == len(starts) and starts == sorted(starts)
    if step_equals_duration:
        for a, b in zip(slots, slots[1:], strict=False):
            assert a.end <= b.start


def test_dst_spring_forward(emr: LocalEMR, clock: FrozenClock) -> None:
    clock.set(local(2026, 3, 6, 12, 0))
    sunday = dt.date(2026, 3, 8)
    day = emr.find_slots(day_query(sunday, 30, ("nurse-kim",)))
    assert day[0].start == dt.datetime(2026, 3, 8, 14, 0, tzinfo=UTC)  # 09:00 CDT (-5)
    assert walls(day)[-1] == "17:30" and len(day) == 35
    saturday_night = emr.find_slots(day_query(dt.date(2026, 3, 7), 60, ("night",)))
    assert saturday_night[0].start == dt.datetime(2026, 3, 7, 6, 0, tzinfo=UTC)  # 00:00 CST
    night = emr.find_slots(day_query(sunday, 60, ("night",)))
    # 00:00-01:45 CST, then 02:00-02:45 do not exist, then 03:00 CDT ends exactly at 04:00.
    assert walls(night) == [f"{h:02d}:{m:02d}" for h in (0, 1) for m in (0, 15, 30, 45)] + ["03:00"]
    assert night[0].start == dt.datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
    assert night[-1].start == dt.datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    assert all(s.end <= dt.datetime(2026, 3, 8, 9, 0, tzinfo=UTC) for s in night)
    _assert_distinct_non_overlapping(night, False)


def test_dst_spring_forward_hourly_grid(
    make_emr: Callable[..., LocalEMR], clock: FrozenClock
) -> None:
    clock.set(local(2026, 3, 6, 12, 0))
    night = make_emr(slot_interval_minutes=60).find_slots(
        day_query(dt.date(2026, 3, 8), 60, ("night",))
    )
    assert [s.start.hour for s in night] == [6, 7, 8]  # 00:00 CST, 01:00 CST, 03:00 CDT
    _assert_distinct_non_overlapping(night, True)


def test_dst_fall_back(emr: LocalEMR, clock: FrozenClock) -> None:
    clock.set(local(2026, 10, 29, 12, 0))
    sunday = dt.date(2026, 11, 1)
    day = emr.find_slots(day_query(sunday, 30, ("nurse-kim",)))
    assert day[0].start == dt.datetime(2026, 11, 1, 15, 0, tzinfo=UTC)  # 09:00 CST (-6)
    assert len(day) == 35
    saturday = emr.find_slots(day_query(dt.date(2026, 10, 31), 60, ("night",)))
    assert saturday[0].start == dt.datetime(2026, 10, 31, 5, 0, tzinfo=UTC)  # 00:00 CDT
    night = emr.find_slots(day_query(sunday, 60, ("night",)))
    _assert_distinct_non_overlapping(night, False)
    starts_utc = [s.start.strftime("%H:%M") for s in night]
    # 00:00-01:45 CDT (first pass through 01:xx, fold=0), then 02:00-03:00 CST.
    assert starts_utc[:8] == [
        "05:00",
        "05:15",
        "05:30",
        "05:45",
        "06:00",
        "06:15",
        "06:30",
        "06:45",
    ]
    assert starts_utc[8:] == ["08:00", "08:15", "08:30", "08:45", "09:00"]
    assert night[-1].end == dt.datetime(2026, 11, 1, 10, 0, tzinfo=UTC)  # 04:00 CST


def test_dst_fall_back_hourly_grid(make_emr: Callable[..., LocalEMR], clock: FrozenClock) -> None:
    clock.set(local(2026, 10, 29, 12, 0))
    night = make_emr(slot_interval_minutes=60).find_slots(
        day_query(dt.date(2026, 11, 1), 60, ("night",))
    )
    assert [s.start.hour for s in night] == [5, 6, 8, 9]
    _assert_distinct_non_overlapping(night, True)


def test_many_days_across_dst_keep_local_times(emr: LocalEMR, clock: FrozenClock) -> None:
    clock.set(local(2026, 2, 20, 12, 0))
    now = clock.now()
    slots = emr.find_slots(SlotQuery("botox", 30, ("dr-lee",), now, now + dt.timedelta(days=30)))
    firsts: dict[dt.date, str] = {}
    for s in slots:
        firsts.setdefault(s.start.astimezone(TZ).date(), walls([s])[0])
    del firsts[dt.date(2026, 2, 20)]  # today: min notice applies
    assert len(firsts) == 20 and set(firsts.values()) == {"09:00"}


def test_invalid_queries_and_calendars(emr: LocalEMR, clock: FrozenClock) -> None:
    now = clock.now()
    with pytest.raises(ValueError):
        emr.find_slots(SlotQuery("botox", 0, (), now, now + dt.timedelta(days=1)))
    with pytest.raises(ValueError):
        emr.find_slots(
            SlotQuery("botox", 30, (), now.replace(tzinfo=None), now.replace(tzinfo=None))
        )
    for bad in (
        {"timezone": "Mars/Olympus"},
        {"provider_hours": {"x": {"funday": [("09:00", "10:00")]}}},
        {"provider_hours": {"x": {"mon": [("10:00", "09:00")]}}},
        {"provider_hours": {"x": {"mon": [("9am", "10:00")]}}},
        {"slot_interval_minutes": 0},
    ):
        fields = {"clinic_id": "c", "timezone": "UTC", "provider_hours": {}} | bad
        with pytest.raises(ValueError):
            LocalCalendar(**fields)


def test_sixty_days_three_providers_is_fast(
    emr: LocalEMR, db: Database, clock: FrozenClock
) -> None:
    for i in range(40):
        add_appointment(db, ("dr-lee", "nurse-kim")[i % 2], local(2026, 3, 3 + i // 2, 10), 60)
    now = clock.now()
    query = SlotQuery("botox", 30, (), now, now + dt.timedelta(days=60))
    emr.find_slots(query)
    t0 = time.perf_counter()
    slots = emr.find_slots(query)
    assert len(slots) > 1000
    assert time.perf_counter() - t0 < 0.5  # generous; bench/find_slots.py measures for real
