"""The ``EMRClient`` interface, the FHIR-shaped values that cross it and its typed errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class EMRError(Exception):
    """Base of every EMR failure."""


class SlotUnavailable(EMRError):
    """The slot was taken or is no longer offered (Nextech: 409 AppointmentResponse)."""


class DuplicatePatient(EMRError):
    """A patient with these details exists already (Nextech: 409 on POST /Patient)."""


class NotCancellable(EMRError):
    """The appointment cannot be cancelled (already cancelled, past, or unknown)."""


class RateLimited(EMRError):
    """The EMR answered 429 and our retries ran out."""


class AuthError(EMRError):
    """The EMR rejected our credentials."""


class EMRUnavailable(EMRError):
    """The EMR could not be reached or answered 5xx."""


@dataclass(frozen=True)
class SlotQuery:
    """A search for free time.

    Attributes:
        service_id: our service id (adapters map it to their appointment type).
        duration_minutes: how long the appointment lasts (plus any buffer).
        provider_ids: practitioners who perform the service (our ids); empty means any.
        start: earliest start, aware. end: latest start (exclusive), aware.
    """

    service_id: str
    duration_minutes: int
    provider_ids: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Slot:
    """A free ``Slot`` (FHIR): aware start/end, our provider id, and an opaque ``token`` that
    lets the adapter book it without searching again."""

    service_id: str
    provider_id: str
    start: dt.datetime
    end: dt.datetime
    token: str


@dataclass(frozen=True)
class EMRPatient:
    """A FHIR ``Patient`` as the adapter knows it; ``id`` is the EMR's id."""

    id: str
    phone: str
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class EMRAppointment:
    """A FHIR ``Appointment``: EMR id, status (proposed | booked | cancelled | ...), times."""

    id: str
    status: str
    provider_id: str
    start: dt.datetime
    end: dt.datetime


class EMRClient(Protocol):
    """What booking needs from an EMR. Every method raises :class:`EMRError` subclasses."""

    def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free slots matching ``query``, earliest first."""
        ...

    def find_patients(self, phone: str) -> list[EMRPatient]:
        """Patients whose phone is ``phone`` (E.164)."""
        ...

    def create_patient(
        self,
        phone: str,
        given_name: str | None = None,
        family_name: str | None = None,
        email: str | None = None,
    ) -> EMRPatient:
        """Create a patient. Raises :class:`DuplicatePatient` when one exists."""
        ...

    def book(self, slot: Slot, patient_id: str) -> EMRAppointment:
        """Write a held/proposed appointment for ``slot``. Raises :class:`SlotUnavailable`."""
        ...

    def confirm(self, appointment_id: str) -> EMRAppointment:
        """Mark a proposed appointment booked."""
        ...

    def cancel(self, appointment_id: str) -> EMRAppointment:
        """Cancel. Raises :class:`NotCancellable`."""
        ...

    def no_show(self, appointment_id: str) -> EMRAppointment:
        """Mark a booked appointment whose time has passed ``noshow`` (the patient did not come).

        Raises :class:`EMRError` when it does not exist or the EMR refuses the change.
        """
        ...

    def reschedule(self, appointment_id: str, new_slot: Slot) -> EMRAppointment:
        """Book ``new_slot`` for the same patient, then cancel ``appointment_id``.

        The new appointment keeps the old one's status (proposed or booked). Raises
        :class:`SlotUnavailable` (the old appointment is left untouched) or
        :class:`NotCancellable`.
        """
        ...

    def get_appointment(self, appointment_id: str) -> EMRAppointment:
        """Read one appointment. Raises :class:`EMRError` when it does not exist."""
        ...
