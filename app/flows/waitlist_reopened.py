"""A closure lifted: the day's free times go to the waitlist (issue 13 item 2, source
``closure_lifted``).

When the clinic file is loaded again without a closure it had (or a whole-day closure
becomes a short day), times that could not be booked are free. For each patient waiting, in
the waitlist's fair order, the earliest free time that day for their service and inside their
window becomes an opening; the opening is then offered exactly like a cancelled slot
(:func:`app.flows.waitlist.offer_opening`, after the commit). Called by ``frontdesk seed``.
"""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy import select

from agent.tool_base import service_terms
from app.context import AppContext
from booking.slots import search_openings
from booking.terms import SlotFilter
from booking.waitlist import Window, fits, record_free_slot, window_of
from booking.waitlist_models import EntryStatus, WaitlistEntry
from emr.base import EMRError, Slot
from knowledge.clinic_file import ClinicFile, ServiceInfo

__all__ = ["lifted_days", "offer_lifted_closures"]

log = structlog.get_logger(__name__)


def lifted_days(before: ClinicFile | None, after: ClinicFile, today: dt.date) -> list[dt.date]:
    """The dates from ``today`` on that ``before`` closed all day and ``after`` opens (fully
    or as a short day), in order; empty without a previous file."""
    if before is None:
        return []
    now_closed = {c.date: c for c in after.clinic.closures}
    out = []
    for closure in before.clinic.closures:
        if closure.date < today or closure.hours is not None:
            continue
        still = now_closed.get(closure.date)
        if still is None or still.hours is not None:
            out.append(closure.date)
    return sorted(out)


def offer_lifted_closures(ctx: AppContext, before: ClinicFile | None, after: ClinicFile) -> int:
    """Turn the lifted days' free times into openings for the waiting patients.

    Args:
        ctx: the application context (database, EMR, clock).
        before: the clinic file as it was (None for a new clinic: nothing was closed).
        after: the clinic file just loaded.

    Returns:
        How many openings were saved (each is offered after the commit).
    """
    now = ctx.clock.now()
    zone = after.clinic.zone
    days = lifted_days(before, after, now.astimezone(zone).date())
    if not days:
        return 0
    with ctx.db.session() as session:
        waiting = [
            (entry.service_id, window_of(entry))
            for entry in session.scalars(
                select(WaitlistEntry)
                .where(
                    WaitlistEntry.clinic_id == after.clinic.id,
                    WaitlistEntry.status == EntryStatus.WAITING,
                )
                .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            )
        ]
    search = _Search(ctx, after, now)
    opened = 0
    for day in days:
        for service_id, window in waiting:
            opened += search.open_one(day, service_id, window)
    log.info("closure_lifted", clinic_id=after.clinic.id, days=len(days), openings=opened)
    return opened


class _Search:
    """The free times of one lifted day and service, searched once for every patient waiting
    for that service (the EMR may be a remote calendar)."""

    def __init__(self, ctx: AppContext, clinic: ClinicFile, now: dt.datetime) -> None:
        self.ctx, self.clinic, self.now = ctx, clinic, now
        self.emr, self.terms = ctx.emr_for(clinic), ctx.clinic_terms(clinic)
        self.found: dict[tuple[dt.date, str], list[Slot]] = {}

    def free(self, day: dt.date, service: ServiceInfo) -> list[Slot]:
        """Free slots of ``service`` on ``day`` (empty when the EMR fails: logged)."""
        key = (day, service.id)
        if key not in self.found:
            try:
                self.found[key] = search_openings(
                    self.ctx.db,
                    self.emr,
                    clinic=self.terms,
                    service=service_terms(self.clinic, service),
                    wanted=SlotFilter(date_from=day, date_to=day),
                    now=self.now,
                    max_days_ahead=self.clinic.clinic.booking.max_days_ahead,
                )
            except EMRError:
                log.warning("closure_lifted_search_failed", clinic_id=self.clinic.clinic.id)
                self.found[key] = []
        return self.found[key]

    def open_one(self, day: dt.date, service_id: str, window: Window) -> int:
        """Save the earliest free time on ``day`` for one waiting patient not already an
        opening; 1 if saved, else 0."""
        try:
            service = self.clinic.service(service_id)
        except KeyError:
            return 0
        zone = self.clinic.clinic.zone
        with self.ctx.db.session() as session:
            for slot in self.free(day, service):
                if not fits(window, slot.start, zone):
                    continue
                provider = self.clinic.provider(slot.provider_id).name
                names = {"service_name": service.name, "provider_name": provider}
                if record_free_slot(
                    session,
                    self.clinic.clinic.id,
                    slot,
                    source="closure_lifted",
                    now=self.now,
                    **names,
                ):
                    return 1
        return 0
