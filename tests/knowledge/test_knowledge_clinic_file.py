"""The clinic file: validation errors name field paths; the demo clinic is consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from knowledge.clinic_file import ClinicFile, ClinicFileError, load_clinic_file, parse_clinic_file


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ClinicFileError) as info:
        parse_clinic_file(data)
    return info.value.problems


def test_bad_fields_are_named_by_path(demo_data: dict[str, Any]) -> None:
    demo_data["clinic"]["timezone"] = "America/Austin"
    demo_data["services"][1]["duration_minutes"] = 0
    demo_data["providers"][0]["hours"] = {"tue": [["10:00", "25:00"]]}
    demo_data["clinic"]["colour"] = "pink"
    problems = _problems(demo_data)
    text = "\n".join(problems)
    assert "clinic.timezone:" in text
    assert "services[1].duration_minutes:" in text
    assert "providers[0].hours:" in text
    assert "clinic.colour:" in text
    assert len(problems) == 4


def test_unknown_provider_named(demo_data: dict[str, Any]) -> None:
    demo_data["services"][2]["provider_ids"] = ["dr-nobody"]
    assert _problems(demo_data) == ["services[2].provider_ids[0]: no provider 'dr-nobody'"]


def test_phone_not_e164(demo_data: dict[str, Any]) -> None:
    demo_data["clinic"]["phone_numbers"] = ["(512) 555-0100"]
    assert _problems(demo_data)[0].startswith("clinic.phone_numbers")


def test_unreadable_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(ClinicFileError, match=r"\(file\): cannot read"):
        load_clinic_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ClinicFileError, match=r"\(file\): not valid json"):
        load_clinic_file(bad)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def test_demo_clinic_is_complete_and_consistent(demo_clinic: ClinicFile) -> None:
    c = demo_clinic
    assert c.clinic.id == "glow-austin" and c.clinic.timezone == "America/Chicago"
    numbers = [*c.clinic.phone_numbers, c.clinic.staff_alert_phone or ""]
    assert all(re.fullmatch(r"\+1\d{3}55501\d\d", n) for n in numbers)
    assert len(c.services) >= 12 and len(c.providers) == 3
    assert len(c.documents) >= 6 and len(c.faqs) >= 12
    assert any(s.deposit_cents == 0 for s in c.services)
    assert sum(1 for s in c.services if s.deposit_cents is None) >= 2
    assert all(s.aliases for s in c.services)
    b = c.clinic.booking
    assert (b.hold_minutes, b.new_patient_deposit_cents, b.cancellation_notice_hours) == (
        15,
        5000,
        24,
    )
    for p in c.providers:
        for day, intervals in p.hours.items():
            for start, end in intervals:
                assert any(
                    _minutes(cs) <= _minutes(start) and _minutes(end) <= _minutes(ce)
                    for cs, ce in c.clinic.hours.get(day, [])
                ), f"{p.id} {day} {start}-{end} outside clinic hours"
    for s in c.services:
        assert all(any(p.id == pid for p in c.providers) for pid in s.provider_ids)
    titles = [d.title for d in c.documents] + [f.question for f in c.faqs]
    assert len(titles) == len(set(titles))


def test_demo_clinic_file_round_trips(tmp_path: Path, demo_data: dict[str, Any]) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(demo_data), encoding="utf-8")
    assert load_clinic_file(path) == parse_clinic_file(demo_data)


def test_limits_have_generous_defaults_and_bounded_values(demo_data: dict[str, Any]) -> None:
    limits = parse_clinic_file(demo_data).clinic.limits  # the demo clinic sets none
    assert (limits.texts_per_minute, limits.texts_per_hour) == (15, 100)
    assert (limits.max_text_chars, limits.replies_per_day) == (4000, 60)
    assert limits.daily_model_tokens == 5_000_000
    demo_data["clinic"]["limits"] = {
        "texts_per_minute": 0,
        "texts_per_hour": 10**9,
        "max_text_chars": 50,
        "replies_per_day": 5000,
        "daily_model_tokens": 2**40,
        "per_second": 1,
    }
    problems = sorted(p.split(":")[0] for p in _problems(demo_data))
    assert problems == [
        "clinic.limits.daily_model_tokens",
        "clinic.limits.max_text_chars",
        "clinic.limits.per_second",
        "clinic.limits.replies_per_day",
        "clinic.limits.texts_per_hour",
        "clinic.limits.texts_per_minute",
    ]
    demo_data["clinic"]["limits"] = {"texts_per_minute": 5, "replies_per_day": 20}
    limits = parse_clinic_file(demo_data).clinic.limits
    assert (limits.texts_per_minute, limits.replies_per_day, limits.texts_per_hour) == (5, 20, 100)


def test_closures_time_off_and_treats_validated_and_kept(demo_data: dict[str, Any]) -> None:
    data = json.loads(json.dumps(demo_data))
    data["clinic"]["closures"] = [
        {"date": "2026-11-26", "reason": "Thanksgiving"},
        {"date": "2026-12-24", "hours": [["09:00", "12:00"]]},
    ]
    data["providers"][0]["time_off"] = [{"from": "2026-12-21", "to": "2026-12-27"}]
    data["services"][0]["treats"] = ["forehead lines", "11s"]
    clinic = parse_clinic_file(data)
    assert [c.reason for c in clinic.clinic.closures] == ["Thanksgiving", ""]
    assert clinic.providers[0].time_off[0].end.isoformat() == "2026-12-27"
    assert clinic.services[0].treats == ["forehead lines", "11s"]
    again = ClinicFile.model_validate(clinic.model_dump(mode="json"))  # as stored and re-read
    assert again.providers[0].time_off == clinic.providers[0].time_off

    data["providers"][0]["time_off"] = [{"from": "2026-12-27", "to": "2026-12-21"}]
    data["clinic"]["closures"][1] = {"date": "2026-12-24", "hours": [["12:00", "09:00"]]}
    problems = _problems(data)
    assert any(p.startswith("providers[0].time_off[0]") for p in problems)
    assert any(p.startswith("clinic.closures[1].hours") for p in problems)


def test_a_closure_date_listed_twice_is_refused(demo_data: dict[str, Any]) -> None:
    data = json.loads(json.dumps(demo_data))
    data["clinic"]["closures"] = [{"date": "2026-11-26"}, {"date": "2026-11-26"}]
    assert _problems(data) == ["clinic.closures: 2026-11-26 is listed twice"]
