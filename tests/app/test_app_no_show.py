"""Staff mark a no-show (API and CLI): the appointment and the EMR say so, the deposit is kept,
the funnel records it once, and the patient gets one rebook offer that "yes" answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.dialog import Asked
from agent.store import load_state
from app.cli import main
from app.context import AppContext
from app.db import Database
from app.flows.no_show import no_show_by_clinic
from app.web import create_app
from booking import funnel
from booking.funnel import FunnelEvent
from booking.holds import retry_emr_sync
from booking.models import Appointment, AppointmentStatus
from emr.models import LocalAppointment, LocalStatus
from knowledge.apikeys import create_key
from knowledge.clinic_file import ClinicFile
from messaging.models import Message
from tests.steps import JANE, OMAR, book_paid

LATER = dt.timedelta(days=2)


def _no_show_url(appointment_id: int, clinic: str = "glow-austin") -> str:
    return f"/staff/{clinic}/appointments/{appointment_id}/no-show"


def _texts(ctx: AppContext, kind: str) -> list[Message]:
    with ctx.db.session() as s:
        return list(s.scalars(select(Message).where(Message.kind == kind)))


def test_the_api_marks_a_past_booking_and_offers_one_rebooking(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    client = create_app(context=ctx).test_client()
    auth = {"Authorization": f"Bearer {create_key(ctx.db, 'glow-austin', 'desk')}"}
    conv, appt = book_paid(ctx, demo_clinic)

    assert client.post(_no_show_url(appt)).status_code == 401
    assert client.post(_no_show_url(999), headers=auth).status_code == 404
    other = {"Authorization": f"Bearer {create_key(ctx.db, 'glow-austin', 'x')}"}
    assert client.post(_no_show_url(appt, "other-clinic"), headers=other).status_code == 401
    early = client.post(_no_show_url(appt), headers=auth)  # the visit has not started
    assert early.status_code == 409 and "not started" in early.get_json()["error"]

    ctx.clock.advance(LATER)  # type: ignore[attr-defined]
    done = client.post(_no_show_url(appt), headers=auth)
    assert done.status_code == 200
    assert done.get_json() == {
        "appointment_id": appt,
        "status": "no_show",
        "deposit_kept_cents": 5000,
    }
    assert client.post(_no_show_url(appt), headers=auth).status_code == 409  # only once

    with ctx.db.session() as s:
        row = s.get(Appointment, appt)
        assert row is not None and row.status == AppointmentStatus.NO_SHOW
        local = s.get(LocalAppointment, int(row.emr_appointment_id or 0))
        assert local is not None and local.status == LocalStatus.NOSHOW
        steps = list(s.scalars(select(FunnelEvent.step).where(FunnelEvent.step == "no_show")))
        assert steps == [funnel.NO_SHOW]
        assert load_state(s, conv).question.asked == Asked.SEARCH  # type: ignore[union-attr]
    [offer] = _texts(ctx, "no_show")
    assert "$50.00 deposit is kept" in offer.body and "new time" in offer.body


def test_a_failed_emr_call_is_retried_by_the_sweeper(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _, appt = book_paid(ctx, demo_clinic)
    ctx.clock.advance(LATER)  # type: ignore[attr-defined]
    no_show_by_clinic(ctx, "glow-austin", appt)
    with ctx.db.session() as s:  # as if the EMR had been down: it still says booked
        row = s.get(Appointment, appt)
        assert row is not None
        row.emr_error = "no_show: EMRUnavailable: down"
        local = s.get(LocalAppointment, int(row.emr_appointment_id or 0))
        assert local is not None
        local.status = LocalStatus.BOOKED
    assert retry_emr_sync(ctx.db, ctx.emr_for(demo_clinic), "glow-austin") == 1
    with ctx.db.session() as s:
        row = s.get(Appointment, appt)
        assert row is not None and row.emr_error is None
        assert s.get(LocalAppointment, int(row.emr_appointment_id or 0)).status == "noshow"  # type: ignore[union-attr]


def test_staff_mark_a_no_show_from_the_command_line(
    make_ctx: Callable[..., AppContext],
    demo_clinic: ClinicFile,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    Database(url).create_all()
    ctx = make_ctx(url)
    _, appt = book_paid(ctx, demo_clinic)  # Nov 2026: in the past for the real clock
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    capsys.readouterr()
    assert main(["staff", "no-show", "glow-austin", "--phone", OMAR]) == 2
    assert "no past booked appointment" in capsys.readouterr().err
    assert main(["staff", "no-show", "glow-austin", "--phone", JANE]) == 0
    out = capsys.readouterr().out
    assert f"appointment {appt}" in out and "$50.00" in out and JANE not in out
    assert main(["staff", "no-show", "glow-austin", "--appointment", str(appt)]) == 2
    assert "not booked" in capsys.readouterr().err
    assert len(_texts(ctx, "no_show")) == 1


def test_a_clinic_without_no_show_followup_sends_no_rebook_text(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    from knowledge.seed import seed_clinic

    ctx = make_ctx(database_url)
    reminders = demo_clinic.clinic.reminders.model_copy(update={"no_show_followup": False})
    info = demo_clinic.clinic.model_copy(update={"reminders": reminders})
    seed_clinic(ctx.db, demo_clinic.model_copy(update={"clinic": info}))
    _, appt = book_paid(ctx, demo_clinic)
    ctx.clock.advance(LATER)  # type: ignore[attr-defined]
    marked = no_show_by_clinic(ctx, "glow-austin", appt)
    assert marked.deposit_kept_cents == 5000
    assert _texts(ctx, "no_show") == []
