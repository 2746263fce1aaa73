"""Nextech Select (FHIR STU3) payloads: the bodies we send and the parsing of what comes back.

Pure functions, no HTTP (that is :mod:`emr.nextech_http`). Shapes follow the vendor's docs,
NextechSystems/selectapidocspub ``source/includes/_slot.md``, ``_appointment.md``,
``_patient.md`` and ``_gettingstarted.md``, and the FHIR STU3 (3.0.1) resources
https://hl7.org/fhir/STU3/appointment.html, /slot.html, /patient.html, /bundle.html:

* ``GET /Slot`` answers a ``Bundle`` of free ``Slot`` resources without ids; each carries
  ``schedule.reference`` (``schedule/location_1_practitioner_9323``), the appointment-type and
  appointment-purpose extensions (``valueReference``) and a ``contained`` Location and
  Practitioner.
* ``POST /Appointment/`` takes ``status: "proposed"``, ``start``/``end``, participants
  ``patient/{id}`` (or a ``contained`` Patient, which makes Nextech create a *prospect*),
  ``location/{id}`` and ``practitioner/{id}``, and the appointment-type, appointment-purpose and
  appointment-schedule (``valueString`` ``"hold"`` | ``"book"``) extensions.
* ``PUT /Appointment/{id}`` takes a partial body: ``{"resourceType": "Appointment",
  "status": "booked" | "cancelled"}``.

STU3 makes ``Appointment.participant`` 1..* and ``participant.status`` 1..1, so the create body
carries a participant status (Nextech's samples omit it; the field is standard and harmless).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from emr.base import EMRAppointment, EMRError, EMRPatient, SlotUnavailable

EXT_BASE = "https://select.nextech-api.com/api/structuredefinition/"
EXT_TYPE = EXT_BASE + "appointment-type"
EXT_PURPOSE = EXT_BASE + "appointment-purpose"
EXT_SCHEDULE = EXT_BASE + "appointment-schedule"

_TOKEN_KIND = "nextech"
_TOKEN_VERSION = 1
_PROSPECT_PREFIX = "prospect:"
_SCHEDULE_ACTOR = re.compile(r"(location|practitioner)_([^_/]+)", re.IGNORECASE)

Json = dict[str, Any]


@dataclass(frozen=True)
class SlotRef:
    """Everything :meth:`NextechEMR.book` needs, carried inside ``Slot.token``.

    ``start``/``end`` are Nextech's own strings (sent back verbatim when booking).
    """

    practice_id: str
    service_id: str
    provider_id: str
    start: str
    end: str
    practitioner_id: str
    location_id: str
    type_id: str | None
    purpose_id: str | None


@dataclass(frozen=True)
class Prospect:
    """A person known only by what the SMS conversation told us (no Nextech patient yet)."""

    phone: str
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_slot_token(ref: SlotRef) -> str:
    """Opaque token: base64url of a versioned JSON array of :class:`SlotRef` fields."""
    fields = [
        _TOKEN_KIND,
        _TOKEN_VERSION,
        ref.practice_id,
        ref.service_id,
        ref.provider_id,
        ref.start,
        ref.end,
        ref.practitioner_id,
        ref.location_id,
        ref.type_id,
        ref.purpose_id,
    ]
    return _b64(json.dumps(fields, separators=(",", ":")).encode())


def decode_slot_token(token: str) -> SlotRef:
    """Parse :func:`encode_slot_token`. Raises :class:`SlotUnavailable` when not ours."""
    try:
        kind, version, *rest = json.loads(_unb64(token))
        if (kind, version) != (_TOKEN_KIND, _TOKEN_VERSION) or len(rest) != 9:
            raise ValueError(token)
        if not all(isinstance(v, str) for v in rest[:7]) or not all(
            v is None or isinstance(v, str) for v in rest[7:]
        ):
            raise ValueError(token)
        ref = SlotRef(*rest)
        parse_instant(ref.start), parse_instant(ref.end)
    except (binascii.Error, ValueError, TypeError, UnicodeError, EMRError):
        raise SlotUnavailable("malformed Nextech slot token") from None
    return ref


def encode_prospect(prospect: Prospect) -> str:
    """Patient id for a prospect: ``"prospect:"`` + base64url JSON of what we know."""
    data = [prospect.phone, prospect.given_name, prospect.family_name, prospect.email]
    return _PROSPECT_PREFIX + _b64(json.dumps(data, separators=(",", ":")).encode())


def decode_prospect(patient_id: str) -> Prospect | None:
    """The :class:`Prospect` of a prospect id; None for a real Nextech patient id."""
    if not patient_id.startswith(_PROSPECT_PREFIX):
        return None
    try:
        phone, given, family, email = json.loads(_unb64(patient_id[len(_PROSPECT_PREFIX) :]))
        if not isinstance(phone, str):
            raise ValueError(patient_id)
    except (binascii.Error, ValueError, TypeError, UnicodeError):
        raise EMRError(f"malformed prospect id {patient_id!r}") from None
    return Prospect(phone, given, family, email)


def parse_instant(value: object) -> dt.datetime:
    """A FHIR ``instant``/``dateTime`` with offset -> aware UTC datetime.

    Raises:
        EMRError: ``value`` is not such a string.
    """
    if not isinstance(value, str):
        raise EMRError(f"expected a FHIR instant, got {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise EMRError(f"malformed FHIR instant {value!r}") from None
    if parsed.tzinfo is None:
        raise EMRError(f"FHIR instant without offset {value!r}")
    return parsed.astimezone(dt.UTC)


def fhir_instant(value: dt.datetime) -> str:
    """Aware datetime -> ``2026-03-03T15:00:00Z`` (UTC, no ``+`` to escape in a query).

    Raises:
        ValueError: ``value`` is naive.
    """
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_segment(reference: object) -> str | None:
    """``"Practitioner/15"`` / ``"appointment-type/87"`` -> ``"15"`` / ``"87"``."""
    if not isinstance(reference, str) or "/" not in reference:
        return None
    tail = reference.rstrip("/").rsplit("/", 1)[1]
    return tail or None


def extension_ref(resource: Mapping[str, Any], url: str) -> str | None:
    """Id in the ``valueReference`` of the extension ``url`` (case-insensitive url)."""
    for ext in resource.get("extension") or ():
        if str(ext.get("url", "")).lower() == url.lower():
            return last_segment((ext.get("valueReference") or {}).get("reference"))
    return None


def bundle_resources(bundle: Mapping[str, Any], resource_type: str) -> Iterator[Json]:
    """The ``entry[].resource`` of ``resource_type`` in a search ``Bundle``.

    Raises:
        EMRError: ``bundle`` is another resource type.
    """
    if bundle.get("resourceType") not in ("Bundle", None):
        raise EMRError(f"expected a Bundle, got {bundle.get('resourceType')!r}")
    for entry in bundle.get("entry") or ():
        resource = entry.get("resource") or {}
        if resource.get("resourceType") == resource_type:
            yield resource


def next_link(bundle: Mapping[str, Any]) -> str | None:
    """The ``Bundle.link`` with relation ``next``, if any."""
    for link in bundle.get("link") or ():
        if link.get("relation") == "next" and link.get("url"):
            return str(link["url"])
    return None


def slot_actors(slot: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(practitioner id, location id) of a Nextech ``Slot``.

    The contained Practitioner/Location win; ``schedule.reference``
    (``schedule/location_1_practitioner_9323``) is the fallback.
    """
    found: dict[str, str | None] = {"practitioner": None, "location": None}
    for contained in slot.get("contained") or ():
        kind = str(contained.get("resourceType", "")).lower()
        if kind in found and contained.get("id"):
            found[kind] = str(contained["id"])
    reference = str((slot.get("schedule") or {}).get("reference") or "")
    for kind, value in _SCHEDULE_ACTOR.findall(reference):
        found[kind.lower()] = found[kind.lower()] or value
    return found["practitioner"], found["location"]


