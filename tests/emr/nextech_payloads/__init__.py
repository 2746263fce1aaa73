"""Shared helpers of the Nextech adapter tests: recorded-shape payloads and a configured adapter.

The JSON files here follow the samples of NextechSystems/selectapidocspub (see README.md).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
from tenacity import wait_none

from emr.nextech import NextechConfig, NextechEMR, ServiceMapping

HERE = Path(__file__).resolve().parent
BASE = "https://select.test/api"
TOKEN_URL = "https://login.test/nextech-api.com/oauth2/token"
CHICAGO = dt.timezone(dt.timedelta(hours=-6))
PHONE = "+15125550123"
JANE_ID = "ad2085b5-b974-401d-bfcb-3b865109fd35"


def load(name: str) -> dict[str, Any]:
    """A fresh copy of ``{name}.json``."""
    return copy.deepcopy(json.loads((HERE / f"{name}.json").read_text()))


def token(access: str = "access-1", refresh: str = "refresh-1", expires_in: int = 3599) -> dict:
    """A token endpoint answer."""
    body = load("token")
    body.update(access_token=access, refresh_token=refresh, expires_in=str(expires_in))
    return body


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    """A searchset Bundle of ``resources``."""
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        out["link"] = [{"relation": "next", "url": next_url}]
    return out


def appointment(status: str = "proposed", **changes: Any) -> dict[str, Any]:
    """The recorded created appointment with ``status`` (and other top-level changes)."""
    body = load("appointment_created")
    body.update(status=status, **changes)
    return body


class Clock:
    """A monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_config(**overrides: Any) -> NextechConfig:
    """The test clinic: practice ``nx-1``, location 5, dr-lee = 15, nurse-kim = 17."""
    fields: dict[str, Any] = {
        "client_id": "app-1",
        "username": "api@glow.test",
        "password": "s3cret",
        "practice_id": "nx-1",
        "location_id": "5",
        "providers": {"dr-lee": "15", "nurse-kim": "17"},
        "services": {
            "botox": ServiceMapping("87", "12"),
            "consult": ServiceMapping(None, None),
        },
        "base_url": BASE,
        "token_url": TOKEN_URL,
        "prospect_email": "frontdesk@glow.test",
        "validate_bodies": True,
    }
    fields.update(overrides)
    return NextechConfig(**fields)


def make_emr(
    clock: Clock | None = None, sleeps: list[float] | None = None, **overrides: Any
) -> NextechEMR:
    """A :class:`NextechEMR` on the test config that never sleeps (sleeps are recorded)."""
    record = sleeps if sleeps is not None else []
    now = clock or Clock()

    def sleep(seconds: float) -> None:
        record.append(seconds)
        now.now += seconds

    return NextechEMR(
        make_config(**overrides), http=httpx.Client(), wait=wait_none(), sleep=sleep, clock=now
    )
