"""Closures named when a booking wish falls on them; holiday names read as booking dates."""

from __future__ import annotations

from datetime import date, datetime

from agent.nlu.when import parse_when
from agent.offline.closed_days import closure_note
from knowledge.clinic_file import load_clinic_file

CLINIC = load_clinic_file("testdata/laser-clinic.json")


def test_a_closed_day_and_a_short_day_are_named() -> None:
    args = {"service_id": "x", "date_from": "2026-12-24", "date_to": "2026-12-25"}
    note = closure_note(CLINIC, args)
    assert "(Christmas Eve)" in note and "1 PM" in note
    assert "We're closed Fri Dec 25 (Christmas)." in note


def test_no_note_outside_the_dates_or_for_a_loose_range() -> None:
    assert closure_note(CLINIC, {"date_from": "2026-12-21", "date_to": "2026-12-23"}) == ""
    assert closure_note(CLINIC, {"date_from": "2026-12-01", "date_to": "2026-12-31"}) == ""
    assert closure_note(CLINIC, {"weekdays": ["fri"]}) == ""
    wed_only = {"date_from": "2026-12-24", "date_to": "2026-12-25", "weekdays": ["wed"]}
    assert closure_note(CLINIC, wed_only) == ""


def test_holiday_names_are_dates() -> None:
    when = parse_when("facial new years day pls", datetime(2026, 12, 21, 9))
    assert when is not None and when.date_from == when.date_to == date(2027, 1, 1)
    when = parse_when("christmas eve or christmas day?", datetime(2026, 12, 21, 9))
    assert when is not None and (when.date_from, when.date_to) == (
        date(2026, 12, 24),
        date(2026, 12, 25),
    )
