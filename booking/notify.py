"""Texts the booking lifecycle sends on its own: to the patient and to staff."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from booking.terms import ClinicTerms
from messaging.models import Conversation, Message
from messaging.outbound import reply_in_conversation
from messaging.staff import notify_staff


def tell_patient(
    session: Session, conversation_id: int | None, *, body: str, kind: str, now: dt.datetime
) -> Message | None:
    """Queue ``body`` to the patient of ``conversation_id`` (None: nobody to tell).

    Returns:
        The queued message row, or None when there is no conversation.
    """
    if conversation_id is None:
        return None
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    return reply_in_conversation(session, conversation, body, now=now, kind=kind)


def tell_staff(
    session: Session,
    clinic: ClinicTerms,
    *,
    kind: str,
    reason: str,
    summary: str,
    now: dt.datetime,
    conversation_id: int | None = None,
) -> None:
    """Record a staff alert (``kind`` alert | notice) and text it to the clinic's staff phone."""
    notify_staff(
        session,
        clinic_id=clinic.clinic_id,
        staff_phone=clinic.staff_alert_phone,
        clinic_phone=clinic.phone,
        carrier=clinic.sms_carrier,
        kind=kind,
        reason=reason,
        summary=summary,
        now=now,
        conversation_id=conversation_id,
    )
