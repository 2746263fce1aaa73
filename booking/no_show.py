"""No-shows: staff mark a booked appointment whose time has passed as a no-show (issue 13
item 5).

:func:`mark_no_show` sets our row ``no_show`` (row first), records the funnel step, tells the
EMR (``noshow``; a failed call is kept on the row as ``emr_error`` and retried by the
sweeper through :func:`booking.holds.retry_emr_sync`) and reports the deposit the clinic
keeps: under a no-show policy a paid deposit is forfeited, never refunded. The patient's
rebook offer is the flow's part (:mod:`app.flows.no_show`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from booking.funnel import NO_SHOW, record_appointment_step
from booking.holds import sync_emr
from booking.models import Appointment, AppointmentStatus, Deposit, DepositStatus
from booking.terms import format_when
from emr.base import EMRClient


class NoShowRefused(ValueError):
    """The appointment cannot be marked a no-show: it is not booked, or has not started."""


@dataclass(frozen=True)
class NoShow:
    """A marked no-show.

    Attributes:
        appointment_id, clinic_id, conversation_id, patient_phone: whose and where.
        service_id, service_name: the service missed (as the patient was told it).
        when: its start as the patient reads it ("Mon Nov 23 at 12:00 PM CST").
        deposit_kept_cents: paid deposit the clinic keeps, in cents (0: none was paid).
    """

    appointment_id: int
    clinic_id: str
    conversation_id: int | None
    patient_phone: str
    service_id: str
    service_name: str
    when: str
    deposit_kept_cents: int


def mark_no_show(db: Database, emr: EMRClient, appointment_id: int, now: dt.datetime) -> NoShow:
    """Mark a booked appointment that has started a no-show, here and in the EMR.

    Args:
        db, emr: our database and the clinic's EMR.
        appointment_id: our appointment.
        now: the current instant (aware).

    Returns:
        :class:`NoShow`.

    Raises:
        LookupError: no such appointment.
        NoShowRefused: it is not booked (already a no-show, cancelled, a hold...) or it has
            not started yet.
    """
    with db.session() as session:
        row = session.get(Appointment, appointment_id, with_for_update=True)
        if row is None:
            raise LookupError(f"no appointment {appointment_id}")
        if row.status != AppointmentStatus.BOOKED:
            raise NoShowRefused(f"appointment {appointment_id} is {row.status}, not booked")
        if row.start_at > now:
            raise NoShowRefused(f"appointment {appointment_id} has not started yet")
        row.status, row.updated_at = AppointmentStatus.NO_SHOW, now
        record_appointment_step(session, row, NO_SHOW, now)
        outcome = NoShow(
            appointment_id=row.id,
            clinic_id=row.clinic_id,
            conversation_id=row.conversation_id,
            patient_phone=row.patient_phone,
            service_id=row.service_id,
            service_name=row.service_name,
            when=format_when(row.start_at, row.timezone),
            deposit_kept_cents=_paid_cents(session, row.id),
        )
        emr_id = row.emr_appointment_id
    if emr_id is not None:
        sync_emr(db, emr, appointment_id, emr_id, "no_show")
    return outcome


def _paid_cents(session: Session, appointment_id: int) -> int:
    """Cents paid as deposit for the appointment and not refunded."""
    total = session.scalar(
        select(func.coalesce(func.sum(Deposit.amount_cents), 0)).where(
            Deposit.appointment_id == appointment_id, Deposit.status == DepositStatus.PAID
        )
    )
    return int(total or 0)


def latest_past_booking(
    session: Session, clinic_id: str, patient_phone: str, now: dt.datetime
) -> int | None:
    """The id of the patient's latest booked appointment that has started by ``now``, or None."""
    return session.scalar(
        select(Appointment.id)
        .where(
            Appointment.clinic_id == clinic_id,
            Appointment.patient_phone == patient_phone,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.start_at <= now,
        )
        .order_by(Appointment.start_at.desc())
        .limit(1)
    )