def phone_digits(phone: str) -> str:
    """The national number Nextech stores for a NANP E.164 phone, else the digits."""
    digits = re.sub(r"\D", "", phone)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def display_phone(phone: str) -> str:
    """``+15125550123`` -> ``512-555-0123`` (the form of Nextech's samples)."""
    digits = phone_digits(phone)
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return phone


def patient_body(
    prospect: Prospect,
    *,
    birth_date: dt.date | None = None,
    postal_code: str | None = None,
    official: bool = True,
) -> Json:
    """An STU3 ``Patient``: name, telecom (phone, email), and birthDate/address when known."""
    name: Json = {"use": "official"} if official else {}
    if prospect.family_name:
        name["family"] = prospect.family_name
    if prospect.given_name:
        name["given"] = [prospect.given_name]
    telecom: list[Json] = [
        {"system": "phone", "use": "mobile", "value": display_phone(prospect.phone)}
    ]
    if prospect.email:
        telecom.append({"system": "email", "value": prospect.email})
    body: Json = {"resourceType": "Patient", "name": [name], "telecom": telecom}
    if birth_date is not None:
        body["birthDate"] = birth_date.isoformat()
    if postal_code:
        body["address"] = [{"use": "home", "postalCode": postal_code}]
    return body


def appointment_body(
    ref: SlotRef, patient_id: str | None, prospect: Json | None, schedule: str
) -> Json:
    """The ``POST /Appointment/`` body for ``ref``: an existing patient or a contained prospect."""
    extension: list[Json] = []
    if ref.type_id:
        extension.append(
            {"url": EXT_TYPE, "valueReference": {"reference": f"appointment-type/{ref.type_id}"}}
        )
    if ref.purpose_id:
        extension.append(
            {
                "url": EXT_PURPOSE,
                "valueReference": {"reference": f"appointment-purpose/{ref.purpose_id}"},
            }
        )
    extension.append({"url": EXT_SCHEDULE, "valueString": schedule})
    participant: list[Json] = []
    if patient_id is not None:
        participant.append({"actor": {"reference": f"patient/{patient_id}"}, "status": "accepted"})
    participant += [
        {"actor": {"reference": f"location/{ref.location_id}"}, "status": "needs-action"},
        {"actor": {"reference": f"practitioner/{ref.practitioner_id}"}, "status": "needs-action"},
    ]
    body: Json = {
        "resourceType": "Appointment",
        "extension": extension,
        "status": "proposed",
        "start": ref.start,
        "end": ref.end,
        "participant": participant,
    }
    if prospect is not None:
        body["contained"] = [prospect]
    return body


