"""Configuration of the ``nextech`` EMR: :class:`NextechConfig` and :func:`config_from_env`.

Secrets come from environment variables, non-secret ids from the clinic file's ``emr`` section
(DESIGN.md 4.1: "EMR credentials never live in this file"). The variables are listed in
:mod:`emr.nextech`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emr.nextech_http import DEFAULT_BASE_URL, DEFAULT_RESOURCE, DEFAULT_TOKEN_URL

SECRET_VARS = ("NEXTECH_CLIENT_ID", "NEXTECH_USERNAME", "NEXTECH_PASSWORD")
CLINIC_FIELDS = ("practice_id", "location_id")


@dataclass(frozen=True)
class ServiceMapping:
    """Nextech ids of one of our services (``ServiceInfo.emr`` in the clinic file)."""

    appointment_type_id: str | None = None
    appointment_purpose_id: str | None = None


@dataclass(frozen=True)
class NextechConfig:
    """Everything the adapter needs for one clinic (one Nextech practice and location).

    Attributes:
        client_id / username / password / client_secret: the API user (from env vars).
        practice_id: ``nx-practice-id``; location_id: the Nextech location booked at.
        providers: our provider id -> Nextech practitioner id (providers without one are never
            offered). services: our service id -> :class:`ServiceMapping`.
        schedule: ``"hold"`` (Nextech's held-appointment list, the default) or ``"book"``.
        prospect_email: email sent for prospects whose own email is unknown.
        validate_bodies: validate each body with ``fhir.resources`` STU3 before sending.
    """

    client_id: str
    username: str
    password: str = field(repr=False)
    practice_id: str
    location_id: str
    providers: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, ServiceMapping] = field(default_factory=dict)
    client_secret: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    token_url: str = DEFAULT_TOKEN_URL
    resource: str = DEFAULT_RESOURCE
    schedule: str = "hold"
    prospect_email: str | None = None
    validate_bodies: bool = False
    timeout_seconds: float = 15.0
    max_attempts: int = 4
    max_requests_per_second: int = 20

    def __post_init__(self) -> None:
        if self.schedule not in ("hold", "book"):
            raise ValueError("emr.schedule must be 'hold' or 'book'")


def config_from_env(
    clinic_emr: Mapping[str, Any],
    providers: Mapping[str, str | None],
    services: Mapping[str, Mapping[str, Any]],
    env: Mapping[str, str] | None = None,
) -> NextechConfig:
    """A :class:`NextechConfig` from the clinic file's ``emr`` section and the environment.

    Args:
        clinic_emr: ``{"kind": "nextech", "practice_id": ..., "location_id": ...}`` (+ optional
            ``schedule``, ``prospect_email``).
        providers: our provider id -> Nextech practitioner id (``ProviderInfo.emr_id``);
            providers without one are left out (never offered).
        services: our service id -> ``ServiceInfo.emr`` (``appointment_type_id``,
            ``appointment_purpose_id``; numbers are accepted and turned into strings).
        env: the environment (default ``os.environ``).

    Raises:
        ValueError: naming every missing env var and clinic-file field at once, or a bad
            ``emr.kind`` / ``emr.schedule``.
    """
    env = os.environ if env is None else env
    if clinic_emr.get("kind", "nextech") != "nextech":
        raise ValueError(f"emr.kind is {clinic_emr.get('kind')!r}, not 'nextech'")
    missing = [k for k in SECRET_VARS if not env.get(k)]
    missing += [f"emr.{k} (clinic file)" for k in CLINIC_FIELDS if not clinic_emr.get(k)]
    if missing:
        raise ValueError("Nextech is not configured: missing " + ", ".join(missing))
    mapped: dict[str, ServiceMapping] = {}
    for sid, emr in services.items():
        type_id, purpose_id = emr.get("appointment_type_id"), emr.get("appointment_purpose_id")
        mapped[sid] = ServiceMapping(
            None if type_id in (None, "") else str(type_id),
            None if purpose_id in (None, "") else str(purpose_id),
        )
    return NextechConfig(
        client_id=env["NEXTECH_CLIENT_ID"],
        username=env["NEXTECH_USERNAME"],
        password=env["NEXTECH_PASSWORD"],
        client_secret=env.get("NEXTECH_CLIENT_SECRET") or None,
        practice_id=str(clinic_emr["practice_id"]),
        location_id=str(clinic_emr["location_id"]),
        providers={pid: str(eid) for pid, eid in providers.items() if eid},
        services=mapped,
        base_url=env.get("NEXTECH_BASE_URL") or DEFAULT_BASE_URL,
        token_url=env.get("NEXTECH_TOKEN_URL") or DEFAULT_TOKEN_URL,
        schedule=str(clinic_emr.get("schedule") or "hold"),
        prospect_email=clinic_emr.get("prospect_email") or None,
        validate_bodies=env.get("NEXTECH_VALIDATE", "").lower() in ("1", "true", "yes"),
    )
