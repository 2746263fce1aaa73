"""Every sentence a patient can receive about a booked visit before and after it: reminders,
the answer to a reminder, aftercare and the review request.

Never ask a patient to reply CANCEL: a bare CANCEL is a carrier opt-out keyword (CTIA; see
``shared/reference/protocols.md``) and is treated as the carriers treat it. Reminders ask
for "C" to confirm and free text for anything else.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from booking.terms import clock_label


def _with(provider_name: str) -> str:
    return f" with {provider_name}" if provider_name else ""


def _day_word(start: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    """``today`` / ``tomorrow`` / the weekday, as the patient would say it, clinic-local."""
    days = (start.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return start.astimezone(zone).strftime("on %A")


def _clock(start: dt.datetime, zone: ZoneInfo) -> str:
    return clock_label(start.astimezone(zone))


def reminder(
    *,
    service_name: str,
    provider_name: str,
    start: dt.datetime,
    now: dt.datetime,
    timezone: str,
    clinic_name: str,
) -> str:
    """A reminder of a booked visit (clinic-local day and time).

    Args:
        start: the visit's start instant; ``now``: when the text is written.
        timezone: the clinic's IANA zone.
    """
    zone = ZoneInfo(timezone)
    when = f"{_day_word(start, now, zone)} at {_clock(start, zone)}"
    return (
        f"Reminder from {clinic_name}: {service_name}{_with(provider_name)} {when}. "
        "Reply C to confirm, or just text us to reschedule."
    )


def visit_confirmed(start: dt.datetime, now: dt.datetime, timezone: str) -> str:
    """The thank-you for confirming a reminded visit."""
    zone = ZoneInfo(timezone)
    return (
        f"Thanks, you're confirmed. See you {_day_word(start, now, zone)} at {_clock(start, zone)}!"
    )


def aftercare(*, clinic_name: str, service_name: str, instructions: str) -> str:
    """The clinic's aftercare text for ``service_name``, sent after the visit."""
    return (
        f"Thanks for coming in to {clinic_name}! Aftercare for your {service_name}: "
        f"{instructions.strip()} Questions? Just text us here."
    )


def review_request(*, clinic_name: str, review_url: str) -> str:
    """The day-after ask for a review."""
    return (
        f"Thanks for visiting {clinic_name}! If you have a minute, a review helps us a lot: "
        f"{review_url}"
    )
