"""Staff see the waitlist: patients join in their own words over the webhook, and the staff
API (this clinic's key only) and ``frontdesk staff waitlist`` list them in join order."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.cli import main
from app.context import AppContext
from app.web import create_app
from booking.waitlist import Window, join
from knowledge.apikeys import create_key
from tests.conftest import MONDAY_10AM
from tests.steps import JANE, OMAR, cli_database, post_text


def test_patients_join_in_their_own_words_and_staff_see_them_in_order(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    client = create_app(context=ctx).test_client()
    post_text(client, ctx, "can you put me on the waitlist for botox on fridays?", "e1")
    post_text(client, ctx, "let me know if a hydrafacial opens up thursday afternoon", "e2", OMAR)
    key = create_key(ctx.db, "glow-austin", "front desk")
    assert client.get("/staff/glow-austin/waitlist").status_code == 401
    wrong = {"Authorization": "Bearer fdk_000000000000_nope"}
    bad = client.get("/staff/glow-austin/waitlist", headers=wrong)
    assert bad.status_code == 401
    rows = client.get(
        "/staff/glow-austin/waitlist", headers={"Authorization": f"Bearer {key}"}
    ).get_json()["waitlist"]
    assert [(r["patient_phone"], r["service_id"], r["status"]) for r in rows] == [
        (JANE, "botox", "waiting"),
        (OMAR, "hydrafacial", "waiting"),
    ]
    assert rows[0]["weekdays"] == [4] and rows[1]["weekdays"] == [3]
    assert rows[1]["after"] == "12:00" and rows[0]["offer"] is None


def test_the_cli_lists_the_waitlist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_database(monkeypatch, tmp_path)
    with db.session() as s:
        join(
            s,
            clinic_id="glow-austin",
            patient_phone=JANE,
            service_id="botox",
            window=Window(weekdays=frozenset({4}), text="Fridays"),
            now=MONDAY_10AM,
        )
    db.dispose()
    capsys.readouterr()
    assert main(["staff", "waitlist", "glow-austin"]) == 0
    out = capsys.readouterr().out
    assert JANE in out and "botox" in out and "Fridays" in out
    assert main(["staff", "waitlist", "glow-austin", "--all", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["status"] == "waiting" and row["weekdays"] == [4]
    assert main(["staff", "waitlist", "no-such-clinic"]) == 2
