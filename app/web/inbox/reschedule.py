"""Staff move a patient's appointment to another opening: ``/app/appointments/<id>/reschedule``.

``GET`` lists the openings for the appointment's service in the week from ``?date=`` (default
today, clinic-local), searched as the assistant searches (:func:`booking.slots.search_openings`:
the EMR's free slots minus active holds, closures and time off). ``POST`` (``provider_id``,
``start``) searches that day again, so a slot taken meanwhile is refused, records the chosen
slot as an offer in the patient's conversation and moves the appointment with
:func:`booking.changes.reschedule`, the same move a patient's text makes (new time held and
booked before the old one is cancelled, a paid deposit moved, the patient told).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from agent.tool_base import service_terms
from app.web.inbox.base import account, bp, clinic_zone, ctx, login_required
from booking.changes import reschedule
from booking.holds import HoldFailed
from booking.models import ACTIVE_STATUSES, Appointment
from booking.slots import record_offers, search_openings
from booking.terms import SlotFilter
from emr.base import EMRError, Slot
from knowledge.clinic_file import ClinicFile

#: How many days of openings one page shows, and the most openings listed.
WEEK_DAYS = 7
MAX_SHOWN = 60


def _movable(appointment_id: int) -> tuple[Appointment, ClinicFile]:
    """The clinic's active appointment with a conversation, and its clinic; else 404."""
    with ctx().db.sessions() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.clinic_id != account().clinic_id:
            abort(404)
        session.expunge(appt)
    clinic = ctx().clinic(appt.clinic_id)
    if clinic is None or appt.status not in ACTIVE_STATUSES or appt.conversation_id is None:
        abort(404)
    return appt, clinic


def _openings(appt: Appointment, clinic: ClinicFile, wanted: SlotFilter) -> list[Slot]:
    """Free slots for the appointment's service matching ``wanted`` (EMRError propagates)."""
    info = clinic.service(appt.service_id)
    return search_openings(
        ctx().db,
        ctx().emr_for(clinic),
        clinic=ctx().clinic_terms(clinic),
        service=service_terms(clinic, info),
        wanted=wanted,
        now=ctx().clock.now(),
        max_days_ahead=clinic.clinic.booking.max_days_ahead,
    )


@bp.get("/appointments/<int:appointment_id>/reschedule")
@login_required
def appointment_reschedule_form(appointment_id: int) -> Any:
    """The week's openings for the appointment's service, each a button."""
    appt, clinic = _movable(appointment_id)
    today = ctx().clock.now().astimezone(clinic_zone()).date()
    try:
        first = max(dt.date.fromisoformat(request.args.get("date", "")), today)
    except ValueError:
        first = today
    last = first + dt.timedelta(days=WEEK_DAYS - 1)
    try:
        slots = _openings(appt, clinic, SlotFilter(date_from=first, date_to=last))
    except EMRError:
        flash("The calendar did not answer; try again in a moment.")
        slots = []
    providers = {p.id: p.name for p in clinic.providers}
    return render_template(
        "reschedule.html",
        appt=appt,
        slots=slots[:MAX_SHOWN],
        providers=providers,
        first=first,
        previous=max(first - dt.timedelta(days=WEEK_DAYS), today),
        following=last + dt.timedelta(days=1),
        today=today,
    )


@bp.post("/appointments/<int:appointment_id>/reschedule")
@login_required
def appointment_reschedule(appointment_id: int) -> Any:
    """Move the appointment to the chosen opening, if it is still free."""
    appt, clinic = _movable(appointment_id)
    back = url_for("inbox.appointment_reschedule_form", appointment_id=appointment_id)
    try:
        start = dt.datetime.fromisoformat(request.form.get("start", ""))
        provider_id = request.form.get("provider_id", "")
        clinic.provider(provider_id)
    except (ValueError, KeyError, LookupError):
        abort(400)
    if start.tzinfo is None:
        abort(400)
    day = start.astimezone(clinic_zone()).date()
    wanted = SlotFilter(date_from=day, date_to=day, provider_ids=(provider_id,))
    try:
        slot = next((s for s in _openings(appt, clinic, wanted) if s.start == start), None)
    except EMRError:
        slot = None
    if slot is None:
        flash("That time is no longer free; pick another.")
        return redirect(back), 303
    moved = _move(appt, clinic, slot)
    if moved is None:
        flash("That time was just taken; pick another.")
        return redirect(back), 303
    flash(f"Moved to {moved}; the patient was told.")
    return redirect(url_for("inbox.appointments")), 303


def _move(appt: Appointment, clinic: ClinicFile, slot: Slot) -> str | None:
    """Record ``slot`` as an offer and move the appointment there; the new time, or None
    when the slot was taken meanwhile."""
    terms = ctx().clinic_terms(clinic)
    now = ctx().clock.now()
    assert appt.conversation_id is not None  # _movable
    with ctx().db.session() as session:
        [offer] = record_offers(
            session,
            appt.conversation_id,
            terms,
            service_terms(clinic, clinic.service(appt.service_id)),
            [(1, slot)],
            now,
        )
        session.expunge(offer)
    try:
        moved = reschedule(
            ctx().db,
            ctx().emr_for(clinic),
            clinic=terms,
            appointment_id=appt.id,
            offer=offer,
            provider_name=clinic.provider(slot.provider_id).name,
            now=now,
        )
    except HoldFailed:
        return None
    return moved.new_when
