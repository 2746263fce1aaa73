"""``/app/waitlist``: staff see who waits (with their latest offer) and the booked visits a
new closure covers; another clinic's staff see none of it."""

from __future__ import annotations

from collections.abc import Callable

from app.context import AppContext
from booking.models import Appointment
from booking.waitlist import Window, join
from knowledge.clinic_file import ClinicFile, parse_clinic_file
from knowledge.seed import seed_clinic
from tests.app.inbox_helpers import STAFF, other_clinic_client, signed_in_client
from tests.steps import JANE, book_paid

ROSA = "+15125550621"


def test_staff_see_the_waitlist_and_visits_on_closed_days(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    _, appt = book_paid(ctx, demo_clinic, JANE)
    with ctx.db.session() as s:
        join(
            s,
            clinic_id="glow-austin",
            patient_phone=ROSA,
            service_id="botox",
            window=Window(weekdays=frozenset({4})),
            now=ctx.clock.now(),
        )
    client = signed_in_client(ctx, STAFF)
    page = client.get("/app/waitlist")
    assert page.status_code == 200
    assert ROSA in page.text and "botox" in page.text and "none yet" in page.text
    assert "no booked visit falls on a closed day" in page.text

    with ctx.db.session() as s:
        row = s.get(Appointment, appt)
        assert row is not None
        start = row.start_at.astimezone(demo_clinic.clinic.zone)
    data = demo_clinic.model_dump(mode="json", by_alias=True)
    data["clinic"]["closures"] = [{"date": start.date().isoformat(), "reason": "Burst pipe"}]
    seed_clinic(ctx.db, parse_clinic_file(data))
    page = client.get("/app/waitlist")
    assert f'class="conflict" data-id="{appt}"' in page.text and "Burst pipe" in page.text
    assert JANE in page.text

    other = other_clinic_client(ctx, demo_clinic).get("/app/waitlist")
    assert other.status_code == 200 and ROSA not in other.text and JANE not in other.text
