"""The owner dashboard over HTTP reads the funnel report: every number on the page equals
:func:`booking.funnel_report.funnel_report` and what ``frontdesk report funnel --json`` prints
for the same clinic and period (SQLite and Postgres)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

import pytest

from app.cli import main
from app.context import AppContext
from booking import funnel
from booking.funnel import record_step
from booking.funnel_report import funnel_report, last_days, local_today
from knowledge.clinic_file import ClinicFile
from tests.app.inbox_helpers import OWNER, signed_in_client
from tests.steps import JANE, OMAR, book_paid, post_text

ZONE = "America/Chicago"


def _number(page: str, element: str) -> str:
    """The text of the element with id ``element``."""
    return page.split(f'id="{element}">', 1)[1].split("<", 1)[0]


def _cell(page: str, table: str, step: str, key: str) -> str:
    """The cell of row ``step`` and column ``key`` (a day or week) of table ``table``."""
    body = page.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    row = body.split(f'<tr data-step="{step}">', 1)[1].split("</tr>", 1)[0]
    found = re.search(rf'data-key="{re.escape(key)}">([^<]*)<', row)
    assert found, f"no {key} cell in {table}/{step}"
    return found.group(1)


def _cli_report(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ctx: AppContext,
    days: int,
) -> dict[str, object]:
    """``frontdesk report funnel --json`` for the demo clinic ending the test clock's today."""
    monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("INSTANCE_PATH", str(ctx.settings.instance_path))
    capsys.readouterr()
    today = local_today(ctx.clock.now(), ZONE).isoformat()
    args = ["report", "funnel", "--clinic", "glow-austin", "--days", str(days), "--json"]
    assert main([*args, "--ending", today]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_the_dashboard_equals_the_funnel_report_and_the_cli(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    demo_clinic: ClinicFile,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx = make_ctx(database_url)
    client = signed_in_client(ctx, OWNER)
    post_text(client, ctx, "hi how much is botox", "e1", sender=OMAR)
    book_paid(ctx, demo_clinic, JANE)  # an offer, a hold, a paid deposit, a booking
    now = ctx.clock.now()
    with ctx.db.session() as s:  # earlier days: last week's no-show, and one before the period
        record_step(
            s, "glow-austin", funnel.DEPOSIT_PAID, "deposit:900", now - dt.timedelta(2), 2500
        )
        record_step(s, "glow-austin", funnel.NO_SHOW, "appointment:900", now - dt.timedelta(2))
        record_step(s, "glow-austin", funnel.BOOKED, "appointment:901", now - dt.timedelta(9))
        record_step(s, "other-spa", funnel.BOOKED, "appointment:902", now)
    page = client.get("/app/dashboard?days=7")
    assert page.status_code == 200
    text = page.text
    since, until = last_days(local_today(now, ZONE), 7, ZONE)
    with ctx.db.sessions() as s:
        report = funnel_report(s, since, until, ZONE, "glow-austin").to_dict()
    assert _cli_report(monkeypatch, capsys, ctx, 7) == report  # one source, same numbers

    totals = report["totals"]
    assert totals[funnel.CONVERSATION_STARTED] >= 1 and totals[funnel.OFFER_SHOWN] == 1
    assert (totals[funnel.BOOKED], totals[funnel.DEPOSIT_PAID], totals[funnel.NO_SHOW]) == (1, 2, 1)
    assert report["deposit_revenue_cents"] == 7500
    for step in funnel.STEPS:
        assert _number(text, f"total-{step}") == str(totals[step]), step
    assert _number(text, "total-revenue") == "$75.00"
    median = report["response_time"]["median_seconds"]
    assert median is not None and _number(text, "first-reply") == f"{median:.1f} s"
    p90 = report["response_time"]["p90_seconds"]
    assert p90 is not None and _number(text, "first-reply-p90") == f"{p90:.1f} s"
    for table, buckets, key in (
        ("weeks", report["by_week"], "week"),
        ("days", report["by_day"], "date"),
    ):
        for bucket in buckets:
            for step in funnel.STEPS:
                assert _cell(text, table, step, bucket[key]) == str(bucket["counts"].get(step, 0))
            cents = bucket["deposit_revenue_cents"]
            assert (
                _cell(text, table, "deposit_revenue_cents", bucket[key]) == f"${cents / 100:,.2f}"
            )
    assert [w["week"] for w in report["by_week"]] == ["2026-W47", "2026-W48"]  # Sat, then Mon
    assert text.count("<svg") == 2 and "<rect" in text  # by day and by ISO week


def test_the_dashboard_fills_quiet_days_with_zeros_and_keeps_its_period(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    client = signed_in_client(ctx, OWNER)
    text = client.get("/app/dashboard?days=30").text
    assert "2026-10-25 to 2026-11-23" in text  # 30 Chicago days, today (Monday) included
    assert _cell(text, "days", funnel.BOOKED, "2026-10-25") == "0"
    assert _cell(text, "weeks", funnel.BOOKED, "2026-W43") == "0"
    assert _number(text, "first-reply") == "–"
    assert "2026-10-25 to 2026-11-23" in client.get("/app/dashboard?days=12").text  # not offered
