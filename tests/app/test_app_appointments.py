"""``/app/appointments`` over HTTP: staff mark a no-show (CSRF form, refusals shown, another
clinic's appointment a 404) and see the visits of the next 48 hours not confirmed yet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.context import AppContext
from booking import funnel
from booking.funnel import FunnelEvent
from booking.models import Appointment
from booking.reminders import mark_confirmed
from knowledge.clinic_file import ClinicFile
from messaging.models import Message
from tests.app.inbox_helpers import STAFF, other_clinic_client, post_form, signed_in_client
from tests.steps import JANE, appointment_status, book_paid

PAGE = "/app/appointments"


def _no_show(client: FlaskClient, appointment_id: int):  # type: ignore[no-untyped-def]
    return post_form(client, PAGE, f"/app/appointments/{appointment_id}/no-show")


def _button(page: str, appointment_id: int) -> bool:
    """Whether the page has the No-show form of ``appointment_id``."""
    return f'action="/app/appointments/{appointment_id}/no-show"' in page


def _section(page: str) -> str:
    """The "Not confirmed yet" section of the page."""
    return page.split('id="unconfirmed"', 1)[1].split("<h2", 1)[0]


@pytest.fixture
def booked(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> tuple[AppContext, int]:
    """The demo clinic with Jane's paid Botox visit booked (within 48 hours); its id."""
    ctx = make_ctx(database_url)
    return ctx, book_paid(ctx, demo_clinic, JANE)[1]


def test_staff_mark_a_past_visit_a_no_show_and_refusals_are_shown(
    booked: tuple[AppContext, int],
) -> None:
    ctx, appt = booked
    client = signed_in_client(ctx, STAFF)
    assert not _button(client.get(PAGE).text, appt)  # the visit is still ahead
    early = _no_show(client, appt)
    assert early.status_code == 409 and "has not started yet" in early.text
    assert appointment_status(ctx, appt) == "booked"

    ctx.clock.advance(dt.timedelta(days=2))  # type: ignore[attr-defined]
    assert _button(client.get(PAGE).text, appt)
    done = _no_show(client, appt)
    assert done.status_code == 303
    assert "Marked a no-show; deposit kept: $" in client.get(PAGE).text
    assert appointment_status(ctx, appt) == "no_show"
    with ctx.db.session() as s:
        steps = s.scalars(select(FunnelEvent.step).where(FunnelEvent.step == funnel.NO_SHOW))
        assert list(steps) == [funnel.NO_SHOW]
        kinds = s.scalars(select(Message.kind).where(Message.to_number == JANE)).all()
    assert kinds.count("no_show") == 1  # one rebook offer
    again = _no_show(client, appt)
    assert again.status_code == 409 and "not booked" in again.text
    assert not _button(client.get(PAGE).text, appt)


def test_another_clinic_cannot_mark_a_no_show(
    booked: tuple[AppContext, int], demo_clinic: ClinicFile
) -> None:
    ctx, appt = booked
    client = other_clinic_client(ctx, demo_clinic)
    ctx.clock.advance(dt.timedelta(days=2))  # type: ignore[attr-defined]
    assert not _button(client.get(PAGE).text, appt)
    assert _no_show(client, appt).status_code == 404
    assert _no_show(client, 99999).status_code == 404
    assert appointment_status(ctx, appt) == "booked"
    assert client.post(f"/app/appointments/{appt}/no-show").status_code == 400  # no CSRF token


def test_visits_not_confirmed_yet_are_listed_until_the_patient_confirms(
    booked: tuple[AppContext, int], demo_clinic: ClinicFile
) -> None:
    ctx, appt = booked
    client = signed_in_client(ctx, STAFF)
    other = other_clinic_client(ctx, demo_clinic)
    with ctx.db.session() as s:
        row = s.get(Appointment, appt)
        assert row is not None
        assert row.start_at - ctx.clock.now() < dt.timedelta(hours=48)
    assert f'data-id="{appt}"' in _section(client.get(PAGE).text)

    assert f'data-id="{appt}"' not in _section(other.get(PAGE).text)

    with ctx.db.session() as s:
        assert mark_confirmed(s, appt, ctx.clock.now())
    assert f'data-id="{appt}"' not in _section(client.get(PAGE).text)

    ctx.clock.advance(dt.timedelta(days=5))  # type: ignore[attr-defined]
    with ctx.db.session() as s:
        row = s.get(Appointment, appt)
        assert row is not None
        row.confirmed_at = None  # not confirmed, but past: no longer "not confirmed yet"
    assert f'data-id="{appt}"' not in _section(client.get(PAGE).text)
