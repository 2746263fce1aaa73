"""``/app/appointments``: the clinic's upcoming appointments and holds, and staff's cancel.

Cancelling runs :func:`app.flows.staff.cancel_appointment_by_clinic` (released in the EMR,
a paid deposit refunded in full, the patient told); rescheduling is :mod:`.reschedule`.
Holds still waiting for a deposit are listed apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from app.flows.staff import cancel_appointment_by_clinic
from app.web.inbox.base import account, bp, ctx, login_required
from booking.models import ACTIVE_STATUSES, PENDING_STATUSES, Appointment

#: How far back ended appointments stay listed (days).
PAST_DAYS = 7
#: The most appointments one list shows.
LIST_LIMIT = 300


@bp.get("/appointments")
@login_required
def appointments() -> Any:
    """Upcoming booked appointments, holds awaiting a deposit, and the last week's visits."""
    now = ctx().clock.now()
    with ctx().db.sessions() as session:
        rows = session.scalars(
            select(Appointment)
            .where(
                Appointment.clinic_id == account().clinic_id,
                Appointment.end_at >= now - dt.timedelta(days=PAST_DAYS),
            )
            .order_by(Appointment.start_at)
            .limit(LIST_LIMIT)
        ).all()
        session.expunge_all()
    upcoming = [a for a in rows if a.start_at >= now and a.status not in PENDING_STATUSES]
    return render_template(
        "appointments.html",
        upcoming=upcoming,
        holds=[a for a in rows if a.status in PENDING_STATUSES],
        past=[a for a in rows if a.start_at < now and a.status not in PENDING_STATUSES],
        active=set(ACTIVE_STATUSES),
    )


@bp.post("/appointments/<int:appointment_id>/cancel")
@login_required
def appointment_cancel(appointment_id: int) -> Any:
    """Cancel one of the clinic's appointments (404 for another clinic's)."""
    with ctx().db.sessions() as session:
        row = session.get(Appointment, appointment_id)
        if row is None or row.clinic_id != account().clinic_id:
            abort(404)
    if cancel_appointment_by_clinic(ctx(), appointment_id) is None:
        flash("That appointment was no longer active.")
    else:
        flash("Cancelled; the patient was told and any paid deposit refunded.")
    return redirect(url_for("inbox.appointments")), 303
