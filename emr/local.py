"""The ``local`` EMR: the built-in calendar of the embedded default.

A clinic that has not connected a real EMR (``"emr": {"kind": "local"}`` in its clinic file)
still gets real availability: each provider's weekly hours from the clinic file form a grid of
openings, and the appointments booked through this adapter (the ``emr_local_*`` tables of
:mod:`emr.models`) are subtracted from it. It behaves like a small EMR of its own: patients are
matched by phone, appointments are written ``proposed`` (a hold), turned ``booked`` on
:meth:`LocalEMR.confirm` and freed by :meth:`LocalEMR.cancel`.

Time rules. Hours are wall-clock times in the clinic's IANA zone. For every calendar date the
adapter builds local datetimes with :mod:`zoneinfo` and converts them to UTC, so openings stay at
"10:00 local" across daylight-saving changes: a wall time that does not exist (spring forward)
is never offered, and an ambiguous wall time (fall back) means its first occurrence (``fold=0``),
so no instant is offered twice. Every instant that leaves this module is aware and in UTC.

This package may not import :mod:`knowledge`; the wiring in :mod:`app` turns the clinic file
into a :class:`LocalCalendar` of plain data.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import Session

from app.clock import Clock
from app.db import Database
from emr.base import (
    DuplicatePatient,
    EMRAppointment,
    EMRError,
    EMRPatient,
    NotCancellable,
    Slot,
    SlotQuery,
    SlotUnavailable,
)
from emr.models import LocalAppointment, LocalPatient

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of an hours mapping, in ``date.weekday()`` order."""

ACTIVE_STATUSES = ("proposed", "booked")
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

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if self.slot_interval_minutes <= 0:
            raise ValueError("slot_interval_minutes must be greater than 0")
        if self.max_days_ahead < 0 or self.min_notice_minutes < 0:
            raise ValueError("max_days_ahead and min_notice_minutes must not be negative")
        for provider_id, hours in self.provider_hours.items():
            _parse_hours(hours, f"provider_hours[{provider_id!r}]")
        if self.clinic_hours is not None:
            _parse_hours(self.clinic_hours, "clinic_hours")


_Week = dict[int, list[tuple[int, int]]]
"""Parsed hours: ``date.weekday()`` -> sorted ``(start_minute, end_minute)`` from midnight."""


def _zone(name: str) -> ZoneInfo:
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


def _parse_hours(hours: Hours, where: str) -> _Week:
    week: _Week = {}
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


