"""Reminders, aftercare and review texts: scheduled as rows at booking, cancelled with the
visit, sent once when due (even by two sweepers at once on Postgres), answered by "C"."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent.visit_confirm import is_confirmation
from app.context import AppContext
from app.db import Database
from app.flows.due import next_due_instant
from app.flows.reminders import send_scheduled_text
from app.flows.staff import cancel_by_clinic
from app.flows.sweeper import run_due
from app.web import create_app
from booking.models import Appointment
from booking.reminder_models import ScheduledStatus, ScheduledText
from booking.reminders import plan_texts, reminded_visit, schedule_texts, unconfirmed
from booking.terms import ReminderPlan
from knowledge.apikeys import create_key
from knowledge.clinic_file import ClinicFile, ClinicFileError, parse_clinic_file
from messaging.models import Message
from messaging.outbound import record_opt_out
from tests.steps import JANE, book_paid

CHICAGO = ZoneInfo("America/Chicago")
START = dt.datetime(2026, 11, 25, 16, 0, tzinfo=CHICAGO)  # Wed 4 PM: book_paid's slot
END = START + dt.timedelta(minutes=30)
WEDNESDAY_AFTER_4 = {"weekdays": frozenset({2}), "after": dt.time(16)}


def _rows(ctx: AppContext) -> list[ScheduledText]:
    with ctx.db.session() as s:
        return list(s.scalars(select(ScheduledText).order_by(ScheduledText.due_at)))


def _reminders_to(ctx: AppContext, phone: str = JANE) -> list[Message]:
    with ctx.db.session() as s:
        return list(
            s.scalars(select(Message).where(Message.to_number == phone, Message.kind == "reminder"))
        )


# --------------------------------------------------------------------------- the plan


def test_plan_skips_reminders_already_due_and_places_aftercare_and_review() -> None:
    plan = ReminderPlan(aftercare_service_ids=frozenset({"botox"}), review=True)
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO)
    planned = plan_texts(START, END, "botox", CHICAGO, plan, monday)
    assert [(p.kind.value, p.due_at.astimezone(CHICAGO)) for p in planned] == [
        ("reminder", START - dt.timedelta(hours=24)),
        ("reminder", START - dt.timedelta(hours=2)),
        ("aftercare", END + dt.timedelta(hours=2)),
        ("review", dt.datetime(2026, 11, 26, 10, 0, tzinfo=CHICAGO)),
    ]
    same_morning = dt.datetime(2026, 11, 25, 9, 0, tzinfo=CHICAGO)
    kinds = [p.kind.value for p in plan_texts(START, END, "botox", CHICAGO, plan, same_morning)]
    assert kinds == ["reminder", "aftercare", "review"]  # the 24-hour one's time has passed
    inside_both = START - dt.timedelta(hours=2)
    assert [p.kind.value for p in plan_texts(START, END, "x", CHICAGO, plan, inside_both)] == [
        "review"
    ]
    assert plan_texts(START, END, "botox", CHICAGO, plan, END + dt.timedelta(minutes=1)) == []


# --------------------------------------------------------------------------- rows


def test_booking_schedules_reminders_once_and_cancelling_cancels_them(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _, appointment_id = book_paid(ctx, demo_clinic, **WEDNESDAY_AFTER_4)
    rows = _rows(ctx)
    assert [(r.kind.value, r.offset_minutes, r.status.value) for r in rows] == [
        ("reminder", 24 * 60, "pending"),
        ("reminder", 2 * 60, "pending"),
    ]
    with ctx.db.session() as s:  # booking again (a late payment, a retry) adds nothing
        appointment = s.get(Appointment, appointment_id)
        assert appointment is not None
        terms = ctx.clinic_terms(demo_clinic)
        assert schedule_texts(s, appointment, terms.reminders, ctx.clock.now()) == 0
    cancel_by_clinic(ctx, JANE)
    assert {r.status for r in _rows(ctx)} == {ScheduledStatus.CANCELLED}
    ctx.clock.set(START)
    run_due(ctx)
    assert _reminders_to(ctx) == []


def test_due_reminder_is_sent_once_and_named_in_clinic_time(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    conversation_id, _ = book_paid(ctx, demo_clinic, **WEDNESDAY_AFTER_4)
    with ctx.db.session() as s:
        due = next_due_instant(s, ctx.clock.now())
    assert due == START - dt.timedelta(hours=24)
    ctx.clock.set(due - dt.timedelta(seconds=1))
    assert run_due(ctx)["scheduled_texts"] == 0
    ctx.clock.set(due)
    assert run_due(ctx)["scheduled_texts"] == 1
    first = _rows(ctx)[0]
    assert first.status == ScheduledStatus.SENT and first.message_id is not None
    assert send_scheduled_text(ctx, first.id) == "gone"  # a second run sends nothing
    [text] = _reminders_to(ctx)
    assert "tomorrow at 4:00 PM" in text.body and "Reply C to confirm" in text.body
    assert "CANCEL" not in text.body.upper().replace("CANCELLATION", "")
    with ctx.db.session() as s:
        visit = reminded_visit(s, conversation_id, ctx.clock.now())
        assert visit is not None and visit.start_at == START
        assert [a.id for a in unconfirmed(s, "glow-austin", ctx.clock.now(), 48)] == [visit.id]


def test_reminder_to_an_opted_out_number_is_skipped(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    book_paid(ctx, demo_clinic, **WEDNESDAY_AFTER_4)
    with ctx.db.session() as s:
        record_opt_out(s, "glow-austin", JANE, "keyword", ctx.clock.now())
    ctx.clock.set(START - dt.timedelta(hours=2))
    run_due(ctx)
    assert [r.status for r in _rows(ctx)] == [ScheduledStatus.SKIPPED] * 2
    with ctx.db.session() as s:
        sent = s.scalars(
            select(Message).where(Message.to_number == JANE, Message.kind == "reminder")
        )
        assert list(sent) == []


@pytest.mark.postgres
def test_two_sweepers_at_once_on_postgres_send_one_text(
    make_ctx: Callable[..., AppContext], pg_app_db: Database, demo_clinic: ClinicFile
) -> None:
    from tests.conftest import _truncate

    _truncate(pg_app_db)
    ctx = make_ctx(pg_app_db.url)
    book_paid(ctx, demo_clinic, **WEDNESDAY_AFTER_4)
    ctx.clock.set(START - dt.timedelta(hours=24))
    row_id = _rows(ctx)[0].id
    barrier = threading.Barrier(8)
    results: list[str] = []
    lock = threading.Lock()

    def sweeper() -> None:
        barrier.wait()
        outcome = send_scheduled_text(ctx, row_id)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=sweeper) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["gone"] * 7 + ["sent"]
    assert len(_reminders_to(ctx)) == 1


# --------------------------------------------------------------------------- answers, staff


@pytest.mark.parametrize(
    ("text", "confirms"),
    [
        ("C", True),
        ("c.", True),
        ("yes see you then", True),
        ("Confirmed", True),
        ("\U0001f44d", True),
        ("yep will be there", True),
        ("can we move it to thursday", False),
        ("I need to cancel", False),
        ("yes but can we do 3pm instead", False),
        ("whats the address", False),
        ("CANCEL", False),
    ],
)
def test_what_confirms_a_reminded_visit(text: str, confirms: bool) -> None:
    assert is_confirmation(text) is confirms


def test_staff_api_lists_unconfirmed_visits(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    book_paid(ctx, demo_clinic, **WEDNESDAY_AFTER_4)
    client = create_app(context=ctx).test_client()
    assert client.get("/staff/glow-austin/unconfirmed").status_code == 401
    auth = {"Authorization": f"Bearer {create_key(ctx.db, 'glow-austin', 'desk')}"}
    assert client.get("/staff/glow-austin/unconfirmed?hours=0", headers=auth).status_code == 400
    soon = client.get("/staff/glow-austin/unconfirmed?hours=24", headers=auth).get_json()
    assert soon == {"appointments": []}  # Wednesday is 54 hours away
    later = client.get("/staff/glow-austin/unconfirmed?hours=96", headers=auth).get_json()
    [visit] = later["appointments"]
    assert visit["patient_phone"] == JANE and visit["start"].startswith("2026-11-25T16:00")


# --------------------------------------------------------------------------- clinic file


@pytest.mark.parametrize(
    ("reminders", "message"),
    [
        ({"hours_before": [0]}, "clinic.reminders.hours_before"),
        ({"hours_before": [24, 24]}, "lists an hour twice"),
        ({"review_url": "http://example.com/review"}, "is not an https:// link"),
        ({"aftercare_hours": 100}, "clinic.reminders.aftercare_hours"),
        ({"remind_me": True}, "clinic.reminders.remind_me"),
    ],
)
def test_bad_reminder_settings_are_named(
    demo_clinic: ClinicFile, reminders: dict[str, object], message: str
) -> None:
    data = demo_clinic.model_dump(mode="json")
    data["clinic"]["reminders"] = reminders
    with pytest.raises(ClinicFileError, match=message.replace(".", r"\.")):
        parse_clinic_file(data)


# --------------------------------------------------------------------------- RQ


@pytest.mark.redis
def test_on_rq_a_reminder_due_before_the_next_sweep_waits_for_its_second(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    import time
    import uuid

    from redis import Redis
    from rq import SimpleWorker

    from app.flows.reminders import enqueue_due
    from app.jobs import RQQueue, set_worker_context
    from tests.conftest import REDIS_URL

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis not reachable: {type(exc).__name__}")
    jobs = RQQueue.from_url(REDIS_URL, queue_name=f"frontdesk-test-{uuid.uuid4().hex[:8]}")
    ctx = make_ctx(database_url, jobs=jobs)
    set_worker_context(ctx)
    try:
        book_paid(ctx, demo_clinic, **WEDNESDAY_AFTER_4)
        SimpleWorker([jobs.queue], connection=jobs.redis).work(burst=True)  # the confirmation
        due = START - dt.timedelta(hours=24)
        ctx.clock.set(due - dt.timedelta(seconds=10))
        assert enqueue_due(ctx, ctx.clock.now()) == 1
        [(member, at)] = jobs.redis.zrange(jobs.due_key, 0, -1, withscores=True)
        assert b"send_scheduled_texts" in member and 9 <= at - time.time() <= 11
        assert jobs.release_due(now=at) == 1
        SimpleWorker([jobs.queue], connection=jobs.redis).work(burst=True)
        assert _rows(ctx)[0].status == ScheduledStatus.PENDING  # ran early: sent nothing
        ctx.clock.set(due)
        assert enqueue_due(ctx, due) == 1  # the next sweep sends it at its time
        SimpleWorker([jobs.queue], connection=jobs.redis).work(burst=True)
        assert _rows(ctx)[0].status == ScheduledStatus.SENT
        assert len(_reminders_to(ctx)) == 1
    finally:
        set_worker_context(None)
        jobs.queue.delete(delete_jobs=True)
        jobs.redis.delete(jobs.due_key)


def test_a_sent_reminder_and_its_confirmation_reach_the_funnel_once(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    from booking.funnel import CONFIRMED, REMINDER_ANSWERED, REMINDER_SENT, FunnelEvent
    from booking.reminders import mark_confirmed

    ctx = make_ctx(database_url)
    conversation_id, _ = book_paid(ctx, demo_clinic, **WEDNESDAY_AFTER_4)
    ctx.clock.set(START - dt.timedelta(hours=24))
    run_due(ctx)
    with ctx.db.session() as s:
        visit = reminded_visit(s, conversation_id, ctx.clock.now())
        assert visit is not None
        assert mark_confirmed(s, visit.id, ctx.clock.now())
        assert not mark_confirmed(s, visit.id, ctx.clock.now())  # a second "C" changes nothing
    with ctx.db.session() as s:
        steps = sorted(s.scalars(select(FunnelEvent.step)))
    for step in (REMINDER_SENT, CONFIRMED, REMINDER_ANSWERED):
        assert steps.count(step) == 1
