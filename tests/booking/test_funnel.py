"""The funnel: each step once per subject, recorded by the real flows, and the report's numbers
(by clinic-local day and ISO week, deposits, first-answer times) on SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.context import AppContext
from app.web import create_app
from booking import funnel
from booking.changes import cancel_by_patient, reschedule
from booking.funnel import FunnelEvent, record_step
from booking.funnel_report import funnel_report
from booking.models import Deposit
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, Direction, Message, MessageStatus
from tests.steps import book_paid, cli_database, offer_botox, open_conversation, pay, post_text

CHICAGO = ZoneInfo("America/Chicago")


def _steps(ctx: AppContext) -> dict[str, int]:
    with ctx.db.session() as s:
        rows = s.execute(select(FunnelEvent.step, func.count()).group_by(FunnelEvent.step)).all()
    return {step: n for step, n in rows}


def test_each_step_is_recorded_once_even_when_repeated(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    client = create_app(context=ctx).test_client()
    post_text(client, ctx, "how much is botox", "e1")
    post_text(client, ctx, "and how long does it take", "e2")
    conv, appt = book_paid(ctx, demo_clinic)
    offer_botox(ctx, demo_clinic, conv)  # openings shown again in the same conversation
    with ctx.db.session() as s:
        held = s.scalar(select(FunnelEvent.subject).where(FunnelEvent.step == funnel.HOLD))
        order_id = s.scalar(select(Deposit.order_id).where(Deposit.appointment_id == appt))
    assert held == f"appointment:{appt}" and order_id is not None
    assert pay(ctx, demo_clinic, order_id).result == "duplicate"  # the webhook again

    assert _steps(ctx) == {
        funnel.CONVERSATION_STARTED: 1,
        funnel.OFFER_SHOWN: 1,
        funnel.HOLD: 1,
        funnel.DEPOSIT_PAID: 1,
        funnel.BOOKED: 1,
    }
    with ctx.db.session() as s:
        paid = s.scalar(select(FunnelEvent.amount_cents).where(FunnelEvent.step == "deposit_paid"))
        assert paid == 5000
        again = record_step(s, "glow-austin", funnel.BOOKED, f"appointment:{appt}", ctx.clock.now())
        assert again is False
    assert _steps(ctx)[funnel.BOOKED] == 1


def test_unknown_steps_and_naive_instants_are_refused(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    with ctx.db.session() as s, pytest.raises(ValueError, match="unknown funnel step"):
        record_step(s, "glow-austin", "visited", "conversation:1", ctx.clock.now())
    with ctx.db.session() as s, pytest.raises(ValueError, match="timezone-aware"):
        record_step(s, "glow-austin", funnel.HOLD, "appointment:1", dt.datetime(2026, 11, 23))


def _local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


def _exchange(
    ctx: AppContext, phone: str, asked: dt.datetime, answered_after_s: int | None
) -> None:
    """A conversation whose first texts came at ``asked`` and were answered that many seconds
    later (None: never answered); a later, quicker exchange in it must not count."""
    conv_id = open_conversation(ctx, phone)
    with ctx.db.session() as s:

        def text(direction: Direction, at: dt.datetime) -> Message:
            return Message(
                conversation_id=conv_id,
                clinic_id="glow-austin",
                direction=direction,
                carrier="telnyx",
                from_number=phone,
                to_number=phone,
                body="",
                status=MessageStatus.PROCESSED if direction == Direction.IN else "sent",
                created_at=at,
            )

        s.add(text(Direction.IN, asked))
        s.add(text(Direction.IN, asked + dt.timedelta(seconds=1)))
        if answered_after_s is not None:
            s.add(text(Direction.OUT, asked + dt.timedelta(seconds=answered_after_s)))
            s.add(text(Direction.IN, asked + dt.timedelta(hours=1)))
            s.add(text(Direction.OUT, asked + dt.timedelta(hours=1, seconds=1)))


def test_the_report_counts_by_local_day_and_iso_week_with_deposits_and_answer_times(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    events = [
        (funnel.CONVERSATION_STARTED, "conversation:1", _local(22, 23, 30)),  # Sun, W47 (UTC Mon)
        (funnel.CONVERSATION_STARTED, "conversation:2", _local(23, 9)),  # Mon, W48
        (funnel.OFFER_SHOWN, "conversation:2", _local(23, 9, 5)),
        (funnel.DEPOSIT_PAID, "deposit:1", _local(23, 9, 20)),
        (funnel.DEPOSIT_PAID, "deposit:2", _local(24, 15)),
        (funnel.BOOKED, "appointment:1", _local(24, 15)),
        (funnel.BOOKED, "appointment:9", _local(10, 15)),  # before the period
    ]
    with ctx.db.session() as s:
        for step, subject, at in events:
            cents = 5000 if step == funnel.DEPOSIT_PAID else None
            record_step(s, "glow-austin", step, subject, at, amount_cents=cents)
        record_step(s, "other-clinic", funnel.BOOKED, "appointment:77", _local(24, 16))
    _exchange(ctx, "+15125550201", _local(23, 9), 2)
    _exchange(ctx, "+15125550202", _local(23, 10), 4)
    _exchange(ctx, "+15125550203", _local(24, 11), 10)
    _exchange(ctx, "+15125550204", _local(24, 12), None)

    with ctx.db.session() as s:
        report = funnel_report(
            s, _local(20, 0), _local(27, 0), "America/Chicago", clinic_id="glow-austin"
        ).to_dict()
    assert report["totals"][funnel.CONVERSATION_STARTED] == 2
    assert report["totals"][funnel.BOOKED] == 1  # the other clinic's and the old one left out
    assert report["deposit_revenue_cents"] == 10000
    by_day = {d["date"]: d["counts"] for d in report["by_day"]}
    assert by_day["2026-11-22"] == {funnel.CONVERSATION_STARTED: 1}
    assert by_day["2026-11-24"] == {funnel.DEPOSIT_PAID: 1, funnel.BOOKED: 1}
    by_week = {w["week"]: w["counts"] for w in report["by_week"]}
    assert set(by_week) == {"2026-W47", "2026-W48"}
    assert by_week["2026-W48"][funnel.DEPOSIT_PAID] == 2
    revenue = {w["week"]: w["deposit_revenue_cents"] for w in report["by_week"]}
    assert revenue == {"2026-W47": 0, "2026-W48": 10000}
    assert [d["deposit_revenue_cents"] for d in report["by_day"]] == [0, 5000, 5000]
    assert report["response_time"] == {
        "conversations": 3,
        "median_seconds": 4.0,
        "p90_seconds": 10.0,
    }
    with ctx.db.session() as s:
        everyone = funnel_report(s, _local(20, 0), _local(27, 0), "UTC").to_dict()
    assert everyone["totals"][funnel.BOOKED] == 2
    assert everyone["by_day"][0]["date"] == "2026-11-23"  # 23:30 Chicago is Monday in UTC


def test_report_funnel_prints_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = cli_database(monkeypatch, tmp_path)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with db.session() as s:
        record_step(s, "glow-austin", funnel.DEPOSIT_PAID, "deposit:1", recent, 5000)
        record_step(s, "glow-austin", funnel.BOOKED, "appointment:1", recent)
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
    db.dispose()
    capsys.readouterr()
    assert main(["report", "funnel", "--clinic", "glow-austin", "--days", "7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"][funnel.BOOKED] == 1 and data["deposit_revenue_cents"] == 5000
    assert data["timezone"] == "America/Chicago"
    assert main(["report", "funnel", "--clinic", "glow-austin"]) == 0
    table = capsys.readouterr().out
    assert "deposits paid: $50.00" in table and "booked" in table
    assert any(
        line.startswith("deposit revenue") and "$50.00" in line for line in table.splitlines()
    )
    assert main(["report", "funnel", "--clinic", "glow-austin", "--ending", "30/11/2026"]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert main(["report", "funnel", "--clinic", "nowhere"]) == 2
    assert "no clinic" in capsys.readouterr().err


def test_a_move_is_one_booking_and_a_cancellation_is_counted_once(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    conv, appt = book_paid(ctx, demo_clinic, weekdays=frozenset({3}))
    terms, emr = ctx.clinic_terms(demo_clinic), ctx.emr_for(demo_clinic)
    moved = reschedule(
        ctx.db,
        emr,
        clinic=terms,
        appointment_id=appt,
        offer=offer_botox(ctx, demo_clinic, conv, weekdays=frozenset({4}))[0],
        provider_name="Dr. Maya Lee",
        now=ctx.clock.now(),
    )
    assert _steps(ctx)[funnel.BOOKED] == 1 and _steps(ctx)[funnel.HOLD] == 1
    assert funnel.CANCELLED not in _steps(ctx)  # the old slot of a move is no cancellation
    new_id = moved.new_appointment_id
    cancel_by_patient(
        ctx.db, emr, ctx.deposits, clinic=terms, appointment_id=new_id, now=ctx.clock.now()
    )
    with ctx.db.session() as s:
        subjects = list(
            s.scalars(select(FunnelEvent.subject).where(FunnelEvent.step == "cancelled"))
        )
    assert subjects == [f"appointment:{new_id}"]


def test_the_period_is_whole_local_days_across_a_clock_change() -> None:
    from booking.funnel_report import last_days, local_today

    since, until = last_days(dt.date(2026, 11, 2), 2, "America/Chicago")  # DST ends Nov 1
    assert since.astimezone(dt.UTC) == dt.datetime(2026, 11, 1, 5, tzinfo=dt.UTC)
    assert until.astimezone(dt.UTC) == dt.datetime(2026, 11, 3, 6, tzinfo=dt.UTC)
    late = dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)  # still Monday evening in Chicago
    assert local_today(late, "America/Chicago") == dt.date(2026, 11, 23)
    with pytest.raises(ValueError):
        last_days(dt.date(2026, 11, 2), 0, "UTC")
