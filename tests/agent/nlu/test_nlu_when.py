"""Tests for agent.nlu.when: day/time preferences, with an explicit clinic-local clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.nlu.when import TimePreference, exact_start, parse_when

TZ = ZoneInfo("America/Chicago")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # Monday 10:00
D = date(2026, 11, 23)
WEEKDAYS = frozenset(range(5))


def _check(pref: TimePreference | None, **want: Any) -> None:
    assert pref is not None
    for key, value in want.items():
        assert getattr(pref, key) == value, (key, getattr(pref, key), value)


def day(offset: int) -> date:
    return D + timedelta(days=offset)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("thursday after 4?", {"date_from": day(3), "date_to": day(3), "after": time(16)}),
        ("thurs", {"date_from": day(3), "date_to": day(3), "weekdays": frozenset({3})}),
        ("thu", {"date_from": day(3)}),
        ("thrusday", {"date_from": day(3)}),
        ("wed", {"date_from": day(2)}),
        ("wensday", {"date_from": day(2)}),
        ("weds morning", {"date_from": day(2), "before": time(12)}),
        ("fri", {"date_from": day(4)}),
        ("can i come in sun", {"date_from": day(6)}),
        ("tmrw", {"date_from": day(1), "date_to": day(1)}),
        ("tomorow", {"date_from": day(1)}),
        ("tmr", {"date_from": day(1)}),
        ("2morrow pls", {"date_from": day(1)}),
        ("today", {"date_from": D, "date_to": D}),
        ("tonight", {"date_from": D, "after": time(17)}),
        ("this afternoon", {"date_from": D, "after": time(12), "before": time(17)}),
        ("tomorrow morning", {"date_from": day(1), "before": time(12), "after": None}),
        ("tmrw am", {"date_from": day(1), "before": time(12)}),
        ("day after tomorrow", {"date_from": day(2)}),
        ("monday", {"date_from": D}),  # same day counts before 17:00
        ("this friday", {"date_from": day(4)}),
        ("next friday", {"date_from": day(11), "date_to": day(11)}),
        ("next monday", {"date_from": day(7)}),
        (
            "next tuesday or wednesday afternoon",
            {
                "date_from": day(8),
                "date_to": day(9),
                "weekdays": frozenset({1, 2}),
                "after": time(12),
                "before": time(17),
            },
        ),
        (
            "tuesday or thursday",
            {"date_from": day(1), "date_to": day(3), "weekdays": frozenset({1, 3})},
        ),
        ("any weekday after 5", {"date_from": None, "weekdays": WEEKDAYS, "after": time(17)}),
        ("weekdays only", {"weekdays": WEEKDAYS}),
        ("mon-fri", {"weekdays": WEEKDAYS}),
        ("fridays", {"weekdays": frozenset({4}), "date_from": None}),
        ("mondays after 3", {"weekdays": frozenset({0}), "after": time(15)}),
        ("next week", {"date_from": day(7), "date_to": day(13)}),
        ("sometime next week", {"date_from": day(7), "date_to": day(13)}),
        (
            "next week tuesday",
            {"date_from": day(7), "date_to": day(13), "weekdays": frozenset({1})},
        ),
        ("this week", {"date_from": D, "date_to": day(6)}),
        ("this weekend", {"date_from": day(5), "date_to": day(6)}),
        ("weekend", {"date_from": day(5), "date_to": day(6)}),
        ("next weekend", {"date_from": day(12), "date_to": day(13)}),
        ("weekends", {"weekdays": frozenset({5, 6}), "date_from": None}),
        ("in 2 weeks", {"date_from": day(14), "date_to": day(20)}),
        ("in a couple weeks", {"date_from": day(14), "date_to": day(20)}),
        ("in 3 days", {"date_from": day(3), "date_to": day(3)}),
        ("within 5 days", {"date_from": D, "date_to": day(5)}),
        ("dec 3", {"date_from": date(2026, 12, 3), "date_to": date(2026, 12, 3)}),
        ("december 3rd", {"date_from": date(2026, 12, 3)}),
        ("3rd of december", {"date_from": date(2026, 12, 3)}),
        ("12/3", {"date_from": date(2026, 12, 3)}),
        ("3rd", {"date_from": date(2026, 12, 3)}),
        ("the 25th", {"date_from": date(2026, 11, 25)}),
        ("early december", {"date_from": date(2026, 12, 1), "date_to": date(2026, 12, 10)}),
        ("next month", {"date_from": date(2026, 12, 1), "date_to": date(2026, 12, 31)}),
        ("by friday", {"date_from": D, "date_to": day(4)}),
        ("after tomorrow", {"date_from": day(2), "date_to": None}),
        ("morning", {"after": None, "before": time(12)}),
        ("mornings work best", {"before": time(12)}),
        ("afternoon", {"after": time(12), "before": time(17)}),
        ("afternoon or evening", {"after": time(12), "before": None}),
        ("evening", {"after": time(17), "before": None}),
        ("after work", {"after": time(17)}),
        ("after 4", {"after": time(16), "before": None}),
        ("after 4pm", {"after": time(16)}),
        ("after 10", {"after": time(10)}),
        ("anytime after 3:30", {"after": time(15, 30)}),
        ("3 or later", {"after": time(15)}),
        ("before 11", {"before": time(11), "after": None}),
        ("before noon", {"before": time(12)}),
        ("b4 2", {"before": time(14)}),
        ("around 2", {"after": time(13), "before": time(15)}),
        ("3ish", {"after": time(14), "before": time(16)}),
        ("between 2 and 4", {"after": time(14), "before": time(16)}),
        ("btwn 10 and 1", {"after": time(10), "before": time(13)}),
        ("2-4pm", {"after": time(14), "before": time(16)}),
        ("at 3", {"after": time(15), "before": time(16)}),
        ("3pm", {"after": time(15), "before": time(16)}),
        ("3 p.m.", {"after": time(15)}),
        ("how about 3:30", {"after": time(15, 30), "before": time(16, 30)}),
        ("friday at 10", {"date_from": day(4), "after": time(10), "before": time(11)}),
        ("at noon", {"after": time(12), "before": time(13)}),
        ("morning at 7", {"after": time(7)}),
        ("15:30", {"after": time(15, 30)}),
        ("evening after 6", {"after": time(18)}),
        ("morning before 10", {"before": time(10)}),
        ("lunch", {"after": time(11), "before": time(14)}),
        ("THURSDAY AFTER 4 🙏", {"date_from": day(3), "after": time(16)}),
        ("do u have anything thursday after 4", {"date_from": day(3), "after": time(16)}),
        ("tues-thurs", {"weekdays": frozenset({1, 2, 3}), "date_from": day(1), "date_to": day(3)}),
    ],
)
def test_parse_when(text: str, want: dict[str, Any]) -> None:
    _check(parse_when(text, MON), **want)


@pytest.mark.parametrize(
    "text",
    ["asap", "ASAP please", "soonest", "earliest you have", "first available", "next available"],
)
def test_asap(text: str) -> None:
    _check(parse_when(text, MON), asap=True, date_from=None, after=None)


@pytest.mark.parametrize("text", ["anytime", "any time works", "whenever", "im flexible"])
def test_anytime_is_unconstrained(text: str) -> None:
    _check(parse_when(text, MON), date_from=None, date_to=None, weekdays=frozenset(), after=None)


@pytest.mark.parametrize(
    "text",
    [
        "2",
        "the first one",
        "the 2nd one",
        "option 3",
        "$50",
        "is it $13 per unit",
        "20 units",
        "i need 2 syringes",
        "24 hours notice",
        "hi can i book botox",
        "i am free",
        "sun spots",
        "i sat down",
        "yes",
        "may i ask a question",
        "",
    ],
)
def test_not_a_time(text: str) -> None:
    assert parse_when(text, MON) is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("thursday after 4", "Thursday after 4:00 PM"),
        ("tomorrow morning", "tomorrow in the morning"),
        ("asap", "as soon as possible"),
        ("anytime", "any time"),
        ("next week", "next week"),
        ("at 3", "at 3:00 PM"),
        ("between 2 and 4", "between 2:00 PM and 4:00 PM"),
    ],
)
def test_text_label(text: str, label: str) -> None:
    _check(parse_when(text, MON), text=label)


# "today" on each weekday: a bare weekday is its next occurrence, same day included
@pytest.mark.parametrize("today_offset", range(7))
@pytest.mark.parametrize("weekday", range(7))
def test_bare_weekday_every_today(today_offset: int, weekday: int) -> None:
    now = MON + timedelta(days=today_offset)
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    pref = parse_when(names[weekday], now)
    assert pref is not None and pref.date_from == pref.date_to
    assert pref.date_from is not None
    assert pref.date_from.weekday() == weekday
    assert 0 <= (pref.date_from - now.date()).days <= 6


@pytest.mark.parametrize("today_offset", range(7))
def test_next_weekday_is_in_following_week(today_offset: int) -> None:
    now = MON + timedelta(days=today_offset)
    pref = parse_when("next wed", now)
    assert pref is not None and pref.date_from == date(2026, 12, 2)


@pytest.mark.parametrize("today_offset", range(7))
def test_this_weekend_and_next_week(today_offset: int) -> None:
    now = MON + timedelta(days=today_offset)
    weekend = parse_when("this weekend", now)
    assert weekend is not None and weekend.date_to == date(2026, 11, 29)
    assert weekend.date_from == max(now.date(), date(2026, 11, 28))
    nxt = parse_when("next week", now)
    assert nxt is not None and (nxt.date_from, nxt.date_to) == (
        date(2026, 11, 30),
        date(2026, 12, 6),
    )


def test_same_weekday_late_evening_rolls_a_week() -> None:
    late = MON.replace(hour=19)
    _check(parse_when("monday", late), date_from=day(7))


NEW_YEAR_EVE = datetime(2026, 12, 30, 9, 0, tzinfo=TZ)  # Wednesday


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("next week", {"date_from": date(2027, 1, 4), "date_to": date(2027, 1, 10)}),
        ("jan 5", {"date_from": date(2027, 1, 5)}),
        ("1/5", {"date_from": date(2027, 1, 5)}),
        ("the 3rd", {"date_from": date(2027, 1, 3)}),
        ("dec 31", {"date_from": date(2026, 12, 31)}),
        ("12/3", {"date_from": date(2027, 12, 3)}),
        ("next month", {"date_from": date(2027, 1, 1), "date_to": date(2027, 1, 31)}),
        ("tomorrow", {"date_from": date(2026, 12, 31)}),
        ("in 3 days", {"date_from": date(2027, 1, 2)}),
        ("friday", {"date_from": date(2027, 1, 1)}),
        ("this weekend", {"date_from": date(2027, 1, 2), "date_to": date(2027, 1, 3)}),
        ("end of the month", {"date_from": date(2026, 12, 30), "date_to": date(2026, 12, 31)}),
    ],
)
def test_year_boundary(text: str, want: dict[str, Any]) -> None:
    _check(parse_when(text, NEW_YEAR_EVE), **want)


def test_month_boundary() -> None:
    now = datetime(2026, 1, 30, 9, 0, tzinfo=TZ)  # Friday
    _check(parse_when("the 31st", now), date_from=date(2026, 1, 31))
    _check(parse_when("the 30th", now), date_from=date(2026, 1, 30))
    _check(parse_when("the 29th", now), date_from=date(2026, 3, 29))  # no Feb 29 in 2026
    _check(parse_when("next week", now), date_from=date(2026, 2, 2), date_to=date(2026, 2, 8))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("do you have 11:15 thursday?", time(11, 15)),
        ("what about 2:45", time(14, 45)),
        ("how about 10:45am?", time(10, 45)),
        ("3:00 pls", time(15)),
        ("3pm", time(15)),  # an hour with am/pm is the start named
        ("thurs 11 oclock", time(11)),
        ("is 3 ok", None),  # a bare hour is too loose to hold
        ("after 11:15", None),  # a bound
        ("around 2:45", None),
        ("between 1:30 and 3", None),
        ("11:15 or 2:45", None),  # two starts
        ("$12.50", None),
    ],
)
def test_exact_start(text: str, expected: time | None) -> None:
    assert exact_start(text) == expected


@pytest.mark.parametrize(
    ("text", "weekday"),
    [
        ("sorry i meant tuesday not wednesday!!", 1),
        ("thurs instead of fri", 3),
        ("not on monday, tuesday", 1),
    ],
)
def test_a_negated_day_is_not_wished_for(text: str, weekday: int) -> None:
    when = parse_when(text, datetime(2026, 11, 30, 10))
    assert when is not None and when.date_from == when.date_to
    assert when.date_from is not None and when.date_from.weekday() == weekday


def test_not_before_stays_a_bound() -> None:
    when = parse_when("not before 10 tmrw", datetime(2026, 11, 30, 10))
    assert when is not None and when.after == time(10)
