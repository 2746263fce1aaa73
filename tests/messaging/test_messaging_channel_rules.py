"""Quiet-hours arithmetic and per-carrier keyword sets (pure functions)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from messaging.compliance import classify_keyword
from messaging.quiet_hours import defer_until, next_allowed, zone_for_number


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+15125550123", "America/Chicago"),
        ("+12125550123", "America/New_York"),
        ("+14155550123", "America/Los_Angeles"),
        ("+18005550123", None),
    ],
)
def test_zone_from_area_code(phone: str, zone: str | None) -> None:
    found = zone_for_number(phone)
    assert (found.key if found else None) == zone


def test_next_allowed_is_8am_local() -> None:
    chicago = ZoneInfo("America/Chicago")
    assert next_allowed(dt.datetime(2026, 11, 23, 14, 0, tzinfo=chicago), chicago) is None
    night = dt.datetime(2026, 11, 23, 21, 0, tzinfo=chicago)
    assert next_allowed(night, chicago) == dt.datetime(2026, 11, 24, 8, 0, tzinfo=chicago)
    early = dt.datetime(2026, 11, 23, 7, 59, tzinfo=chicago)
    assert next_allowed(early, chicago) == dt.datetime(2026, 11, 23, 8, 0, tzinfo=chicago)


def test_toll_free_number_uses_the_clinic_zone() -> None:
    at = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("America/Denver"))
    assert defer_until("reminder", "+18005550123", at, "America/Denver") == dt.datetime(
        2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Denver")
    )
    assert defer_until("reply", "+18005550123", at, "America/Denver") is None


@pytest.mark.parametrize(
    ("text", "carrier", "expected"),
    [
        ("yes", "twilio", "start"),
        ("yes", "telnyx", None),
        ("INFO", "twilio", "help"),
        ("info", "telnyx", None),
        ("Stop all", "telnyx", "stop"),
        ("REVOKE", "telnyx", "stop"),
        ("optout", "twilio", "stop"),
        ("unstop", "telnyx", "start"),
        ("yes", None, "start"),
    ],
)
def test_keywords_per_carrier(text: str, carrier: str | None, expected: str | None) -> None:
    assert classify_keyword(text, carrier) == expected
