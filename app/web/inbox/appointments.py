"""``/app/appointments``: the clinic's upcoming appointments and holds, the visits not
confirmed yet, and staff's cancel and no-show.

Cancelling runs :func:`app.flows.staff.cancel_appointment_by_clinic` (released in the EMR,
a paid deposit refunded in full, the patient told); rescheduling is :mod:`.reschedule`.
Holds still waiting for a deposit are listed apart. "Not confirmed yet" is
:func:`booking.reminders.unconfirmed` for the next :data:`UNCONFIRMED_HOURS` hours (whom to
call). **No-show** on a booked visit whose start has passed runs
:func:`app.flows.no_show.no_show_by_clinic` (the EMR told, the deposit kept per policy, one
rebook offer texted); a refusal (not booked, not started) is a 409 page with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from app.flows.no_show import no_show_by_clinic
from app.flows.staff import cancel_appointment_by_clinic
from app.web.inbox.base import account, bp, ctx, dollars, login_required
from booking.models import ACTIVE_STATUSES, PENDING_STATUSES, Appointment, AppointmentStatus
from booking.no_show import NoShowRefused
from booking.reminders import unconfirmed

#: How far back ended appointments stay listed (days).
PAST_DAYS = 7
#: The most appointments one list shows.
LIST_LIMIT = 300
#: How far ahead "Not confirmed yet" looks (hours).
UNCONFIRMED_HOURS = 48


@bp.get("/appointments")
@login_required
def appointments() -> Any:
    """Upcoming booked appointments, the next 48 hours' visits not confirmed yet, holds
    awaiting a deposit, and the last week's visits (a booked one that started can be marked
    a no-show)."""
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
        waiting = unconfirmed(session, account().clinic_id, now, UNCONFIRMED_HOURS)
        session.expunge_all()
    upcoming = [a for a in rows if a.start_at >= now and a.status not in PENDING_STATUSES]
    return render_template(
        "appointments.html",
        upcoming=upcoming,
        unconfirmed=waiting,
        unconfirmed_hours=UNCONFIRMED_HOURS,
        holds=[a for a in rows if a.status in PENDING_STATUSES],
        past=[a for a in rows if a.start_at < now and a.status not in PENDING_STATUSES],
        active=set(ACTIVE_STATUSES),
        booked=AppointmentStatus.BOOKED,
        now=now,
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


@bp.post("/appointments/<int:appointment_id>/no-show")
@login_required
def appointment_no_show(appointment_id: int) -> Any:
    """Mark one of the clinic's booked visits whose start has passed a no-show (404 for another
    clinic's; 409 with the reason when it is not booked or has not started)."""
    clinic_id = account().clinic_id
    try:
        marked = no_show_by_clinic(ctx(), clinic_id, appointment_id)
    except LookupError:
        abort(404)
    except NoShowRefused as exc:
        flash(f"Not marked: {exc}.")
        return appointments(), 409
    clinic = ctx().clinic_cached(clinic_id)  # just loaded by the flow
    offered = clinic is not None and clinic.clinic.reminders.no_show_followup
    flash(
        f"Marked a no-show; deposit kept: {dollars(marked.deposit_kept_cents)}."
        + (" The patient was texted one offer to rebook." if offered else "")
    )
    return redirect(url_for("inbox.appointments")), 303
