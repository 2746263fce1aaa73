"""Hours on a given date from weekly hours and clinic.closures; arrival replies' late policy."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.nlu.when import parse_when
from agent.offline.arrivals import late_policy
from agent.offline.dated_hours import dated_hours
from knowledge.clinic_file import ClinicFile

NOW = dt.datetime(2026, 12, 21, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))


def _reply(clinic: ClinicFile, text: str) -> str | None:
    return dated_hours(clinic, text, parse_when(text, NOW), NOW.date())


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("are you open on the 24th?", "On Thu Dec 24 (Christmas Eve) we're open 9 AM-1 PM only."),
        ("open christmas?", "We're closed Fri Dec 25 (Christmas Day)."),
        ("open on the 26th?", "We're open Sat the 26th, 9 AM-3 PM."),
        ("open new years day?", "We're closed Fri Jan 1 (New Year's Day)."),
        (
            "open memorial day?",
            "Memorial Day isn't on our closure list, so we're open our usual Monday hours, 9 AM-5 PM.",
        ),
    ],
)
def test_dated_hours(demo_clinic: ClinicFile, text: str, wanted: str) -> None:
    assert (_reply(demo_clinic, text) or "").startswith(wanted)


@pytest.mark.parametrize(
    "text",
    [
        "what time do u close saturday",
        "open sunday the 27th?",
        "any specials for christmas?",
        "how much is botox",
    ],
)
def test_not_a_dated_hours_question(demo_clinic: ClinicFile, text: str) -> None:
    assert _reply(demo_clinic, text) is None  # the weekly answer (or another) applies


def test_closure_named_by_its_reason(demo_clinic: ClinicFile) -> None:
    clinic = demo_clinic.model_copy(deep=True)
    [short_day] = [c for c in clinic.clinic.closures if c.date.isoformat() == "2026-12-24"]
    short_day.reason = "Staff training"
    reply = _reply(clinic, "are u closed for the staff training")
    assert reply == "On Thu Dec 24 (Staff training) we're open 9 AM-1 PM only."


def test_late_policy_only_from_sentences_about_lateness() -> None:
    late = {
        "passages": [{"title": "P", "text": "# P\n\nDeposits are $50. Up to 10 min late is ok."}]
    }
    assert late_policy(late) == "Up to 10 min late is ok."
    silent = {"passages": [{"title": "P", "text": "Give us 48 hours' notice to cancel."}]}
    assert late_policy(silent) == ""
    assert late_policy({"passages": []}) == ""
