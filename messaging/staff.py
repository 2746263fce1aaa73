"""Telling staff: an alert row for the dashboard and a text to the clinic's staff phone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from messaging.models import StaffAlert
from messaging.outbound import queue_text


def notify_staff(
    session: Session,
    *,
    clinic_id: str,
    staff_phone: str | None,
    clinic_phone: str,
    provider: str,
    kind: str,
    reason: str,
    summary: str,
    now: dt.datetime,
    conversation_id: int | None = None,
) -> StaffAlert:
    """Record a staff alert and text it to ``staff_phone`` when the clinic has one.

    Args:
        kind: "alert" when a person must act (handoff, model failure, refund after a late
            payment); "notice" for information (a booking, a cancellation).
        reason: a short machine word (handoff, booked, late_payment_refund, ...).
        summary: what staff read; it may name the patient's masked number, never their text.

    Returns:
        The saved :class:`StaffAlert`.
    """
    alert = StaffAlert(
        clinic_id=clinic_id,
        conversation_id=conversation_id,
        kind=kind,
        reason=reason,
        summary=summary,
        created_at=now,
    )
    session.add(alert)
    if staff_phone:
        queue_text(
            session,
            clinic_id=clinic_id,
            from_number=clinic_phone,
            to_number=staff_phone,
            body=f"[frontdesk] {summary}",
            provider=provider,
            now=now,
            kind="staff",
        )
    session.flush()
    return alert


def has_alerts(session: Session, clinic_id: str, kind: str = "alert") -> bool:
    """True when the clinic has any staff alert of ``kind``."""
    return (
        session.execute(
            select(StaffAlert.id).where(StaffAlert.clinic_id == clinic_id, StaffAlert.kind == kind)
        ).first()
        is not None
    )
