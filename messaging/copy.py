"""Every sentence the messaging package itself sends: the STOP / START / HELP replies
(:mod:`messaging.consent`), and the staff text and the staff email that carry each alert
(:func:`messaging.staff.notify_staff`).

Change the wording here and nowhere else. The alert's ``summary`` is written by the package
that raised it (e.g. :mod:`booking.copy`).
"""

from __future__ import annotations

import phonenumbers

#: Starts every staff text and staff email subject, so staff can filter them.
SUBJECT_PREFIX = "[frontdesk]"
#: Longest headline kept in a notice's email subject.
MAX_HEADLINE = 120


def staff_text(summary: str) -> str:
    """The SMS to the clinic's staff phone: ``[frontdesk] New booking: ...``."""
    return f"{SUBJECT_PREFIX} {summary}"


def email_subject(kind: str, reason: str, summary: str, *, handoff: bool) -> str:
    """The staff email's subject line.

    Args:
        kind: "alert" or "notice".
        reason: the alert's machine word (``medical``, ``refund_failed``, ...).
        summary: the alert's text; a notice's subject is its headline.
        handoff: True when the agent handed the conversation to staff.

    Returns:
        ``[frontdesk] ACTION NEEDED: handoff (medical)`` for alerts, else the summary's
        headline (``[frontdesk] New booking: Botox with Dr. Ana Ruiz, Thu Nov 26 ...``).
    """
    if kind == "alert":
        words = reason.replace("_", " ")
        what = f"handoff ({words})" if handoff else words
        return f"{SUBJECT_PREFIX} ACTION NEEDED: {what}"
    headline = " ".join(summary.split())
    headline = headline.split(" (", 1)[0].rstrip(".")  # "(deposit refunded)" stays in the body
    if len(headline) > MAX_HEADLINE:
        headline = headline[: MAX_HEADLINE - 3].rstrip() + "..."
    return f"{SUBJECT_PREFIX} {headline}"


def email_body(kind: str, clinic_id: str, summary: str, conversation_id: int | None) -> str:
    """The staff email's body: the summary plus how to reply or take over (CLI and staff API).

    Returns:
        Plain text ending in a newline.
    """
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


def help_text(clinic_name: str, phone: str) -> str:
    """The HELP reply: who we are, how to reach us, rates, how to stop (CTIA Messaging
    Principles and Best Practices, HELP message content)."""
    return (
        f"{clinic_name}: text us here to ask questions or book, or call {_display(phone)}. "
        "Msg & data rates may apply. Reply STOP to opt out."
    )


def opt_out_confirmation(clinic_name: str) -> str:
    """The one confirmation an opted-out number gets."""
    return (
        f"You're unsubscribed from {clinic_name} texts and won't get more. "
        "Reply START to resubscribe."
    )


def opt_in_confirmation(clinic_name: str) -> str:
    """The confirmation a number that texted START after opting out gets."""
    return f"You're resubscribed to {clinic_name} texts. Reply STOP to opt out."


def _display(phone: str) -> str:
    """``+15125550100`` -> ``(512) 555-0100`` (national format), else as given."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
