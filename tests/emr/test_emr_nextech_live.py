"""Live smoke test against a real Nextech practice; skipped unless credentials are set.

Needs ``NEXTECH_CLIENT_ID``, ``NEXTECH_USERNAME``, ``NEXTECH_PASSWORD``,
``NEXTECH_TEST_PRACTICE_ID``, ``NEXTECH_TEST_LOCATION_ID`` and ``NEXTECH_TEST_PRACTITIONER_ID``
(optionally ``NEXTECH_TEST_APPOINTMENT_TYPE_ID``, ``NEXTECH_BASE_URL``). Read-only: it logs in,
searches a week of slots and looks a 555-01xx number up; it never books.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from emr.base import SlotQuery
from emr.nextech import nextech_from_env

REQUIRED = (
    "NEXTECH_CLIENT_ID",
    "NEXTECH_USERNAME",
    "NEXTECH_PASSWORD",
    "NEXTECH_TEST_PRACTICE_ID",
    "NEXTECH_TEST_LOCATION_ID",
    "NEXTECH_TEST_PRACTITIONER_ID",
)

pytestmark = pytest.mark.skipif(
    not all(os.environ.get(k) for k in REQUIRED),
    reason="live Nextech credentials not set (" + ", ".join(REQUIRED) + ")",
)


def test_live_login_slot_search_and_patient_lookup() -> None:
    env = os.environ
    service: dict[str, str] = {}
    if env.get("NEXTECH_TEST_APPOINTMENT_TYPE_ID"):
        service["appointment_type_id"] = env["NEXTECH_TEST_APPOINTMENT_TYPE_ID"]
    emr = nextech_from_env(
        {
            "kind": "nextech",
            "practice_id": env["NEXTECH_TEST_PRACTICE_ID"],
            "location_id": env["NEXTECH_TEST_LOCATION_ID"],
        },
        {"live-provider": env["NEXTECH_TEST_PRACTITIONER_ID"]},
        {"live-service": service},
        env,
    )
    try:
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        slots = emr.find_slots(
            SlotQuery("live-service", 30, ("live-provider",), start, start + dt.timedelta(days=7))
        )
        assert all(s.provider_id == "live-provider" and s.start < s.end for s in slots)
        assert isinstance(emr.find_patients("+15125550100"), list)
    finally:
        emr.close()
