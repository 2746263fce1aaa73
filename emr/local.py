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

import bisect
import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping, Sequence

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
from emr.local_calendar import (  # noqa: F401 - LocalCalendar, WEEKDAYS, Hours re-exported
    ACTIVE_STATUSES,
    WEEKDAYS,
    Hours,
    LocalCalendar,
    Week,
    decode_token,
    encode_token,
    interval_starts,
    parse_hours,
    token_prefix,
    zone_of,
)
from emr.models import LocalAppointment, LocalPatient, LocalStatus


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
        self._tz = zone_of(calendar.timezone)
        self._provider_weeks: dict[str, Week] = {
            pid: parse_hours(hours, f"provider_hours[{pid!r}]")
            for pid, hours in calendar.provider_hours.items()
        }
        self._clinic_week: Week | None = None
        if calendar.clinic_hours is not None:
            self._clinic_week = parse_hours(calendar.clinic_hours, "clinic_hours")

    def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free openings for ``query``, sorted by start then provider id.

        An opening starts on its provider's grid (every ``slot_interval_minutes`` from the start
        of a working interval), lasts ``query.duration_minutes`` wholly inside that interval
        (and inside clinic hours when configured, or a closure's short hours; never on a
        closed day or the provider's time off), starts in ``[query.start, query.end)``, no
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
        busy = self._busy(providers, lo, min(hi, horizon) + duration)
        first_day = lo.astimezone(self._tz).date()
        last_day = min(hi, horizon).astimezone(self._tz).date()
        days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
        clinic_days = {d: cal.clinic_day(d, self._clinic_week, self._tz) for d in days}
        slots = [
            slot
            for provider_id in providers
            for slot in self._provider_slots(
                query,
                provider_id,
                days,
                (lo, hi, horizon),
                busy.get(provider_id, ([], [])),
                clinic_days,
            )
        ]
        slots.sort(key=lambda s: (s.start, s.provider_id))
        return slots

    def _provider_slots(
        self,
        query: SlotQuery,
        provider_id: str,
        days: Sequence[dt.date],
        window: tuple[dt.datetime, dt.datetime, dt.datetime],
        busy: tuple[list[dt.datetime], list[dt.datetime]],
        clinic_days: Mapping[dt.date, Sequence[tuple[dt.datetime, dt.datetime]] | None],
    ) -> Iterator[Slot]:
        """One provider's openings on ``days`` starting in ``window`` (``[lo, hi)`` and no later
        than ``horizon``): on the provider's grid, inside clinic hours (or a closure's short
        hours) when known, never on the provider's time off, clear of ``busy`` (see
        :meth:`_busy`)."""
        lo, hi, horizon = window
        busy_starts, busy_ends = busy
        duration = dt.timedelta(minutes=query.duration_minutes)
        prefix = token_prefix(self.calendar.clinic_id, provider_id, query.service_id)
        week = self._provider_weeks[provider_id]
        for day in days:
            if self.calendar.off(provider_id, day):
                continue
            open_hours = clinic_days.get(day)
            for a, b in week.get(day.weekday(), ()):
                step = self.calendar.slot_interval_minutes
                for start, end in interval_starts(day, a, b, self._tz, step, duration):
                    if start < lo or start >= hi or start > horizon:
                        continue
                    if open_hours is not None and not any(
                        cs <= start and end <= ce for cs, ce in open_hours
                    ):
                        continue
                    i = bisect.bisect_left(busy_starts, end)
                    if i and busy_ends[i - 1] > start:
                        continue
                    token = encode_token(prefix, start, query.duration_minutes * 60)
                    yield Slot(query.service_id, provider_id, start, end, token)

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
        tok = decode_token(slot.token)
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
                status=LocalStatus.PROPOSED,
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
            if row.status == LocalStatus.CANCELLED:
                raise SlotUnavailable(f"appointment {appointment_id} was cancelled")
            row.status = LocalStatus.BOOKED
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
            if row.status == LocalStatus.CANCELLED:
                raise NotCancellable(f"appointment {appointment_id} is already cancelled")
            if row.status == LocalStatus.BOOKED and row.start_at <= self.clock.now():
                raise NotCancellable(f"appointment {appointment_id} has already started")
            row.status = LocalStatus.CANCELLED
            return _appointment(row)

    def no_show(self, appointment_id: str) -> EMRAppointment:
        """Mark a booked appointment that has started ``noshow``; one already so is returned
        unchanged.

        Raises:
            EMRError: unknown id, not booked, or not yet started.
        """
        with self.db.session() as session:
            row = self._load(session, appointment_id, for_update=True)
            if row is None:
                raise EMRError(f"no appointment {appointment_id!r}")
            if row.status == LocalStatus.NOSHOW:
                return _appointment(row)
            if row.status != LocalStatus.BOOKED or row.start_at > self.clock.now():
                raise EMRError(f"appointment {appointment_id} is not a past booked one")
            row.status = LocalStatus.NOSHOW
            return _appointment(row)

    def reschedule(self, appointment_id: str, new_slot: Slot) -> EMRAppointment:
        """Book ``new_slot`` for the same patient first, then cancel the old appointment.

        Raises:
            NotCancellable: the old appointment is unknown or not active.
            SlotUnavailable: the new slot is taken (the old appointment is untouched).
        """
        with self.db.session() as session:
            old = self._load(session, appointment_id, for_update=False)
            if old is None or old.status not in ACTIVE_STATUSES:
                raise NotCancellable(f"appointment {appointment_id!r} is not active")
            patient_id, was_booked = str(old.patient_id), old.status == LocalStatus.BOOKED
        new = self.book(new_slot, patient_id)
        if was_booked:
            new = self.confirm(new.id)
        self.cancel(appointment_id)
        return new

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
