"""Staff are told by SMS and email: bookings, handoffs, retries and no double sends
(SQLite and Postgres; real SMTP over loopback with aiosmtpd)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.clock import FrozenClock
from app.context import AppContext
from app.flows.sending import send_staff_email
from app.flows.staff import handoff
from app.flows.sweeper import run_due
from knowledge.clinic_file import ClinicFile
from knowledge.seed import seed_clinic
from messaging.email import MAX_EMAIL_ATTEMPTS, MailError, RecordingMailer, SmtpMailer
from messaging.models import Message, StaffAlert, StaffEmail
from messaging.staff import notify_staff
from tests.messaging.test_messaging_email import SmtpSink, free_port, start_smtp
from tests.steps import JANE, OMAR, book_paid, open_conversation

STAFF_PHONE = "+15125550199"
STAFF_EMAIL = "frontdesk@glowmedspa.example.com"


def _book_and_pay(ctx: AppContext, clinic: ClinicFile) -> int:
    """Offer, hold and pay a Botox deposit through the normal path; the appointment id."""
    return book_paid(ctx, clinic, weekdays=frozenset({2}), after=dt.time(16))[1]


def _emails(ctx: AppContext) -> list[StaffEmail]:
    with ctx.db.session() as s:
        rows = list(s.execute(select(StaffEmail).order_by(StaffEmail.id)).scalars())
        s.expunge_all()
        return rows


def _staff_texts(ctx: AppContext) -> list[str]:
    with ctx.db.session() as s:
        return list(
            s.execute(
                select(Message.body).where(Message.to_number == STAFF_PHONE).order_by(Message.id)
            ).scalars()
        )


def _recording(ctx: AppContext) -> RecordingMailer:
    assert isinstance(ctx.mailer, RecordingMailer)
    return ctx.mailer


def test_paid_booking_sends_staff_one_text_and_one_email(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _book_and_pay(ctx, demo_clinic)
    texts = _staff_texts(ctx)
    assert len(texts) == 1 and "New booking" in texts[0]
    [row] = _emails(ctx)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.to_address == STAFF_EMAIL
    [sent] = _recording(ctx).sent
    assert sent.to_address == STAFF_EMAIL
    assert sent.subject.startswith("[frontdesk] New booking: Botox")
    assert "Wed Nov 25 at 4:00 PM CST" in sent.subject
    for part in ("Botox", "Dr. Maya Lee", "Wed Nov 25 at 4:00 PM CST", "$50.00"):
        assert part in sent.body
    assert "ACTION NEEDED" not in sent.subject
    with ctx.db.session() as s:
        alert = s.execute(select(StaffAlert)).scalar_one()
        assert row.alert_id == alert.id and alert.kind == "notice"


def test_handoff_email_is_marked_action_needed_and_says_how_to_take_over(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    conv = open_conversation(ctx)
    handoff(ctx, conv, "medical", "Asked whether Botox is safe while breastfeeding.")
    [sent] = _recording(ctx).sent
    assert sent.subject == "[frontdesk] ACTION NEEDED: handoff (medical)"
    assert sent.body.startswith("ACTION NEEDED")
    assert "Asked whether Botox is safe while breastfeeding." in sent.body
    assert f"frontdesk staff show {conv}" in sent.body
    assert f"/staff/glow-austin/conversations/{conv}" in sent.body
    # The patient's full number, as in the SMS: staff call back from the alert.
    assert JANE in sent.body and "*****" not in sent.body
    [text] = _staff_texts(ctx)
    assert JANE in text and "*****" not in text


def test_clinic_without_staff_email_sends_no_email(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    data = demo_clinic.model_dump(mode="json")
    data["clinic"]["staff_alert_email"] = None
    clinic = ClinicFile.model_validate(data)
    seed_clinic(ctx.db, clinic)
    _book_and_pay(ctx, clinic)
    handoff(ctx, open_conversation(ctx, OMAR), "patient_request", "Wants a person.")
    assert _emails(ctx) == [] and _recording(ctx).sent == []
    assert len(_staff_texts(ctx)) == 2  # the texts still go out


def test_routine_notices_and_rolled_back_alerts_send_no_email(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    now = ctx.clock.now()
    with ctx.db.session() as s:  # patient texted while staff have the conversation
        notify_staff(
            s,
            clinic_id="glow-austin",
            staff_phone=None,
            clinic_phone="+15125550100",
            carrier="recording",
            kind="notice",
            reason="patient_replied",
            summary="+1512*****23 texted while staff have the conversation.",
            now=now,
        )
    with pytest.raises(RuntimeError), ctx.db.session() as s:
        notify_staff(
            s,
            clinic_id="glow-austin",
            staff_phone=STAFF_PHONE,
            clinic_phone="+15125550100",
            carrier="recording",
            kind="alert",
            reason="refund_failed",
            summary="Refund failed.",
            now=now,
        )
        raise RuntimeError("the unit of work failed")
    assert _emails(ctx) == [] and _recording(ctx).attempts == []
    assert ctx.recording.sent == []


def test_transient_failures_retry_with_backoff_then_give_up(
    make_ctx: Callable[..., AppContext], database_url: str, clock: FrozenClock
) -> None:
    ctx = make_ctx(database_url)
    mailer = _recording(ctx)
    mailer.fail_next(*[MailError("421 busy", code=421)] * MAX_EMAIL_ATTEMPTS)
    handoff(ctx, open_conversation(ctx), "emergency", "Says her lip is swelling fast.")
    [row] = _emails(ctx)
    assert row.status == "queued" and row.attempts == 1 and row.send_after is not None
    assert run_due(ctx)["emails_requeued"] == 0  # backoff not over
    for attempt in range(2, MAX_EMAIL_ATTEMPTS + 1):
        clock.advance(dt.timedelta(hours=2))
        assert run_due(ctx)["emails_requeued"] == 1
        assert _emails(ctx)[0].attempts == attempt
    [row] = _emails(ctx)
    assert row.status == "failed" and row.error is not None and "gave up" in row.error
    clock.advance(dt.timedelta(hours=2))
    assert run_due(ctx)["emails_requeued"] == 0
    assert mailer.sent == [] and len(mailer.attempts) == MAX_EMAIL_ATTEMPTS


def test_permanent_failure_is_not_retried_and_a_sent_row_is_never_resent(
    make_ctx: Callable[..., AppContext], database_url: str, clock: FrozenClock
) -> None:
    ctx = make_ctx(database_url)
    mailer = _recording(ctx)
    mailer.fail_next(MailError("550 no such user", code=550, permanent=True))
    handoff(ctx, open_conversation(ctx), "complaint", "Unhappy with her results.")
    handoff(ctx, open_conversation(ctx, OMAR), "other", "Asked about gift cards.")
    failed, sent = _emails(ctx)
    assert failed.status == "failed" and "550" in (failed.error or "")
    assert sent.status == "sent"
    clock.advance(dt.timedelta(hours=2))
    assert run_due(ctx)["emails_requeued"] == 0
    assert send_staff_email(ctx, sent.id) == "skipped"  # a duplicate job changes nothing
    assert send_staff_email(ctx, failed.id) == "skipped"
    assert len(mailer.sent) == 1 and len(mailer.attempts) == 2


# --------------------------------------------------------------------------- real SMTP


def test_booking_email_arrives_over_real_smtp(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    sink = SmtpSink()
    controller = start_smtp(sink)
    try:
        ctx = make_ctx(
            database_url,
            smtp_url=f"smtp://127.0.0.1:{controller.port}",
            smtp_from="desk@glowmedspa.example.com",
        )
        assert isinstance(ctx.mailer, SmtpMailer)
        _book_and_pay(ctx, demo_clinic)
    finally:
        controller.stop()
    [got] = sink.received
    assert got["To"] == STAFF_EMAIL and got["From"] == "desk@glowmedspa.example.com"
    assert str(got["Subject"]).startswith("[frontdesk] New booking: Botox")
    body = got.get_content()
    for part in ("Botox", "Wed Nov 25 at 4:00 PM CST", "deposit $50.00 paid"):
        assert part in body
    [row] = _emails(ctx)
    assert row.status == "sent" and got["Message-ID"] == f"<staff-email-{row.id}@frontdesk>"
    assert len(_staff_texts(ctx)) == 1


def test_server_that_refuses_then_accepts_gets_the_email_via_the_sweeper(
    make_ctx: Callable[..., AppContext], database_url: str, clock: FrozenClock
) -> None:
    sink = SmtpSink(refuse=["451 4.3.0 Mailbox busy, try again later"])
    controller = start_smtp(sink)
    try:
        ctx = make_ctx(database_url, smtp_url=f"smtp://127.0.0.1:{controller.port}")
        conv = open_conversation(ctx)
        handoff(ctx, conv, "patient_request", "Wants to talk to a person about pricing.")
        [row] = _emails(ctx)
        assert row.status == "queued" and row.attempts == 1 and "451" in (row.error or "")
        assert sink.received == []
        clock.advance(dt.timedelta(minutes=5))
        assert run_due(ctx)["emails_requeued"] == 1
    finally:
        controller.stop()
    [got] = sink.received
    assert got["To"] == STAFF_EMAIL
    assert got["Subject"] == "[frontdesk] ACTION NEEDED: handoff (patient request)"
    assert f"frontdesk staff show {conv}" in got.get_content()
    [row] = _emails(ctx)
    assert row.status == "sent" and row.attempts == 2 and row.error is None


def test_connection_refused_then_server_up_is_retried_by_the_sweeper(
    make_ctx: Callable[..., AppContext], database_url: str, clock: FrozenClock
) -> None:
    port = free_port()
    ctx = make_ctx(database_url, smtp_url=f"smtp://127.0.0.1:{port}", smtp_timeout_seconds=2)
    handoff(ctx, open_conversation(ctx), "emergency", "Reports trouble breathing after filler.")
    [row] = _emails(ctx)
    assert row.status == "queued" and row.attempts == 1
    assert "Connection" in (row.error or "") or "refused" in (row.error or "").lower()
    sink = SmtpSink()
    controller = start_smtp(sink, port=port)
    try:
        clock.advance(dt.timedelta(minutes=1))
        assert run_due(ctx)["emails_requeued"] == 1
        assert run_due(ctx)["emails_requeued"] == 0  # sent: nothing left to retry
    finally:
        controller.stop()
    assert len(sink.received) == 1
    assert sink.received[0]["Subject"] == "[frontdesk] ACTION NEEDED: handoff (emergency)"
