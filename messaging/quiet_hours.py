"""Quiet hours: texts the patient did not just ask for go out only 8am-9pm their local time.

Rule (TCPA, 47 CFR 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. at
the called party's location; summarised in ``shared/reference/protocols.md``). The recipient's
zone is read from the number's area code with ``phonenumbers.timezone`` when that maps to
exactly one IANA zone (libphonenumber's geocoding data,
https://github.com/google/libphonenumber); otherwise the clinic's zone is used.

Which kinds are deferred (:data:`DEFERRED_KINDS`): texts *we* start, days or hours after the
patient last wrote - appointment ``reminder``, ``aftercare`` (a service's aftercare text
after the visit), ``review`` (the day-after review ask), ``follow_up`` (check-ins),
``waitlist`` (an opening came up), ``no_show`` (the rebook offer after a missed visit) and
``marketing``. Everything else answers something
the patient or staff just did and goes out at once: agent ``reply``, ``help``,
``opt_out_confirmation``/``opt_in_confirmation``, missed-call ``textback`` (the patient just
called), booking ``confirmation``, ``refund``, ``cancellation``, ``staff_reply`` (a person
chose to send it), ``hold_expired`` (the hold lapses minutes after the patient asked for
it, so it is part of that exchange), and ``staff``/``alert`` texts to the clinic's own staff.
A deferred text is never dropped: it is saved with ``send_after`` and the sweeper sends it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

#: Kinds held back outside the recipient's 8am-9pm (see the module docstring).
DEFERRED_KINDS = frozenset(
    {"reminder", "follow_up", "aftercare", "review", "waitlist", "marketing", "no_show"}
)
#: First and last sending hour, recipient-local: 08:00 <= t < 21:00.
START_HOUR = 8
END_HOUR = 21


@lru_cache(maxsize=4096)
def zone_for_number(phone: str) -> ZoneInfo | None:
    """The IANA zone of ``phone`` (E.164) when its area code maps to exactly one, else None.

    ``+1 512`` (Austin) -> America/Chicago; ``+1 800`` (toll free, several zones) -> None.
    """
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in phone_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    if len(zones) != 1:
        return None
    try:
        return ZoneInfo(zones[0])
    except (ZoneInfoNotFoundError, ValueError):
        return None


def recipient_zone(phone: str, clinic_timezone: str | None) -> ZoneInfo:
    """The zone quiet hours are judged in: the number's own, else the clinic's, else UTC."""
    zone = zone_for_number(phone)
    if zone is not None:
        return zone
    if clinic_timezone:
        try:
            return ZoneInfo(clinic_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def next_allowed(now: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
    """None when ``now`` is inside 8am-9pm in ``zone``; else the next 8am there (as UTC)."""
    local = now.astimezone(zone)
    if START_HOUR <= local.hour < END_HOUR:
        return None
    day = local.date() if local.hour < START_HOUR else local.date() + dt.timedelta(days=1)
    opening = dt.datetime.combine(day, dt.time(START_HOUR), tzinfo=zone)
    return opening.astimezone(dt.UTC)


def defer_until(
    kind: str, to_number: str, now: dt.datetime, clinic_timezone: str | None
) -> dt.datetime | None:
    """When a text of ``kind`` to ``to_number`` may go out: None for now, else the instant.

    Args:
        kind: the outbound kind; only :data:`DEFERRED_KINDS` are ever held back.
        to_number: the recipient, E.164.
        now: the current instant (aware).
        clinic_timezone: the sending clinic's IANA zone (fallback for ambiguous numbers).
    """
    if kind not in DEFERRED_KINDS:
        return None
    return next_allowed(now, recipient_zone(to_number, clinic_timezone))
