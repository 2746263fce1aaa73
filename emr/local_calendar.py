"""The local calendar's plain-data side: weekly hours, the slot grid and slot tokens.

Split from :mod:`emr.local` (the adapter) so each module holds one concept. Hours are
wall-clock times in the clinic's IANA zone; :func:`interval_starts` turns a date's hours into
aware UTC instants, skipping wall times that do not exist and taking the first occurrence of
ambiguous ones (see the module docstring of :mod:`emr.local`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emr.base import SlotUnavailable
from emr.models import LocalStatus

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of an hours mapping, in ``date.weekday()`` order."""

ACTIVE_STATUSES = (LocalStatus.PROPOSED, LocalStatus.BOOKED)
"""Appointment statuses that occupy their provider's time."""

Hours = Mapping[str, Sequence[tuple[str, str]]]
"""Weekly hours: weekday key (``"mon"``..``"sun"``) -> ``[("09:00", "18:00"), ...]``, local."""

_TOKEN_KIND = "local"
_TOKEN_VERSION = 1
_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class LocalCalendar:
    """Plain-data configuration of one clinic's local calendar.

    Attributes:
        clinic_id: our clinic id; every row and token of this adapter is scoped to it.
        timezone: the clinic's IANA zone, e.g. ``"America/Chicago"``.
        provider_hours: our provider id -> weekday -> working intervals, clinic-local
            ``("HH:MM", "HH:MM")`` with start < end (``"24:00"`` is accepted as an end).
        slot_interval_minutes: grid step of offered starts, from the start of each interval.
        max_days_ahead: no opening starts later than now + this many days.
        min_notice_minutes: no opening starts earlier than now + this many minutes.
        clinic_hours: when given, an opening must also lie wholly inside one interval of the
            clinic's own hours on that day.
        closures: clinic-local date -> that day's only opening hours (an empty sequence: closed
            all day); a closure replaces the clinic's weekly hours for its date (holidays,
            short days).
        provider_time_off: our provider id -> inclusive ``(first, last)`` local dates the
            provider does not work (vacations).

    Raises:
        ValueError: unknown zone, unknown weekday, malformed time, empty or reversed interval,
            or a non-positive grid step / negative limit.
    """

    clinic_id: str
    timezone: str
    provider_hours: Mapping[str, Hours]
    slot_interval_minutes: int = 15
    max_days_ahead: int = 60
    min_notice_minutes: int = 60
    clinic_hours: Hours | None = None
    closures: Mapping[dt.date, Sequence[tuple[str, str]]] = field(default_factory=dict)
    provider_time_off: Mapping[str, Sequence[tuple[dt.date, dt.date]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        zone_of(self.timezone)
        if self.slot_interval_minutes <= 0:
            raise ValueError("slot_interval_minutes must be greater than 0")
        if self.max_days_ahead < 0 or self.min_notice_minutes < 0:
            raise ValueError("max_days_ahead and min_notice_minutes must not be negative")
        for provider_id, hours in self.provider_hours.items():
            parse_hours(hours, f"provider_hours[{provider_id!r}]")
        if self.clinic_hours is not None:
            parse_hours(self.clinic_hours, "clinic_hours")
        for day, short in self.closures.items():
            parse_hours({WEEKDAYS[day.weekday()]: short}, f"closures[{day.isoformat()}]")

    def off(self, provider_id: str, day: dt.date) -> bool:
        """True when ``provider_id`` has time off on local date ``day``."""
        return any(a <= day <= b for a, b in self.provider_time_off.get(provider_id, ()))

    def clinic_day(
        self, day: dt.date, week: Week | None, tz: ZoneInfo
    ) -> list[tuple[dt.datetime, dt.datetime]] | None:
        """The clinic's open intervals on ``day`` as UTC ``[start, end)`` pairs: the closure's
        hours when ``day`` is a closure (empty when closed all day), else the weekly ``week``
        (parsed clinic hours); None when the clinic sets no limit that day."""
        if day in self.closures:
            short = parse_hours({WEEKDAYS[day.weekday()]: self.closures[day]}, "closures")
            return day_intervals(day, short, tz)
        return None if week is None else day_intervals(day, week, tz)


Week = dict[int, list[tuple[int, int]]]
"""Parsed hours: ``date.weekday()`` -> sorted ``(start_minute, end_minute)`` from midnight."""


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone ``name``.

    Raises:
        ValueError: no such zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r}") from None


def _minute(value: str, where: str) -> int:
    hh, sep, mm = value.partition(":")
    if not (sep and len(hh) == 2 and len(mm) == 2 and hh.isdigit() and mm.isdigit()):
        raise ValueError(f"{where}: {value!r} is not a 24-hour HH:MM time")
    minute = int(hh) * 60 + int(mm)
    if int(mm) > 59 or minute > _MINUTES_PER_DAY:
        raise ValueError(f"{where}: {value!r} is not a 24-hour HH:MM time")
    return minute


def parse_hours(hours: Hours, where: str) -> Week:
    """Parse weekly hours (``{"mon": [["09:00", "18:00"]]}``) into minutes from midnight.

    Args:
        hours: weekday key -> ``(start, end)`` 24-hour ``HH:MM`` pairs.
        where: the path named in errors (``provider_hours['dr-ruiz']``).

    Returns:
        ``date.weekday()`` -> sorted ``(start_minute, end_minute)`` intervals.

    Raises:
        ValueError: an unknown weekday, a malformed time, or an interval ending before it
            starts, named by its path.
    """
    week: Week = {}
    for day, intervals in hours.items():
        if day not in WEEKDAYS:
            raise ValueError(f"{where}: unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        parsed: list[tuple[int, int]] = []
        for interval in intervals:
            start_s, end_s = interval
            start, end = _minute(start_s, f"{where}.{day}"), _minute(end_s, f"{where}.{day}")
            if start >= end:
                raise ValueError(f"{where}.{day}: {start_s}-{end_s} ends before it starts")
            parsed.append((start, end))
        week[WEEKDAYS.index(day)] = sorted(parsed)
    return week


def _local(day: dt.date, minute: int, tz: ZoneInfo) -> tuple[dt.datetime, bool]:
    """Wall time ``minute`` after local midnight of ``day`` as (aware UTC instant, exists).

    ``fold=0`` throughout: an ambiguous time is its first occurrence; a nonexistent one maps
    with the offset in force before the gap (02:30 on a spring-forward day -> 03:30 DST) and
    is reported as not existing.
    """
    naive = dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=minute)
    utc = naive.replace(tzinfo=tz).astimezone(dt.UTC)
    return utc, utc.astimezone(tz).replace(tzinfo=None) == naive


def day_intervals(day: dt.date, week: Week, tz: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The working intervals of ``day`` as UTC ``[start, end)`` pairs."""
    return [(_local(day, a, tz)[0], _local(day, b, tz)[0]) for a, b in week.get(day.weekday(), ())]


def interval_starts(
    day: dt.date, a: int, b: int, tz: ZoneInfo, step: int, duration: dt.timedelta
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Grid starts of local interval ``[a, b)`` (minutes) whose whole appointment fits.

    Returns ``(start, end)`` UTC pairs in ascending order. The grid is in wall-clock minutes
    from ``a``; nonexistent wall times are skipped and the fit is checked on real instants, so
    a 60-minute slot in a 00:00-04:00 interval on a spring-forward day may start at 01:30.
    """
    lo, lo_exists = _local(day, a, tz)
    hi, hi_exists = _local(day, b, tz)
    out: list[tuple[dt.datetime, dt.datetime]] = []
    if lo_exists and hi_exists and hi - lo == dt.timedelta(minutes=b - a):
        # No offset change inside the interval (the usual case): plain arithmetic.
        last = b - a - int(duration.total_seconds() // 60)
        for offset in range(0, last + 1, step):
            start = lo + dt.timedelta(minutes=offset)
            out.append((start, start + duration))
        return out
    for minute in range(a, b, step):
        start, exists = _local(day, minute, tz)
        if not exists or start < lo:
            continue
        end = start + duration
        if end > hi:
            break
        if out and start <= out[-1][0]:
            continue  # never offer an instant twice or out of order
        out.append((start, end))
    return out


@dataclass(frozen=True)
class _Token:
    clinic_id: str
    provider_id: str
    service_id: str
    start: dt.datetime
    end: dt.datetime


def token_prefix(clinic_id: str, provider_id: str, service_id: str) -> str:
    """The JSON head shared by every token of one provider and service (built once per query)."""
    head = [_TOKEN_KIND, _TOKEN_VERSION, clinic_id, provider_id, service_id]
    return json.dumps(head, separators=(",", ":"))[:-1]


def encode_token(prefix: str, start: dt.datetime, seconds: int) -> str:
    """base64url of ``[kind, version, clinic, provider, service, start_epoch, end_epoch]``."""
    epoch = int(start.timestamp())
    raw = f"{prefix},{epoch},{epoch + seconds}]".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_token(token: str) -> _Token:
    """Parse a slot token. Raises :class:`SlotUnavailable` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kind, version, clinic_id, provider_id, service_id, start, end = json.loads(raw)
        ok = (kind, version) == (_TOKEN_KIND, _TOKEN_VERSION) and type(start) is type(end) is int
        ok = ok and all(isinstance(v, str) for v in (clinic_id, provider_id, service_id))
        if not ok or start >= end:
            raise ValueError(token)
        start_at, end_at = (dt.datetime.fromtimestamp(t, dt.UTC) for t in (start, end))
    except (binascii.Error, ValueError, TypeError, UnicodeError, OverflowError, OSError):
        raise SlotUnavailable("malformed slot token") from None
    return _Token(clinic_id, provider_id, service_id, start_at, end_at)
