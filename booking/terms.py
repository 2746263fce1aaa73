"""Plain values the booking package needs from the clinic's records.

``booking`` does not read the clinic file itself (DESIGN.md §1: it imports only ``emr``,
``payments`` and ``messaging``); the agent and the app build these from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ReminderPlan:
    """Which texts a booked visit gets, from the clinic file's ``clinic.reminders``.

    Attributes:
        confirm: text a confirmation when a visit is booked.
        hours_before: reminders this many hours before the start (none already past).
        aftercare_hours: hours after the visit's end that a service's aftercare text goes.
        aftercare_service_ids: services that have an aftercare text.
        review: ask for a review (the clinic has a review link).
        review_hour: clinic-local hour of the day after the visit the review ask is due.
        review_every_days: at most one review ask per patient in this many days.
    """

    confirm: bool = True
    hours_before: tuple[int, ...] = (24, 2)
    aftercare_hours: int = 2
    aftercare_service_ids: frozenset[str] = frozenset()
    review: bool = False
    review_hour: int = 10
    review_every_days: int = 90


@dataclass(frozen=True)
class ClinicTerms:
    """A clinic as booking sees it.

    Attributes:
        clinic_id, name, timezone (IANA), phone (E.164, the number texts come from).
        hold_minutes: how long an unpaid hold lasts.
        cancellation_notice_hours: cancel earlier than this before the start to be refunded.
        currency: ISO 4217 code of deposits.
        staff_alert_phone: where staff texts go (None: no staff texts).
        sms_carrier: the carrier the clinic's texts leave through.
        closures: local date -> the only hours open that day as ``(start, end)`` minutes from
            local midnight (empty: closed all day); holidays and short days.
        time_off: provider id -> inclusive ``(first, last)`` local dates off.
        reminders: the texts a booked visit gets (:class:`ReminderPlan`).
    """

    clinic_id: str
    name: str
    timezone: str
    phone: str
    hold_minutes: int = 15
    cancellation_notice_hours: int = 24
    currency: str = "USD"
    staff_alert_phone: str | None = None
    sms_carrier: str = "recording"
    closures: Mapping[dt.date, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    time_off: Mapping[str, tuple[tuple[dt.date, dt.date], ...]] = field(default_factory=dict)
    reminders: ReminderPlan = field(default_factory=ReminderPlan)

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's zone."""
        return ZoneInfo(self.timezone)

    def open_for(self, provider_id: str, start_local: dt.datetime, end_local: dt.datetime) -> bool:
        """False when a visit of ``provider_id`` from ``start_local`` to ``end_local``
        (clinic-local) falls on the provider's time off, a closed day, or outside a short
        day's hours; True otherwise (weekly hours are the EMR's to enforce)."""
        day = start_local.date()
        if any(a <= day <= b for a, b in self.time_off.get(provider_id, ())):
            return False
        return not self.closed_at(start_local, end_local)

    def closed_at(self, start_local: dt.datetime, end_local: dt.datetime) -> bool:
        """True when a visit from ``start_local`` to ``end_local`` (clinic-local) falls on a
        day the clinic is closed, or outside a short day's hours."""
        day = start_local.date()
        if day not in self.closures:
            return False
        start = start_local.hour * 60 + start_local.minute
        end = start + int((end_local - start_local).total_seconds() // 60)
        return not any(a <= start and end <= b for a, b in self.closures[day])

    def closed_all_day(self, day: dt.date) -> bool:
        """True when ``day`` (clinic-local) is a whole-day closure."""
        return self.closures.get(day) == ()

    def away(
        self, provider_id: str, first: dt.date, last: dt.date
    ) -> tuple[dt.date, dt.date] | None:
        """The provider's time off that covers every day ``first``..``last``, if any."""
        return next(
            ((a, b) for a, b in self.time_off.get(provider_id, ()) if a <= first and last <= b),
            None,
        )


@dataclass(frozen=True)
class ServiceTerms:
    """A service as booking sees it: durations in minutes, deposit in cents (0 = none)."""

    service_id: str
    name: str
    duration_minutes: int
    provider_ids: tuple[str, ...]
    deposit_cents: int
    buffer_minutes: int = 0


@dataclass(frozen=True)
class SlotFilter:
    """Which openings a patient wants, in clinic-local terms.

    Attributes:
        date_from, date_to: inclusive local dates (None: from today / up to the clinic's limit).
        weekdays: allowed weekdays, 0 = Monday (empty: any).
        after: earliest local start time (inclusive). before: latest (exclusive).
        provider_ids: only these providers (empty: anyone who performs the service).
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    weekdays: frozenset[int] = frozenset()
    after: dt.time | None = None
    before: dt.time | None = None
    provider_ids: tuple[str, ...] = ()

    def accepts(self, start_local: dt.datetime) -> bool:
        """True when a clinic-local start time satisfies every filter."""
        day = start_local.date()
        if self.date_from and day < self.date_from:
            return False
        if self.date_to and day > self.date_to:
            return False
        if self.weekdays and start_local.weekday() not in self.weekdays:
            return False
        t = start_local.time().replace(tzinfo=None)
        if self.after and t < self.after:
            return False
        return not (self.before and t >= self.before)


def clock_label(local: dt.datetime) -> str:
    """``4:30 PM``: the wall-clock time of an aware local instant."""
    return f"{local.strftime('%I').lstrip('0')}:{local.strftime('%M %p')}"


def format_when(start: dt.datetime, timezone: str) -> str:
    """``Thu Nov 26 at 4:30 PM CST``: a start instant in the clinic's zone, with abbreviation."""
    local = start.astimezone(ZoneInfo(timezone))
    clock = clock_label(local)
    return f"{local.strftime('%a %b')} {local.day} at {clock} {local.strftime('%Z')}"
