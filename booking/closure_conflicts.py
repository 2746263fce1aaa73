"""Appointments that a clinic's closures now fall over, for staff to move (issue 13 item 3).

A closure added to the clinic file (``clinic.closures``: a whole day, or a short day open only
for some ``hours``) stops new offers at once (:mod:`booking.slots`), but visits already booked
for that time stay on the calendar: the patients must be called or texted by a person, who
knows why the clinic closes. :func:`closure_conflicts` lists them; ``frontdesk seed`` prints
them after a clinic file is loaded, and ``frontdesk staff closures CLINIC`` and
``GET /staff/<clinic>/closure-conflicts`` list them on demand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import ACTIVE_STATUSES, Appointment
from booking.terms import ClinicTerms, format_when

__all__ = ["ClosureConflict", "closure_conflicts"]


@dataclass(frozen=True)
class ClosureConflict:
    """One booked or held visit inside a closure.

    Attributes:
        appointment_id: our appointment id.
        patient_phone: E.164 (staff call the patient back; never logged).
        service, provider: names as booked.
        start_at: aware instant of the visit.
        when: the visit's clinic-local time, as staff read it ("Thu Dec 24 at 3:00 PM CST").
        status: the appointment status (booked, awaiting_deposit, ...).
        reason: the closure's reason ("Christmas Eve"), or "".
    """

    appointment_id: int
    patient_phone: str
    service: str
    provider: str
    start_at: dt.datetime
    when: str
    status: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (``start_at`` as ISO 8601)."""
        return {
            "appointment_id": self.appointment_id,
            "patient_phone": self.patient_phone,
            "service": self.service,
            "provider": self.provider,
            "start": self.start_at.isoformat(),
            "when": self.when,
            "status": self.status,
            "reason": self.reason,
        }


def closure_conflicts(
    session: Session, terms: ClinicTerms, reasons: Mapping[dt.date, str], now: dt.datetime
) -> list[ClosureConflict]:
    """The clinic's active appointments (booked, held) from ``now`` on that fall in a closure.

    Args:
        session: an open session (read only).
        terms: the clinic as booking sees it (its closures, by :meth:`ClinicTerms.closed_at`).
        reasons: local date -> the closure's reason ("Christmas Eve"), for staff.
        now: aware instant; visits that already started are left out.

    Returns:
        Soonest first; empty when no closure covers a visit.
    """
    if not terms.closures:
        return []
    zone = terms.zone
    rows = session.scalars(
        select(Appointment)
        .where(
            Appointment.clinic_id == terms.clinic_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at >= now,
        )
        .order_by(Appointment.start_at, Appointment.id)
    )
    return [
        ClosureConflict(
            appointment_id=appt.id,
            patient_phone=appt.patient_phone,
            service=appt.service_name or appt.service_id,
            provider=appt.provider_name or appt.provider_id,
            start_at=appt.start_at,
            when=format_when(appt.start_at, terms.timezone),
            status=str(appt.status.value),
            reason=reasons.get(appt.start_at.astimezone(zone).date(), ""),
        )
        for appt in rows
        if terms.closed_at(appt.start_at.astimezone(zone), appt.end_at.astimezone(zone))
    ]
