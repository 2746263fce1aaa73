"""``/app/waitlist``: who is waiting for an opening, and the booked visits that fall on days
the clinic is now closed (issue 14 item 1; issue 13 items 2 and 3).

Read only: patients join and leave the waitlist by text (:mod:`agent.waitlist_intent`) and
openings are offered by :mod:`app.flows.waitlist`; staff call the patients whose visits a new
closure covers (:func:`booking.closure_conflicts.closure_conflicts`) and move or cancel them
from ``/app/appointments``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template, request

from app.web.inbox.base import account, bp, clinic_zone, ctx, local_time, login_required
from booking.closure_conflicts import closure_conflicts
from booking.waitlist_staff import waitlist_rows


@bp.get("/waitlist")
@login_required
def waitlist() -> Any:
    """The waitlist in join order (``?all=1``: booked and removed entries too) with each
    patient's latest offer, and the visits on closed days."""
    clinic_id, everyone = account().clinic_id, request.args.get("all") == "1"
    clinic = ctx().clinic(clinic_id)
    zone = clinic_zone()
    with ctx().db.sessions() as session:
        rows = waitlist_rows(session, clinic_id, zone, everyone=everyone)
        conflicts = (
            closure_conflicts(
                session,
                ctx().clinic_terms(clinic),
                clinic.clinic.closure_reasons,
                ctx().clock.now(),
            )
            if clinic is not None
            else []
        )
    for row in rows:  # the ISO strings as staff read them, in the clinic's zone
        row["joined"] = local_time(dt.datetime.fromisoformat(row["joined_at"]))
        if row["offer"]:
            row["offer"]["until"] = local_time(
                dt.datetime.fromisoformat(row["offer"]["expires_at"])
            )
    return render_template("waitlist.html", rows=rows, conflicts=conflicts, everyone=everyone)