def status_body(status: str) -> Json:
    """The partial ``PUT /Appointment/{id}`` body that sets ``status``."""
    return {"resourceType": "Appointment", "status": status}


def parse_patient(resource: Mapping[str, Any]) -> EMRPatient:
    """A Nextech ``Patient`` -> :class:`EMRPatient` (official name first, first phone/email).

    Raises:
        EMRError: the resource has no id.
    """
    pid = resource.get("id")
    if not pid:
        for ident in resource.get("identifier") or ():
            if ident.get("use") == "official" and ident.get("value"):
                pid = ident["value"]
    if not pid:
        raise EMRError("Nextech Patient without id")
    names = resource.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    given = [g for g in name.get("given") or () if g]
    phone = email = None
    for point in resource.get("telecom") or ():
        if point.get("system") == "phone" and phone is None:
            phone = point.get("value")
        elif point.get("system") == "email" and email is None:
            email = point.get("value")
    return EMRPatient(str(pid), phone or "", given[0] if given else None, name.get("family"), email)


def participant_ids(resource: Mapping[str, Any], kind: str) -> list[str]:
    """Ids of the participants whose actor reference is ``{kind}/{id}`` (any case)."""
    out = []
    for part in resource.get("participant") or ():
        reference = str((part.get("actor") or {}).get("reference") or "")
        head, _, tail = reference.rpartition("/")
        if head.lower().endswith(kind.lower()) and tail:
            out.append(tail)
    return out


def parse_appointment(
    resource: Mapping[str, Any], provider_for: Mapping[str, str], fallback_provider: str = ""
) -> EMRAppointment:
    """A Nextech ``Appointment`` -> :class:`EMRAppointment`.

    ``provider_for`` maps Nextech practitioner ids to our provider ids; an unmapped one is
    reported as ``"nextech:practitioner/{id}"`` (or ``fallback_provider`` when none is named).
    Nextech omits ``status`` for Select statuses with no FHIR equivalent: ``"unknown"``.

    Raises:
        EMRError: the resource is not an Appointment, or has no id.
    """
    if resource.get("resourceType") != "Appointment":
        raise EMRError(f"expected an Appointment, got {resource.get('resourceType')!r}")
    aid = resource.get("id") or next(
        (i.get("value") for i in resource.get("identifier") or () if i.get("value")), None
    )
    if not aid:
        raise EMRError("Nextech Appointment without id")
    practitioners = participant_ids(resource, "practitioner")
    provider = fallback_provider
    if practitioners:
        first = practitioners[0]
        provider = provider_for.get(first) or fallback_provider or f"nextech:practitioner/{first}"
    return EMRAppointment(
        id=str(aid),
        status=str(resource.get("status") or "unknown"),
        provider_id=provider,
        start=parse_instant(resource.get("start")),
        end=parse_instant(resource.get("end")),
    )


def conflict_reason(body: object) -> str:
    """The ``comment`` of a 409 ``AppointmentResponse`` (or OperationOutcome diagnostics)."""
    if isinstance(body, Mapping):
        if body.get("comment"):
            return str(body["comment"])
        for issue in body.get("issue") or ():
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
            if text:
                return str(text)
    return "Nextech refused the appointment (409)"


def validate_stu3(body: Mapping[str, Any], *, partial: bool = False) -> None:
    """Validate ``body`` with the ``fhir.resources`` STU3 model of its ``resourceType``.

    ``partial=True`` is for Nextech's partial ``PUT`` bodies: every element present must be
    valid, but elements the body deliberately leaves out may be required by the full resource.

    Raises:
        ValueError: the body is not a valid STU3 resource.
    """
    import importlib

    from pydantic import ValidationError

    kind = str(body.get("resourceType"))
    module = importlib.import_module(f"fhir.resources.STU3.{kind.lower()}")
    model = getattr(module, kind)
    try:
        model.model_validate(dict(body))
    except ValidationError as exc:
        errors = [
            e
            for e in exc.errors()
            if not (partial and "missing" in e["type"] and e["loc"] and e["loc"][0] not in body)
        ]
        if errors:
            raise ValueError(f"invalid STU3 {kind}: {errors}") from None
