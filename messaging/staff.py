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

from messaging.email import queue_email
from messaging.models import StaffAlert
from messaging.outbound import queue_text

#: Notices worth an email (alerts always are); e.g. "patient_replied" while staff already
#: have the conversation is not.
EMAILED_NOTICES = frozenset({"booked", "cancelled", "rescheduled"})
#: Alert reasons that mean the agent handed the conversation to staff (``agent.tools``).
HANDOFF_REASONS = frozenset({"patient_request", "medical", "emergency", "complaint", "other"})
SUBJECT_PREFIX = "[frontdesk]"

_clinics = table("clinics", column("id"), column("profile", JSON))


class FromClinic(enum.Enum):
    """Sentinel: take the staff email address from the clinic's profile."""

    PROFILE = "profile"


def clinic_staff_email(session: Session, clinic_id: str) -> str | None:
    """The clinic's ``staff_alert_email`` as last seeded, or None."""
    profile = session.execute(select(_clinics.c.profile).where(_clinics.c.id == clinic_id)).scalar()
    value = profile.get("staff_alert_email") if isinstance(profile, dict) else None
    return value.strip() if isinstance(value, str) and "@" in value else None


def email_subject(kind: str, reason: str, summary: str) -> str:
    """``[frontdesk] ACTION NEEDED: handoff (medical)`` for alerts, else the summary's headline
    (``[frontdesk] New booking: Botox with Dr. Maya Lee, Thu Nov 26 at 4:00 PM CST, ...``)."""
    if kind == "alert":
        words = reason.replace("_", " ")
        what = f"handoff ({words})" if reason in HANDOFF_REASONS else words
        return f"{SUBJECT_PREFIX} ACTION NEEDED: {what}"
    headline = " ".join(summary.split())
    headline = headline.split(" (", 1)[0].rstrip(".")  # "(deposit refunded)" stays in the body
    if len(headline) > 120:
        headline = headline[:117].rstrip() + "..."
    return f"{SUBJECT_PREFIX} {headline}"


def email_body(kind: str, clinic_id: str, summary: str, conversation_id: int | None) -> str:
    """The summary plus how to reply or take over (CLI and staff API)."""
    lines = []
    if kind == "alert":
        lines += ["ACTION NEEDED: a person at the clinic must follow up.", ""]
    lines += [summary.strip(), ""]
    if conversation_id is not None:
        lines += [
            f"Conversation {conversation_id} ({clinic_id}). To read it, reply or take over:",
            f"  frontdesk staff show {conversation_id}",
            f"  frontdesk staff reply {conversation_id} <your text>",
            f"or with the clinic's API key: GET /staff/{clinic_id}/conversations/{conversation_id}"
            f" and POST /staff/{clinic_id}/conversations/{conversation_id}/reply",
        ]
    else:
        lines += [f"Conversations: frontdesk staff list {clinic_id}"]
    lines += ["", "-- frontdesk (automatic message; replies to this email are not read)"]
    return "\n".join(lines) + "\n"


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
        summary: what staff read; it may name the patient's masked number, never their text.
        staff_email: the address to email; by default the clinic's ``staff_alert_email``;
            None sends no email.

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
            body=f"{SUBJECT_PREFIX} {summary}",
            provider=provider,
            now=now,
            kind="staff",
        )
    session.flush()
    if kind == "alert" or reason in EMAILED_NOTICES:
        address = (
            clinic_staff_email(session, clinic_id)
            if isinstance(staff_email, FromClinic)
            else staff_email
        )
        if address:
            queue_email(
                session,
                clinic_id=clinic_id,
                to_address=address,
                subject=email_subject(kind, reason, summary),
                body=email_body(kind, clinic_id, summary, conversation_id),
                now=now,
                alert_id=alert.id,
            )
    return alert

