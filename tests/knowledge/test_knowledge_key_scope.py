"""A clinic API key cannot point ``forward_calls_to`` or ``staff_alert_phone`` outside the
countries the operator allows (toll fraud), nor change EMR ids: 403 naming each field, and
nothing of the file is applied (issue 11). The operator's ``frontdesk seed`` still can."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.context import AppContext
from app.settings import SettingsError, load_settings
from knowledge.apikeys import create_key
from knowledge.clinic_file import parse_clinic_file
from knowledge.key_scope import phone_country
from knowledge.seed import seed_clinic
from tests.knowledge.test_knowledge_api import CLINIC, URL, auth, make_app

LONDON = "+442079460958"  # Ofcom's drama range
KINGSTON = "+18765550123"  # +1, but Jamaica: the classic toll-fraud destination
TORONTO = "+14165550123"
AUSTIN = "+15125550142"


@pytest.fixture
def ctx(make_ctx: Callable[..., AppContext], database_url: str) -> AppContext:
    return make_ctx(database_url)


@pytest.fixture
def client(ctx: AppContext) -> Iterator[FlaskClient]:
    with make_app(ctx).test_client() as c:
        yield c


@pytest.fixture
def key(ctx: AppContext) -> str:
    return create_key(ctx.db, CLINIC, "owner laptop")


def _post(client: FlaskClient, key: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(URL, json=data, headers=auth(key))
    return response.status_code, response.get_json()


def _clinic(ctx: AppContext) -> Any:
    clinic = ctx.clinic(CLINIC)
    assert clinic is not None
    return clinic


def test_region_codes_follow_the_area_code_within_plus_one() -> None:
    assert [phone_country(n) for n in (AUSTIN, TORONTO, KINGSTON, LONDON)] == [
        "US",
        "CA",
        "JM",
        "GB",
    ]


@pytest.mark.parametrize(
    ("field", "number", "country"),
    [
        ("forward_calls_to", LONDON, "GB"),
        ("forward_calls_to", KINGSTON, "JM"),
        ("staff_alert_phone", LONDON, "GB"),
        ("staff_alert_phone", KINGSTON, "JM"),
    ],
)
def test_a_key_cannot_point_phones_abroad(
    ctx: AppContext,
    client: FlaskClient,
    key: str,
    demo_data: dict[str, Any],
    field: str,
    number: str,
    country: str,
) -> None:
    changed = copy.deepcopy(demo_data)
    changed["clinic"][field] = number
    changed["clinic"]["name"] = "Glow Abroad"
    status, body = _post(client, key, changed)
    assert status == 403
    assert body["error"] == "not allowed with a clinic API key"
    [problem] = body["problems"]
    assert problem.startswith(f"clinic.{field}: a number in {country};")
    assert "US, CA" in problem and "ALLOWED_PHONE_COUNTRIES" in problem
    stored = _clinic(ctx).clinic
    assert getattr(stored, field) == demo_data["clinic"].get(field)
    assert stored.name == demo_data["clinic"]["name"]  # nothing of the file was applied


def test_a_key_may_use_numbers_in_the_allowed_countries(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    changed = copy.deepcopy(demo_data)
    changed["clinic"]["forward_calls_to"] = AUSTIN
    changed["clinic"]["staff_alert_phone"] = TORONTO
    status, body = _post(client, key, changed)
    assert status == 200, body
    stored = _clinic(ctx).clinic
    assert (stored.forward_calls_to, stored.staff_alert_phone) == (AUSTIN, TORONTO)


def test_the_operator_narrows_the_countries(
    make_ctx: Callable[..., AppContext], database_url: str, demo_data: dict[str, Any]
) -> None:
    ctx = make_ctx(database_url, allowed_phone_countries="US")
    key = create_key(ctx.db, CLINIC, "owner")
    changed = copy.deepcopy(demo_data)
    changed["clinic"]["staff_alert_phone"] = TORONTO
    with make_app(ctx).test_client() as client:
        status, body = _post(client, key, changed)
    assert status == 403
    assert "a number in CA" in body["problems"][0] and "in US only" in body["problems"][0]


def test_a_number_the_operator_set_may_be_sent_back_unchanged(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    demo_data["clinic"]["forward_calls_to"] = LONDON
    seed_clinic(ctx.db, parse_clinic_file(demo_data))  # the operator, on the server
    demo_data["clinic"]["name"] = "Glow Med Spa & Laser"
    status, body = _post(client, key, demo_data)
    assert status == 200, body
    assert _clinic(ctx).clinic.forward_calls_to == LONDON


@pytest.mark.parametrize(
    ("change", "path", "keep"),
    [
        (lambda d: d["providers"][0].update(emr_id="99"), "providers[0].emr_id", "keep '1'"),
        (lambda d: d["providers"][1].pop("emr_id"), "providers[1].emr_id", "keep '2'"),
        (
            lambda d: d["services"][1].update(emr={"appointment_type_id": "87"}),
            "services[1].emr",
            "keep {'appointment_type_id': '10'}",
        ),
        (
            lambda d: d["clinic"].update(emr={"kind": "nextech", "practice_id": "p1"}),
            "clinic.emr",
            "keep {'kind': 'local'}",
        ),
        (
            lambda d: d["providers"].append({"id": "new-np", "name": "Ana", "emr_id": "7"}),
            "providers[3].emr_id",
            "leave it unset",
        ),
    ],
    ids=["provider-id-changed", "provider-id-dropped", "service-ids", "clinic-emr", "new-provider"],
)
def test_a_key_cannot_change_emr_ids(
    ctx: AppContext,
    client: FlaskClient,
    key: str,
    demo_data: dict[str, Any],
    change: Callable[[dict[str, Any]], None],
    path: str,
    keep: str,
) -> None:
    before = _clinic(ctx)
    changed = copy.deepcopy(demo_data)
    change(changed)
    status, body = _post(client, key, changed)
    assert status == 403
    [problem] = body["problems"]
    assert problem.startswith(f"{path}: EMR ids are not changed with an API key")
    assert "frontdesk seed" in problem and problem.endswith(keep)
    assert _clinic(ctx) == before


def test_a_new_provider_without_an_emr_id_is_fine(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    demo_data["providers"].append({"id": "new-np", "name": "Ana Ruiz", "title": "NP"})
    status, body = _post(client, key, demo_data)
    assert status == 200, body
    assert _clinic(ctx).provider("new-np").emr_id is None


def test_emr_ids_the_operator_seeded_are_kept_by_the_key(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    demo_data["providers"][0]["emr_id"] = "15"
    seed_clinic(ctx.db, parse_clinic_file(demo_data))  # the operator, on the server
    status, body = _post(client, key, demo_data)
    assert status == 200, body
    assert _clinic(ctx).provider("dr-lee").emr_id == "15"


def test_allowed_phone_countries_setting() -> None:
    assert load_settings({}).allowed_phone_countries == ("US", "CA")
    assert load_settings({"ALLOWED_PHONE_COUNTRIES": " us, mx ,US"}).allowed_phone_countries == (
        "US",
        "MX",
    )
    with pytest.raises(SettingsError, match="ALLOWED_PHONE_COUNTRIES: .*unknown region code XX"):
        load_settings({"ALLOWED_PHONE_COUNTRIES": "US,XX"})
    with pytest.raises(SettingsError, match="ALLOWED_PHONE_COUNTRIES"):
        load_settings({"ALLOWED_PHONE_COUNTRIES": " , "})
