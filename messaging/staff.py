"""Telling staff: an alert row for the dashboard, a text to the clinic's staff phone and an
email to its ``staff_alert_email``.

Every staff alert and notice goes through :func:`notify_staff`. Texts and emails are rows
first (``messaging.outbound.queue_text``, ``messaging.email.queue_email``) and are sent by
jobs after the caller's session commits, so a rolled-back unit of work tells nobody.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, column, select, table
from sqlalchemy.orm import Session

from messaging import copy
from messaging.email import queue_email
from messaging.models import AlertKind, StaffAlert
from messaging.outbound import queue_text

#: Notices worth an email (alerts always are); e.g. "patient_replied" while staff already
#: have the conversation is not.
EMAILED_NOTICES = frozenset({"booked", "cancelled", "rescheduled"})
#: Alert reasons that mean the AI handed the conversation to staff (``agent.tools``, and a
#: limit of ``clinic.limits`` passed: ``app.flows.limits``, ``agent.limits``).
HANDOFF_REASONS = frozenset(
    {
        "patient_request",
        "medical",
        "emergency",
        "complaint",
        "other",
        "rate_limit",
        "reply_cap",
        "token_budget",
    }
)

_clinics = table("clinics", column("id"), column("profile", JSON))


class FromClinic(enum.Enum):
    """Sentinel: take the staff email address from the clinic's profile."""

    PROFILE = "profile"


def clinic_staff_email(session: Session, clinic_id: str) -> str | None:
    """The clinic's ``staff_alert_email`` as last seeded.

    Returns:
        The address, or None when the clinic has none (or no valid one).
    """
    profile = session.execute(select(_clinics.c.profile).where(_clinics.c.id == clinic_id)).scalar()
    value = profile.get("staff_alert_email") if isinstance(profile, dict) else None
    return value.strip() if isinstance(value, str) and "@" in value else None


def notify_staff(
    session: Session,
    *,
    clinic_id: str,
    staff_phone: str | None,
    clinic_phone: str,
    carrier: str,
    kind: str,
    reason: str,
    summary: str,
    now: dt.datetime,
    conversation_id: int | None = None,
    staff_email: str | None | FromClinic = FromClinic.PROFILE,
) -> StaffAlert:
    """Record a staff alert, text it to ``staff_phone`` and email it to the clinic's staff.

    The text and the email are saved as rows here and sent by jobs after ``session``
    commits. Alerts are always emailed; notices only when ``reason`` is in
    :data:`EMAILED_NOTICES`.

    Args:
        kind: "alert" when a person must act (handoff, model failure, refund after a late
            payment); "notice" for information (a booking, a cancellation).
        reason: a short machine word (handoff reasons, booked, late_payment_refund, ...).
        summary: what staff read; it may name the patient's full number (staff call back), never
            their text (logs never carry it).
        staff_email: the address to email; by default the clinic's ``staff_alert_email``;
            None sends no email.

    Returns:
        The saved :class:`StaffAlert`.

    Raises:
        ValueError: ``kind`` is not an :class:`~messaging.models.AlertKind`.
    """
    alert = StaffAlert(
        clinic_id=clinic_id,
        conversation_id=conversation_id,
        kind=AlertKind(kind),
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
            body=copy.staff_text(summary),
            carrier=carrier,
            now=now,
            kind="staff",
        )
    session.flush()
    if kind == AlertKind.ALERT or reason in EMAILED_NOTICES:
        _email_alert(session, alert, staff_email, now)
    return alert


def _email_alert(
    session: Session, alert: StaffAlert, staff_email: str | None | FromClinic, now: dt.datetime
) -> None:
    """Queue the email that carries ``alert`` (see :func:`notify_staff`'s ``staff_email``)."""
    address = (
        clinic_staff_email(session, alert.clinic_id)
        if isinstance(staff_email, FromClinic)
        else staff_email
    )
    if not address:
        return
    queue_email(
        session,
        clinic_id=alert.clinic_id,
        to_address=address,
        subject=copy.email_subject(
            alert.kind, alert.reason, alert.summary, handoff=alert.reason in HANDOFF_REASONS
        ),
        body=copy.email_body(alert.kind, alert.clinic_id, alert.summary, alert.conversation_id),
        now=now,
        alert_id=alert.id,
    )
