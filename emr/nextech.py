"""The ``nextech`` EMR: :class:`emr.base.EMRClient` on the Nextech Select API (FHIR STU3).

Sources: NextechSystems/selectapidocspub ``source/includes/_gettingstarted.md`` (auth, headers,
paging, rate limit), ``_slot.md``, ``_appointment.md``, ``_patient.md``; FHIR STU3 3.0.1.
Transport (tokens, retries, 20 req/s) lives in :mod:`emr.nextech_http`, payload shapes in
:mod:`emr.nextech_fhir`; this module holds the booking semantics.

Configuration. Secrets come from the environment, ids from the clinic file (DESIGN.md 4.1):

=========================  ==================================================================
``NEXTECH_CLIENT_ID``      application (client) id issued by Nextech — required
``NEXTECH_USERNAME``       API user — required
``NEXTECH_PASSWORD``       its password — required
``NEXTECH_CLIENT_SECRET``  only for API users whose app registration has one — optional
``NEXTECH_BASE_URL``       API root, default ``https://select.nextech-api.com/api``
``NEXTECH_TOKEN_URL``      token endpoint, default the Microsoft ``nextech-api.com`` tenant
``NEXTECH_VALIDATE``       ``1`` validates every body we send with ``fhir.resources`` STU3
=========================  ==================================================================

Clinic file: ``"emr": {"kind": "nextech", "practice_id": "...", "location_id": "5"}`` plus
optional ``"schedule": "hold" | "book"`` (default ``hold``) and ``"prospect_email"``; each
provider's ``emr_id`` is its Nextech practitioner id; each service's ``emr`` holds
``appointment_type_id`` (and optionally ``appointment_purpose_id``).

New patients: *prospects*. ``POST /Patient`` needs an official name, email, phone, birth date
and postal code, which an SMS conversation rarely has. :meth:`NextechEMR.create_patient`
therefore makes no request unless all of them are given: it returns a *prospect id*
(``"prospect:..."``, the known details encoded), and :meth:`NextechEMR.book` sends those
details as a ``contained`` Patient in ``POST /Appointment/`` - Nextech then creates the
prospect and links it to the appointment (and deletes it again if the booking fails).
Nextech wants a given and family name and an email for a prospect: unknown names are sent as
``"SMS"`` / ``"Patient"`` (staff fix them at check-in; the phone identifies the person) and an
unknown email falls back to the clinic's ``prospect_email``; with neither, booking a prospect
raises :class:`EMRError` before any request, rather than being refused by Nextech as a
misleading 409.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

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
from emr.nextech_config import NextechConfig, ServiceMapping, config_from_env
from emr.nextech_fhir import (
    EXT_PURPOSE,
    EXT_TYPE,
    Json,
    Prospect,
    SlotRef,
    appointment_body,
    bundle_resources,
    conflict_reason,
    decode_prospect,
    decode_slot_token,
    encode_prospect,
    encode_slot_token,
    extension_ref,
    fhir_instant,
    next_link,
    parse_appointment,
    parse_instant,
    parse_patient,
    participant_ids,
    patient_body,
    phone_digits,
    slot_actors,
    status_body,
    validate_stu3,
)
from emr.nextech_http import Credentials, NextechHttp, RateLimiter, Wait
from emr.ratelimit import Limiter, SharedRateLimiter, shared_key

log = logging.getLogger(__name__)

__all__ = ["NextechConfig", "NextechEMR", "ServiceMapping", "nextech_from_env", "shared_limiter"]

MAX_WINDOW = dt.timedelta(days=60)
"""Nextech refuses Slot searches spanning more than 60 days."""
PAGE_SIZE = 50
MAX_PAGES = 100
"""Safety stop when following ``next`` links."""
PLACEHOLDER_GIVEN = "SMS"
PLACEHOLDER_FAMILY = "Patient"


class NextechEMR:
    """:class:`emr.base.EMRClient` for Nextech Select, plus :meth:`reschedule`.

    Args:
        config: the clinic's :class:`NextechConfig`.
        http / wait / sleep / clock: injectable transport pieces (see
            :class:`emr.nextech_http.NextechHttp`); tests pass a respx-routed client and
            ``tenacity.wait_none()``.
    """

    def __init__(
        self,
        config: NextechConfig,
        *,
        http: httpx.Client | None = None,
        wait: Wait | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        limiter: Limiter | None = None,
    ) -> None:
        self.config = config
        self.transport = NextechHttp(
            Credentials(
                config.client_id,
                config.username,
                config.password,
                config.client_secret,
                config.resource,
            ),
            config.practice_id,
            base_url=config.base_url,
            token_url=config.token_url,
            http=http,
            timeout_seconds=config.timeout_seconds,
            max_attempts=config.max_attempts,
            max_requests_per_second=config.max_requests_per_second,
            wait=wait,
            sleep=sleep,
            clock=clock,
            limiter=limiter,
        )
        self._ours: dict[str, str] = {v: k for k, v in config.providers.items()}

    def close(self) -> None:
        """Release the HTTP client."""
        self.transport.close()

    # --- slots ----------------------------------------------------------------------------
    def find_slots(self, query: SlotQuery) -> list[Slot]:
        """Free Nextech slots for ``query``, sorted by start then provider id.

        One ``GET /Slot`` search per <=60-day piece of ``[query.start, query.end)`` with
        ``start=ge..&start=lt..``, ``schedule.actor=location/{id}`` and
        ``schedule.actor=practitioner/a,practitioner/b`` (comma = OR), the service's
        ``appointment-type`` (or ``slot-length`` = duration when it has none) and
        ``appointment-purpose``, ``_count=50``; Bundle ``next`` links are followed. Slots of
        practitioners that are not ours, or starting outside the window, are dropped.

        Raises:
            ValueError: ``query.start`` or ``query.end`` is naive.
            EMRError: Nextech failed or answered something unreadable.
        """
        if query.start.tzinfo is None or query.end.tzinfo is None:
            raise ValueError("SlotQuery.start and .end must be aware")
        mapping = self.config.services.get(query.service_id, ServiceMapping())
        wanted = query.provider_ids or tuple(self.config.providers)
        practitioners = [self.config.providers[p] for p in wanted if self.config.providers.get(p)]
        if not practitioners or query.end <= query.start:
            return []
        allowed = set(practitioners)
        found: dict[tuple[str, dt.datetime], Slot] = {}
        for lo, hi in _chunks(query.start, query.end, MAX_WINDOW):
            params: list[tuple[str, str]] = [
                ("start", f"ge{fhir_instant(lo)}"),
                ("start", f"lt{fhir_instant(hi)}"),
                ("schedule.actor", f"location/{self.config.location_id}"),
                ("schedule.actor", ",".join(f"practitioner/{p}" for p in practitioners)),
                ("_count", str(PAGE_SIZE)),
            ]
            if mapping.appointment_type_id:
                params.append(
                    ("appointment-type", f"appointment-type/{mapping.appointment_type_id}")
                )
            else:
                params.append(("slot-length", str(query.duration_minutes)))
            if mapping.appointment_purpose_id:
                purpose = mapping.appointment_purpose_id
                params.append(("appointment-purpose", f"appointment-purpose/{purpose}"))
            for resource in self._search("/Slot", params, "Slot"):
                slot = self._slot(resource, query, mapping, allowed)
                if slot is not None:
                    found.setdefault((slot.provider_id, slot.start), slot)
        return sorted(found.values(), key=lambda s: (s.start, s.provider_id))

    def _slot(
        self, resource: Json, query: SlotQuery, mapping: ServiceMapping, allowed: set[str]
    ) -> Slot | None:
        if resource.get("status", "free") != "free":
            return None
        practitioner, location = slot_actors(resource)
        if practitioner not in allowed or practitioner is None:
            return None
        try:
            start, end = parse_instant(resource.get("start")), parse_instant(resource.get("end"))
        except EMRError:
            log.warning("nextech: skipping a Slot with a malformed start/end")
            return None
        if not query.start <= start < query.end or end <= start:
            return None
        ref = SlotRef(
            practice_id=self.config.practice_id,
            service_id=query.service_id,
            provider_id=self._ours[practitioner],
            start=str(resource["start"]),
            end=str(resource["end"]),
            practitioner_id=practitioner,
            location_id=location or self.config.location_id,
            type_id=mapping.appointment_type_id or extension_ref(resource, EXT_TYPE),
            purpose_id=mapping.appointment_purpose_id or extension_ref(resource, EXT_PURPOSE),
        )
        return Slot(query.service_id, ref.provider_id, start, end, encode_slot_token(ref))

    # --- patients ---------------------------------------------------------------------------
    def find_patients(self, phone: str) -> list[EMRPatient]:
        """Patients whose phone is ``phone``: ``GET /Patient?phone={national digits}``.

        Nextech matches the phone against any of the patient's numbers; results whose numbers
        do not end in the same digits are dropped, so a prefix match never picks a stranger.
        """
        digits = phone_digits(phone)
        out = []
        for resource in self._search("/Patient", [("phone", digits)], "Patient"):
            numbers = [
                phone_digits(str(t.get("value", "")))
                for t in resource.get("telecom") or ()
                if t.get("system") in ("phone", "sms")
            ]
            if numbers and not any(n and n[-10:] == digits[-10:] for n in numbers):
                continue
            patient = parse_patient(resource)
            out.append(EMRPatient(patient.id, phone, *_names(patient), patient.email))
        return out

    def create_patient(
        self,
        phone: str,
        given_name: str | None = None,
        family_name: str | None = None,
        email: str | None = None,
        *,
        birth_date: dt.date | None = None,
        postal_code: str | None = None,
    ) -> EMRPatient:
        """A Nextech patient (all details known) or a prospect (see the module docstring).

        Returns:
            With names, email, ``birth_date`` and ``postal_code``: the patient made by
            ``POST /Patient``. Otherwise a prospect whose id starts ``"prospect:"``; no request
            is made and Nextech creates the prospect when it is booked.

        Raises:
            DuplicatePatient: Nextech answered 409 to ``POST /Patient``.
        """
        prospect = Prospect(phone, given_name, family_name, email)
        if not (given_name and family_name and email and birth_date and postal_code):
            return EMRPatient(encode_prospect(prospect), phone, given_name, family_name, email)
        body = patient_body(prospect, birth_date=birth_date, postal_code=postal_code)
        self._check(body)
        response = self.transport.request("POST", "/Patient", json=body, idempotent=False)
        if response.status_code == 409:
            raise DuplicatePatient(conflict_reason(_json(response)))
        if response.status_code not in (200, 201):
            raise EMRError(f"Nextech POST /Patient answered {response.status_code}")
        answer = _json(response)
        pid = answer.get("id") if isinstance(answer, dict) else None
        pid = pid or response.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
        if not pid:
            raise EMRError("Nextech created a patient but returned no id")
        return EMRPatient(str(pid), phone, given_name, family_name, email)

    # --- appointments -----------------------------------------------------------------------
    def book(self, slot: Slot, patient_id: str) -> EMRAppointment:
        """``POST /Appointment/`` with status ``proposed`` and appointment-schedule ``hold``.

        Raises:
            SlotUnavailable: the token is not one of this practice's or does not match
                ``slot``, or Nextech answered 409 (its AppointmentResponse comment is the
                message).
            EMRError: a prospect with no email and no ``prospect_email`` configured, or
                another refusal (400/404/422).
        """
        ref = decode_slot_token(slot.token)
        if ref.practice_id != self.config.practice_id:
            raise SlotUnavailable("slot token belongs to another Nextech practice")
        claimed = (slot.service_id, slot.provider_id, slot.start, slot.end)
        if (ref.service_id, ref.provider_id, parse_instant(ref.start), parse_instant(ref.end)) != (
            claimed
        ):
            raise SlotUnavailable("slot token does not match the slot")
        prospect = decode_prospect(patient_id)
        contained = None
        if prospect is not None:
            email = prospect.email or self.config.prospect_email
            if not email:
                raise EMRError(
                    "Nextech needs an email to create a prospect: collect the patient's email "
                    "or set emr.prospect_email in the clinic file"
                )
            contained = patient_body(
                Prospect(
                    prospect.phone,
                    prospect.given_name or PLACEHOLDER_GIVEN,
                    prospect.family_name or PLACEHOLDER_FAMILY,
                    email,
                ),
                official=False,
            )
        body = appointment_body(
            ref, None if prospect else patient_id, contained, self.config.schedule
        )
        self._check(body)
        response = self.transport.request("POST", "/Appointment/", json=body, idempotent=False)
        if response.status_code == 409:
            raise SlotUnavailable(conflict_reason(_json(response)))
        if response.status_code not in (200, 201):
            reason = conflict_reason(_json(response))
            raise EMRError(f"Nextech refused the appointment ({response.status_code}): {reason}")
        answer = _json(response)
        if isinstance(answer, dict) and answer.get("resourceType") == "Appointment":
            appt = parse_appointment(answer, self._ours, ref.provider_id)
            return EMRAppointment(
                appt.id, appt.status if appt.status != "unknown" else "proposed",
                ref.provider_id, appt.start, appt.end,
            )  # fmt: skip
        raise EMRError("Nextech created an appointment but returned no Appointment")

    def confirm(self, appointment_id: str) -> EMRAppointment:
        """``PUT /Appointment/{id}`` ``{"status": "booked"}``.

        Raises:
            SlotUnavailable: Nextech refused the change (409/422; e.g. it was cancelled).
            EMRError: no such appointment (404).
        """
        return self._set_status(appointment_id, "booked")

    def cancel(self, appointment_id: str) -> EMRAppointment:
        """``PUT /Appointment/{id}`` ``{"status": "cancelled"}`` (Select 15.9+).

        Raises:
            NotCancellable: Nextech answered 404, 409 or 422.
        """
        return self._set_status(appointment_id, "cancelled")

    def no_show(self, appointment_id: str) -> EMRAppointment:
        """``PUT /Appointment/{id}`` ``{"status": "noshow"}``; raises as :meth:`confirm`."""
        return self._set_status(appointment_id, "noshow")

    def get_appointment(self, appointment_id: str) -> EMRAppointment:
        """``GET /Appointment?identifier={id}``. Raises :class:`EMRError` when absent."""
        return parse_appointment(self._read(appointment_id), self._ours)

    def reschedule(self, appointment_id: str, new_slot: Slot) -> EMRAppointment:
        """Move an appointment: book ``new_slot`` for the same patient, then cancel the old.

        Nextech has no reschedule operation (cancel + new). Booking first means the patient
        never holds nothing: if the new slot is gone (:class:`SlotUnavailable`) the old
        appointment is untouched. A booked (confirmed) appointment's replacement is confirmed
        before the old one is cancelled. If the old one cannot be cancelled because it is
        already cancelled or gone, the new one stands; on any other failure the new one is
        cancelled again and the error re-raised.

        Returns:
            The new appointment.
        """
        old = self._read(appointment_id)
        patients = participant_ids(old, "patient")
        if not patients:
            raise EMRError(f"appointment {appointment_id} names no patient to move")
        was = parse_appointment(old, self._ours)
        new = self.book(new_slot, patients[0])
        try:
            if was.status == "booked":
                new = self.confirm(new.id)
            self.cancel(appointment_id)
        except NotCancellable:
            log.warning("nextech: old appointment %s was not cancellable", appointment_id)
        except EMRError:
            try:
                self.cancel(new.id)
            except EMRError:
                log.error("nextech: reschedule left both %s and %s", appointment_id, new.id)
            raise
        return new

    # --- helpers --------------------------------------------------------------------------
    def _set_status(self, appointment_id: str, status: str) -> EMRAppointment:
        body = status_body(status)
        self._check(body, partial=True)
        path = f"/Appointment/{appointment_id}"
        response = self.transport.request("PUT", path, json=body)
        code = response.status_code
        if code in (404, 409, 422):
            reason = conflict_reason(_json(response))
            if status == "cancelled":
                raise NotCancellable(f"appointment {appointment_id}: {reason} ({code})")
            if code == 404:
                raise EMRError(f"no Nextech appointment {appointment_id!r}")
            raise SlotUnavailable(f"appointment {appointment_id}: {reason} ({code})")
        if code >= 400:
            raise EMRError(f"Nextech PUT {path} answered {code}")
        answer = _json(response)
        if isinstance(answer, dict) and answer.get("resourceType") == "Appointment":
            appt = parse_appointment(answer, self._ours)
            if appt.status == status:
                return appt
        return parse_appointment(self._read(appointment_id), self._ours)

    def _read(self, appointment_id: str) -> Json:
        found = list(self._search("/Appointment", [("identifier", appointment_id)], "Appointment"))
        match = [r for r in found if str(r.get("id")) == appointment_id] or found
        if not match:
            raise EMRError(f"no Nextech appointment {appointment_id!r}")
        return match[0]

    def _search(
        self, path: str, params: list[tuple[str, str]], resource_type: str
    ) -> Iterator[Json]:
        """Every ``resource_type`` of a search, following Bundle ``next`` links."""
        url: str | None = path
        query: list[tuple[str, str]] | None = params
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.transport.request("GET", url, params=query)
            if response.status_code == 404:
                return
            if response.status_code >= 400:
                raise EMRError(f"Nextech GET {path} answered {response.status_code}")
            bundle = _json(response)
            if not isinstance(bundle, dict):
                raise EMRError(f"Nextech GET {path} answered no JSON Bundle")
            yield from bundle_resources(bundle, resource_type)
            url, query = next_link(bundle), None
            if url is not None:
                if url in seen:
                    return
                seen.add(url)
        log.warning("nextech: stopped %s after %d pages", path, MAX_PAGES)

    def _check(self, body: Mapping[str, Any], partial: bool = False) -> None:
        if self.config.validate_bodies:
            try:
                validate_stu3(body, partial=partial)
            except ValueError as exc:
                raise EMRError(str(exc)) from None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _names(patient: EMRPatient) -> tuple[str | None, str | None]:
    return patient.given_name, patient.family_name


def _chunks(
    start: dt.datetime, end: dt.datetime, size: dt.timedelta
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    lo = start
    while lo < end:
        hi = min(lo + size, end)
        yield lo, hi
        lo = hi


def shared_limiter(redis: Any, config: NextechConfig) -> SharedRateLimiter:
    """Nextech's per-user request limit (``config.max_requests_per_second``, 20) kept in Redis
    for every process using ``config``'s API user; each process's own limiter while Redis is
    unreachable."""
    return SharedRateLimiter(
        redis,
        shared_key("frontdesk:nextech:rate", config.username),
        config.max_requests_per_second,
        fallback=RateLimiter(config.max_requests_per_second),
    )


def nextech_from_env(
    clinic_emr: Mapping[str, Any],
    providers: Mapping[str, str | None],
    services: Mapping[str, Mapping[str, Any]],
    env: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> NextechEMR:
    """The adapter for one clinic: :func:`emr.nextech_config.config_from_env` (same arguments;
    ``ValueError`` naming every missing env var / clinic-file field) + ``kwargs`` for
    :class:`NextechEMR` (``http``, ``wait``, ``sleep``, ``clock``, ``limiter``)."""
    return NextechEMR(config_from_env(clinic_emr, providers, services, env), **kwargs)
