"""A closure added over booked visits lists them for staff (issue 13 item 3): by the
function, the staff API and ``frontdesk staff closures``; a short day lists only the visits
outside its hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.context import AppContext
from app.web import create_app
from booking.closure_conflicts import closure_conflicts
from knowledge.apikeys import create_key
from knowledge.clinic_file import ClinicFile, parse_clinic_file
from knowledge.seed import seed_clinic
from tests.steps import JANE, book_paid, cli_database

WEDNESDAY = dt.date(2026, 11, 25)  # book_paid's Botox is Wed Nov 25 at 4 PM (Chicago)
AFTER_4 = {"weekdays": frozenset({2}), "after": dt.time(16)}


def _with_closures(clinic: ClinicFile, closures: list[dict[str, Any]]) -> ClinicFile:
    data = clinic.model_dump(mode="json", by_alias=True)
    data["clinic"]["closures"] = closures
    return parse_clinic_file(data)


@pytest.mark.parametrize(
    ("closure", "listed"),
    [
        ({"date": WEDNESDAY.isoformat(), "reason": "Water leak"}, True),
        ({"date": WEDNESDAY.isoformat(), "hours": [["09:00", "13:00"]]}, True),  # 4 PM is out
        ({"date": WEDNESDAY.isoformat(), "hours": [["09:00", "17:00"]]}, False),  # still open
        ({"date": "2026-11-27", "reason": "Black Friday"}, False),  # another day
    ],
)
def test_a_closure_over_a_booked_visit_lists_it(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    closure: dict[str, Any],
    listed: bool,
) -> None:
    ctx = make_ctx(database_url)
    _, appt = book_paid(ctx, demo_clinic, **AFTER_4)
    clinic = _with_closures(demo_clinic, [closure])
    info, terms = clinic.clinic, ctx.clinic_terms(clinic)
    with ctx.db.session() as s:
        rows = closure_conflicts(s, terms, info.closure_reasons, ctx.clock.now())
    assert [r.appointment_id for r in rows] == ([appt] if listed else [])
    if listed:
        assert rows[0].patient_phone == JANE and "Wed Nov 25 at 4:00 PM" in rows[0].when


def test_staff_api_lists_visits_on_closed_days(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _, appt = book_paid(ctx, demo_clinic, **AFTER_4)
    seed_clinic(ctx.db, _with_closures(demo_clinic, [{"date": WEDNESDAY.isoformat()}]))
    client = create_app(context=ctx).test_client()
    assert client.get("/staff/glow-austin/closure-conflicts").status_code == 401
    auth = {"Authorization": f"Bearer {create_key(ctx.db, 'glow-austin', 'desk')}"}
    body = client.get("/staff/glow-austin/closure-conflicts", headers=auth).get_json()
    assert [a["appointment_id"] for a in body["appointments"]] == [appt]
    assert body["appointments"][0]["patient_phone"] == JANE


def test_seed_and_staff_closures_say_when_nothing_is_affected(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_database(monkeypatch, tmp_path).dispose()
    capsys.readouterr()
    assert main(["staff", "closures", "glow-austin"]) == 0
    assert "no booked visits fall on a closed day" in capsys.readouterr().out
    assert main(["staff", "closures", "nowhere"]) == 2