def _day_intervals(
    day: dt.date, week: _Week, tz: ZoneInfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The working intervals of ``day`` as UTC ``[start, end)`` pairs."""
    return [(_local(day, a, tz)[0], _local(day, b, tz)[0]) for a, b in week.get(day.weekday(), ())]


def _interval_starts(
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


def _token_prefix(clinic_id: str, provider_id: str, service_id: str) -> str:
    """The JSON head shared by every token of one provider and service (built once per query)."""
    head = [_TOKEN_KIND, _TOKEN_VERSION, clinic_id, provider_id, service_id]
    return json.dumps(head, separators=(",", ":"))[:-1]


def _encode_token(prefix: str, start: dt.datetime, seconds: int) -> str:
    """base64url of ``[kind, version, clinic, provider, service, start_epoch, end_epoch]``."""
    epoch = int(start.timestamp())
    raw = f"{prefix},{epoch},{epoch + seconds}]".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_token(token: str) -> _Token:
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


class LocalEMR:
    """The built-in calendar, implementing :class:`emr.base.EMRClient` on our own tables.

    Args:
        db: the shared :class:`app.db.Database`; each method is one unit of work.
        calendar: the clinic's :class:`LocalCalendar`.
        clock: where "now" comes from (a ``FrozenClock`` in tests and scenarios).

    Concurrency: writers that could conflict (two bookings for one provider, two patients with
    one phone) are serialised: SQLite transactions begin ``IMMEDIATE``; on Postgres a
    transaction-scoped advisory lock is taken per provider / per phone before the check.
    """

    def __init__(self, db: Database, calendar: LocalCalendar, clock: Clock) -> None:
        self.db = db
        self.calendar = calendar
        self.clock = clock
        self._tz = _zone(calendar.timezone)
        self._provider_weeks: dict[str, _Week] = {
            pid: _parse_hours(hours, f"provider_hours[{pid!r}]")
            for pid, hours in calendar.provider_hours.items()
        }
        self._clinic_week: _Week | None = None
        if calendar.clinic_hours is not None:
            self._clinic_week = _parse_hours(calendar.clinic_hours, "clinic_hours")

    def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free openings for ``query``, sorted by start then provider id.

        An opening starts on its provider's grid (every ``slot_interval_minutes`` from the start
        of a working interval), lasts ``query.duration_minutes`` wholly inside that interval
        (and inside clinic hours when configured), starts in ``[query.start, query.end)``, no
        earlier than now + ``min_notice_minutes`` and no later than now + ``max_days_ahead``
        days, and overlaps no proposed or booked appointment of that provider. Providers are
        ``query.provider_ids`` (all calendar providers when empty); ids without hours in the
        calendar have no openings. Busy time is read with one query for the whole window.

        Args:
            query: the search; ``start``/``end`` must be aware.

        Returns:
            ``Slot`` values with aware UTC ``start``/``end`` and an opaque ``token`` for
            :meth:`book`.

        Raises:
            ValueError: ``duration_minutes`` is not positive or ``start``/``end`` is naive.
        """
        if query.duration_minutes <= 0:
            raise ValueError("duration_minutes must be greater than 0")
        if query.start.tzinfo is None or query.end.tzinfo is None:
            raise ValueError("SlotQuery.start and .end must be timezone-aware")
        cal = self.calendar
        now = self.clock.now()
        lo = max(query.start.astimezone(dt.UTC), now + dt.timedelta(minutes=cal.min_notice_minutes))
        horizon = now + dt.timedelta(days=cal.max_days_ahead)
        hi = query.end.astimezone(dt.UTC)  # exclusive bound on starts
        wanted = set(query.provider_ids or self._provider_weeks)
        providers = sorted(wanted & self._provider_weeks.keys())
        if lo >= hi or lo > horizon or not providers:
            return []
        duration = dt.timedelta(minutes=query.duration_minutes)
        seconds = query.duration_minutes * 60
        busy = self._busy(providers, lo, min(hi, horizon) + duration)

        first_day = lo.astimezone(self._tz).date()
        last_day = min(hi, horizon).astimezone(self._tz).date()
        days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
        clinic_days = (
            None
            if self._clinic_week is None
            else {d: _day_intervals(d, self._clinic_week, self._tz) for d in days}
        )
        step = cal.slot_interval_minutes
        slots: list[Slot] = []
        for provider_id in providers:
            week = self._provider_weeks[provider_id]
            busy_starts, busy_ends = busy.get(provider_id, ([], []))
            prefix = _token_prefix(cal.clinic_id, provider_id, query.service_id)
            for day in days:
                for a, b in week.get(day.weekday(), ()):
                    for start, end in _interval_starts(day, a, b, self._tz, step, duration):
                        if start < lo or start >= hi or start > horizon:
                            continue
                        if clinic_days is not None and not any(
                            cs <= start and end <= ce for cs, ce in clinic_days[day]
                        ):
                            continue
                        i = bisect.bisect_left(busy_starts, end)
                        if i and busy_ends[i - 1] > start:
                            continue
                        token = _encode_token(prefix, start, seconds)
                        slots.append(Slot(query.service_id, provider_id, start, end, token))
        slots.sort(key=lambda s: (s.start, s.provider_id))
        return slots

    def _busy(
        self, providers: Sequence[str], lo: dt.datetime, hi: dt.datetime
    ) -> dict[str, tuple[list[dt.datetime], list[dt.datetime]]]:
        """Active appointments overlapping ``[lo, hi)``, merged per provider.

        Returns provider id -> (starts, ends) of disjoint sorted busy intervals, so an opening
        ``[s, e)`` is taken iff, for ``i = bisect_left(starts, e)``, ``i > 0`` and
        ``ends[i - 1] > s``.
        """
        stmt = (
            select(LocalAppointment.provider_id, LocalAppointment.start_at, LocalAppointment.end_at)
            .where(*self._overlapping(providers, lo, hi))
            .order_by(LocalAppointment.provider_id, LocalAppointment.start_at)
        )
        with self.db.session() as session:
            rows = session.execute(stmt).all()
        merged: dict[str, tuple[list[dt.datetime], list[dt.datetime]]] = {}
        for provider_id, start, end in rows:
            starts, ends = merged.setdefault(provider_id, ([], []))
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        return merged

    def find_patients(self, phone: str) -> list[EMRPatient]:
        """Patients of this clinic whose phone is ``phone`` (E.164), oldest first."""
        with self.db.session() as session:
            rows = session.scalars(
                select(LocalPatient)
                .where(
                    LocalPatient.clinic_id == self.calendar.clinic_id, LocalPatient.phone == phone
                )
                .order_by(LocalPatient.id)
            ).all()
            return [_patient(row) for row in rows]

    def create_patient(
        self,
        phone: str,
        given_name: str | None = None,
        family_name: str | None = None,
        email: str | None = None,
    ) -> EMRPatient:
        """Create a patient of this clinic.

        Args:
            phone: E.164 number, the identity the local calendar matches on.
            given_name, family_name, email: optional details.

        Returns:
            The new :class:`EMRPatient`; its ``id`` is the row id as a string.

        Raises:
            DuplicatePatient: this clinic already has a patient with ``phone``.
        """
        with self.db.session() as session:
            self._lock(session, "phone", phone)
            exists = session.scalar(
                select(LocalPatient.id)
                .where(
                    LocalPatient.clinic_id == self.calendar.clinic_id,
                    LocalPatient.phone == phone,
                )
                .limit(1)
            )
            if exists is not None:
                raise DuplicatePatient(f"patient {exists} already has phone {phone}")
            row = LocalPatient(
                clinic_id=self.calendar.clinic_id,
                phone=phone,
                given_name=given_name,
                family_name=family_name,
                email=email,
            )
            session.add(row)
            session.flush()
            return _patient(row)

    def book(self, slot: Slot, patient_id: str) -> EMRAppointment:
        """Write a ``proposed`` appointment (a hold) for ``slot``, from its token alone.

        Args:
            slot: a value returned by :meth:`find_slots` of this clinic's calendar.
            patient_id: id of a patient of this clinic (from :meth:`create_patient` or
                :meth:`find_patients`).

        Returns:
            The appointment, status ``"proposed"``.

        Raises:
            SlotUnavailable: the token is malformed, from another clinic, does not match
                ``slot``, names a provider no longer in the calendar, starts in the past, or
                the time now overlaps a proposed/booked appointment of that provider
                (re-checked in the writing transaction).
            EMRError: ``patient_id`` is not a patient of this clinic.
        """
        tok = _decode_token(slot.token)
        if tok.clinic_id != self.calendar.clinic_id:
            raise SlotUnavailable("slot token belongs to another calendar")
        claimed = (slot.provider_id, slot.service_id, slot.start, slot.end)
        if (tok.provider_id, tok.service_id, tok.start, tok.end) != claimed:
            raise SlotUnavailable("slot token does not match the slot")
        if tok.provider_id not in self._provider_weeks:
            raise SlotUnavailable(f"provider {tok.provider_id!r} is not in the calendar")
        if tok.start <= self.clock.now():
            raise SlotUnavailable("slot has already started")
        pid = _row_id(patient_id)
        with self.db.session() as session:
            patient = session.get(LocalPatient, pid) if pid is not None else None
            if patient is None or patient.clinic_id != self.calendar.clinic_id:
                raise EMRError(f"no patient {patient_id!r} in this calendar")
            self._lock(session, "provider", tok.provider_id)
            overlap = self._overlapping([tok.provider_id], tok.start, tok.end)
            taken = session.scalar(select(LocalAppointment.id).where(*overlap).limit(1))
            if taken is not None:
                raise SlotUnavailable(f"slot overlaps appointment {taken}")
            row = LocalAppointment(
                clinic_id=self.calendar.clinic_id,
                provider_id=tok.provider_id,
                patient_id=patient.id,
                service_id=tok.service_id,
                start_at=tok.start,
                end_at=tok.end,
                status="proposed",
            )
            session.add(row)
            session.flush()
            return _appointment(row)

    def confirm(self, appointment_id: str) -> EMRAppointment:
        """Mark a proposed appointment ``booked``; confirming a booked one returns it unchanged.

        Raises:
            SlotUnavailable: the appointment was cancelled (its time is no longer held).
            EMRError: no such appointment in this calendar.
        """
        with self.db.session() as session:
            row = self._load(session, appointment_id, for_update=True)
            if row is None:
                raise EMRError(f"no appointment {appointment_id!r}")
            if row.status == "cancelled":
                raise SlotUnavailable(f"appointment {appointment_id} was cancelled")
            row.status = "booked"
            return _appointment(row)

    def cancel(self, appointment_id: str) -> EMRAppointment:
        """Cancel an appointment, freeing its time; returns it with status ``"cancelled"``.

        A proposed appointment (a hold) can always be released; a booked one only before it
        starts.

        Raises:
            NotCancellable: unknown id, already cancelled, or a booked appointment that has
                already started.
        """
        with self.db.session() as session:
            row = self._load(session, appointment_id, for_update=True)
            if row is None:
                raise NotCancellable(f"no appointment {appointment_id!r}")
            if row.status == "cancelled":
                raise NotCancellable(f"appointment {appointment_id} is already cancelled")
            if row.status == "booked" and row.start_at <= self.clock.now():
                raise NotCancellable(f"appointment {appointment_id} has already started")
            row.status = "cancelled"
            return _appointment(row)

    def get_appointment(self, appointment_id: str) -> EMRAppointment:
        """Read one appointment. Raises :class:`EMRError` when this calendar has no such id."""
        with self.db.session() as session:
            row = self._load(session, appointment_id, for_update=False)
            if row is None:
                raise EMRError(f"no appointment {appointment_id!r}")
            return _appointment(row)

    def _overlapping(
        self, providers: Sequence[str], lo: dt.datetime, hi: dt.datetime
    ) -> list[ColumnElement[bool]]:
        """Filter: active appointments of ``providers`` (this clinic) overlapping ``[lo, hi)``."""
        return [
            LocalAppointment.clinic_id == self.calendar.clinic_id,
            LocalAppointment.provider_id.in_(providers),
            LocalAppointment.status.in_(ACTIVE_STATUSES),
            LocalAppointment.start_at < hi,
            LocalAppointment.end_at > lo,
        ]

    def _load(
        self, session: Session, appointment_id: str, for_update: bool
    ) -> LocalAppointment | None:
        pid = _row_id(appointment_id)
        if pid is None:
            return None
        stmt = select(LocalAppointment).where(
            LocalAppointment.id == pid, LocalAppointment.clinic_id == self.calendar.clinic_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return session.scalar(stmt)

    def _lock(self, session: Session, kind: str, key: str) -> None:
        """Serialise conflicting writers on Postgres (SQLite's ``BEGIN IMMEDIATE`` already does)."""
        if not self.db.is_postgres:
            return
        digest = hashlib.sha256(f"emr.local:{self.calendar.clinic_id}:{kind}:{key}".encode())
        lock_key = int.from_bytes(digest.digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})


def _row_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _patient(row: LocalPatient) -> EMRPatient:
    return EMRPatient(str(row.id), row.phone, row.given_name, row.family_name, row.email)


def _appointment(row: LocalAppointment) -> EMRAppointment:
    start, end = row.start_at.astimezone(dt.UTC), row.end_at.astimezone(dt.UTC)
    return EMRAppointment(str(row.id), row.status, row.provider_id, start, end)
