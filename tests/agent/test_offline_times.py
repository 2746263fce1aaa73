"""Tests for agent.offline.times: exact-time probes and wishes read against the offers."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from agent.nlu.picks import Option
from agent.offline import times

TZ = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
THU = [
    Option(1, datetime(2026, 11, 26, 12, 0, tzinfo=TZ), "a", "A"),
    Option(2, datetime(2026, 11, 26, 13, 30, tzinfo=TZ), "a", "A"),
    Option(3, datetime(2026, 11, 26, 15, 0, tzinfo=TZ), "a", "A"),
]


def test_wish_reads_a_time_question_as_that_hour() -> None:
    wish = times.wish("hmm is 4 ok?", NOW, THU)
    assert wish is not None and (wish.after, wish.before) == (time(16), time(17))


def test_wish_later_and_earlier_than_the_offers() -> None:
    later = times.wish("anything later?", NOW, THU)
    assert (
        later is not None and later.after == time(15, 15) and later.date_from == date(2026, 11, 26)
    )
    earlier = times.wish("got anything earlier", NOW, THU)
    assert earlier is not None and earlier.before == time(12)
    next_day = times.wish("a day later?", NOW, THU)
    assert next_day is not None and next_day.date_from == next_day.date_to == date(2026, 11, 27)


def test_wish_without_offers_is_parse_when() -> None:
    assert times.wish("anything later?", NOW, []) is None


def test_exact_probe_uses_the_offers_day() -> None:
    args = {"service_id": "x"}
    probe = times.exact_args("what about 2:45", args, THU)
    assert probe == {
        "service_id": "x",
        "date_from": "2026-11-26",
        "date_to": "2026-11-26",
        "after": "14:45",
        "before": "14:46",
        "exact": True,
    }
    assert times.is_probe(probe)
    near = times.nearby_args(probe)
    assert (near["after"], near["before"], "exact" in near) == ("12:45", "16:45", False)
    assert not times.is_probe(near)


def test_no_probe_for_a_bare_hour_or_without_one_day() -> None:
    assert times.exact_args("what about 3", {"service_id": "x"}, THU) is None
    assert times.exact_args("what about 2:45", {"service_id": "x"}, []) is None
    one_day = {"service_id": "x", "date_from": "2026-12-05", "date_to": "2026-12-05"}
    probe = times.exact_args("sat 9am", one_day, [])
    assert probe is not None and (probe["after"], probe["before"]) == ("09:00", "09:01")
