"""``NextechEMR``: authentication, slot search and patients, against respx-served payloads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
import respx

from emr.base import AuthError, DuplicatePatient, SlotQuery
from emr.nextech import nextech_from_env
from emr.nextech_fhir import decode_prospect, decode_slot_token, validate_stu3
from emr.nextech_http import RateLimiter
from tests.emr.nextech_payloads import (
    BASE,
    CHICAGO,
    JANE_ID,
    PHONE,
    TOKEN_URL,
    Clock,
    bundle,
    load,
    make_emr,
    token,
)

TUESDAY = dt.datetime(2026, 3, 3, tzinfo=CHICAGO)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode()))


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(str(request.url)).query)


def botox_query(days: int = 1, providers: tuple[str, ...] = ("dr-lee", "nurse-kim")) -> SlotQuery:
    return SlotQuery("botox", 30, providers, TUESDAY, TUESDAY + dt.timedelta(days=days))


# --- authentication ---------------------------------------------------------------------------
def test_password_grant_then_bearer_and_practice_headers(router: respx.MockRouter) -> None:
    login = router.post(TOKEN_URL).respond(200, json=token())
    api = router.get(f"{BASE}/Patient").respond(200, json=bundle())
    emr = make_emr()
    emr.find_patients(PHONE)
    emr.find_patients(PHONE)
    assert login.call_count == 1  # cached until expiry
    assert form(login.calls[0].request) == {
        "grant_type": "password",
        "client_id": "app-1",
        "username": "api@glow.test",
        "password": "s3cret",
        "resource": "https://select.nextech-api.com/api",
    }
    headers = api.calls[0].request.headers
    assert headers["Authorization"] == "Bearer access-1"
    assert headers["nx-practice-id"] == "nx-1"


def test_expired_token_is_renewed_with_the_refresh_token(router: respx.MockRouter) -> None:
    login = router.post(TOKEN_URL)
    login.side_effect = [
        httpx.Response(200, json=token("access-1", "refresh-1")),
        httpx.Response(200, json=token("access-2", "refresh-2")),
    ]
    api = router.get(f"{BASE}/Patient").respond(200, json=bundle())
    clock = Clock()
    emr = make_emr(clock)
    emr.find_patients(PHONE)
    clock.now += 3600
    emr.find_patients(PHONE)
    assert form(login.calls[1].request) == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "client_id": "app-1",
    }
    assert api.calls[1].request.headers["Authorization"] == "Bearer access-2"


def test_refused_refresh_token_falls_back_to_the_password_grant(router: respx.MockRouter) -> None:
    login = router.post(TOKEN_URL)
    login.side_effect = [
        httpx.Response(200, json=token("access-1")),
        httpx.Response(400, json={"error": "invalid_grant"}),
        httpx.Response(200, json=token("access-3")),
    ]
    api = router.get(f"{BASE}/Patient").respond(200, json=bundle())
    clock = Clock()
    emr = make_emr(clock)
    emr.find_patients(PHONE)
    clock.now += 4000
    emr.find_patients(PHONE)
    assert [form(c.request)["grant_type"] for c in login.calls] == [
        "password",
        "refresh_token",
        "password",
    ]
    assert api.calls[-1].request.headers["Authorization"] == "Bearer access-3"


def test_401_reauthenticates_once_and_retries(router: respx.MockRouter) -> None:
    login = router.post(TOKEN_URL)
    login.side_effect = [
        httpx.Response(200, json=token("stale")),
        httpx.Response(200, json=token("fresh")),
    ]
    api = router.get(f"{BASE}/Patient")
    api.side_effect = [httpx.Response(401), httpx.Response(200, json=load("patients"))]
    patients = make_emr().find_patients(PHONE)
    assert [p.id for p in patients] == [JANE_ID]
    assert [c.request.headers["Authorization"] for c in api.calls] == [
        "Bearer stale",
        "Bearer fresh",
    ]


def test_401_after_reauth_is_an_auth_error(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    api = router.get(f"{BASE}/Patient").respond(401)
    with pytest.raises(AuthError):
        make_emr().find_patients(PHONE)
    assert api.call_count == 2


def test_403_is_an_auth_error_and_bad_credentials_too(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    router.get(f"{BASE}/Patient").respond(403)
    with pytest.raises(AuthError):
        make_emr().find_patients(PHONE)
    router.post(TOKEN_URL).respond(400, json={"error": "invalid_grant"})
    with pytest.raises(AuthError, match="invalid_grant"):
        make_emr().find_patients(PHONE)


def test_client_secret_is_sent_when_configured(router: respx.MockRouter) -> None:
    login = router.post(TOKEN_URL).respond(200, json=token())
    router.get(f"{BASE}/Patient").respond(200, json=bundle())
    make_emr(client_secret="shh").find_patients(PHONE)
    assert form(login.calls[0].request)["client_secret"] == "shh"


def test_rate_limiter_allows_twenty_per_rolling_second() -> None:
    clock, slept = Clock(), []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    limiter = RateLimiter(20, clock, sleep)
    for _ in range(20):
        limiter.acquire()
    assert slept == []
    limiter.acquire()
    assert slept == [pytest.approx(1.0)]


# --- slots ---------------------------------------------------------------------------------
def test_slot_search_params_paging_and_provider_mapping(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    page2 = router.get(f"{BASE}/Slot", params={"page": "2"}).respond(200, json=load("slots_page2"))
    page1 = router.get(f"{BASE}/Slot").respond(200, json=load("slots_page1"))
    slots = make_emr().find_slots(botox_query())
    assert query(page1.calls[0].request) == [
        ("start", "ge2026-03-03T06:00:00Z"),
        ("start", "lt2026-03-04T06:00:00Z"),
        ("schedule.actor", "location/5"),
        ("schedule.actor", "practitioner/15,practitioner/17"),
        ("_count", "50"),
        ("appointment-type", "appointment-type/87"),
        ("appointment-purpose", "appointment-purpose/12"),
    ]
    assert page2.call_count == 1  # the `next` link was followed
    # practitioner 9323 is not one of ours: dropped; 17 came only from schedule.reference
    assert [(s.provider_id, s.start.astimezone(CHICAGO).strftime("%H:%M")) for s in slots] == [
        ("nurse-kim", "09:30"),
        ("dr-lee", "10:00"),
    ]
    lee = slots[1]
    assert lee.start == dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC)
    assert lee.end - lee.start == dt.timedelta(minutes=30)
    ref = decode_slot_token(lee.token)
    assert (ref.practitioner_id, ref.location_id, ref.type_id, ref.purpose_id) == (
        "15",
        "5",
        "87",
        "12",
    )
    assert ref.start == "2026-03-03T10:00:00-06:00"  # Nextech's own string, sent back verbatim


def test_long_windows_are_split_into_60_day_searches(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    route = router.get(f"{BASE}/Slot").respond(200, json=bundle())
    make_emr().find_slots(botox_query(days=130))
    starts = [[v for k, v in query(c.request) if k == "start"] for c in route.calls]
    assert starts == [
        ["ge2026-03-03T06:00:00Z", "lt2026-05-02T06:00:00Z"],
        ["ge2026-05-02T06:00:00Z", "lt2026-07-01T06:00:00Z"],
        ["ge2026-07-01T06:00:00Z", "lt2026-07-11T06:00:00Z"],
    ]


def test_service_without_type_searches_by_slot_length(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    route = router.get(f"{BASE}/Slot").respond(200, json=load("slots_page2"))
    q = SlotQuery("consult", 45, ("nurse-kim",), TUESDAY, TUESDAY + dt.timedelta(days=1))
    slots = make_emr().find_slots(q)
    params = dict(query(route.calls[0].request))
    assert params["slot-length"] == "45" and "appointment-type" not in params
    assert decode_slot_token(slots[0].token).type_id == "87"  # taken from the slot itself


def test_only_mapped_providers_are_searched(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    route = router.get(f"{BASE}/Slot").respond(200, json=bundle())
    emr = make_emr()
    assert emr.find_slots(botox_query(providers=("no-emr-id",))) == []
    assert route.call_count == 0
    emr.find_slots(botox_query(providers=()))  # empty = every provider we can map
    assert ("schedule.actor", "practitioner/15,practitioner/17") in query(route.calls[0].request)


def test_slots_outside_the_window_are_dropped(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    router.get(f"{BASE}/Slot").respond(200, json=load("slots_page2"))
    start = dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO)
    q = SlotQuery("botox", 30, ("nurse-kim",), start, start + dt.timedelta(hours=2))
    assert make_emr().find_slots(q) == []


def test_nextech_payloads_are_stu3_except_their_empty_given_names() -> None:
    """Nextech's samples carry ``"given": ["Sherri", ""]``, which STU3 forbids (empty string):
    responses are parsed leniently and only what we send is validated strictly."""
    validate_stu3(load("slots_page2"))
    validate_stu3(load("patients"))
    for name in ("slots_page1", "appointment_created"):
        with pytest.raises(ValueError) as info:
            validate_stu3(load(name))
        assert "'given', 1" in str(info.value) and "string_pattern_mismatch" in str(info.value)


# --- patients ------------------------------------------------------------------------------
def test_find_patients_by_national_number_and_exact_digits(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    route = router.get(f"{BASE}/Patient").respond(200, json=load("patients"))
    patients = make_emr().find_patients(PHONE)
    assert query(route.calls[0].request) == [("phone", "5125550123")]
    assert len(patients) == 1  # the 0199 patient matched only as a prefix: dropped
    jane = patients[0]
    assert (jane.id, jane.phone, jane.given_name, jane.family_name, jane.email) == (
        JANE_ID,
        PHONE,
        "Jane",
        "Doe",
        "jane.doe@example.com",
    )


def test_create_patient_with_phone_only_is_a_prospect_without_requests(
    router: respx.MockRouter,
) -> None:
    patient = make_emr().create_patient(PHONE, "Jane")
    assert patient.id.startswith("prospect:") and patient.phone == PHONE
    prospect = decode_prospect(patient.id)
    assert prospect is not None and (prospect.phone, prospect.given_name) == (PHONE, "Jane")
    assert not router.calls


def test_create_full_patient_posts_a_valid_stu3_patient(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    route = router.post(f"{BASE}/Patient").respond(
        201, json={"resourceType": "Patient", "id": "p-9"}
    )
    patient = make_emr().create_patient(
        PHONE,
        "Jane",
        "Doe",
        "jane@example.com",
        birth_date=dt.date(1988, 2, 4),
        postal_code="78701",
    )
    assert patient.id == "p-9"
    body = json.loads(route.calls[0].request.content)
    validate_stu3(body)
    assert body["name"] == [{"use": "official", "family": "Doe", "given": ["Jane"]}]
    assert body["birthDate"] == "1988-02-04"
    assert body["address"] == [{"use": "home", "postalCode": "78701"}]
    assert {"system": "email", "value": "jane@example.com"} in body["telecom"]
    assert {"system": "phone", "use": "mobile", "value": "512-555-0123"} in body["telecom"]


def test_create_patient_409_is_duplicate(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    router.post(f"{BASE}/Patient").respond(409, json={"resourceType": "OperationOutcome"})
    with pytest.raises(DuplicatePatient):
        make_emr().create_patient(
            PHONE,
            "Jane",
            "Doe",
            "j@example.com",
            birth_date=dt.date(1988, 2, 4),
            postal_code="78701",
        )


# --- configuration ---------------------------------------------------------------------------
ENV = {"NEXTECH_CLIENT_ID": "app", "NEXTECH_USERNAME": "u", "NEXTECH_PASSWORD": "pw-SECRET"}
CLINIC_EMR = {"kind": "nextech", "practice_id": "nx-1", "location_id": "5"}


def test_from_env_reads_secrets_from_env_and_ids_from_the_clinic_file() -> None:
    emr = nextech_from_env(
        {**CLINIC_EMR, "prospect_email": "desk@glow.test"},
        {"dr-lee": "15", "nurse-kim": None},
        {"botox": {"appointment_type_id": 87, "appointment_purpose_id": "12"}, "peel": {}},
        {**ENV, "NEXTECH_BASE_URL": "https://sandbox.test/api", "NEXTECH_VALIDATE": "1"},
    )
    c = emr.config
    assert (c.client_id, c.username, c.password, c.practice_id, c.location_id) == (
        "app",
        "u",
        "pw-SECRET",
        "nx-1",
        "5",
    )
    assert c.providers == {"dr-lee": "15"}
    assert c.services["botox"].appointment_type_id == "87"
    assert c.services["peel"].appointment_type_id is None
    assert c.base_url == "https://sandbox.test/api" and c.validate_bodies
    assert c.prospect_email == "desk@glow.test" and c.schedule == "hold"
    assert "pw-SECRET" not in repr(c)  # the password stays out of logs


def test_from_env_names_every_missing_value() -> None:
    with pytest.raises(ValueError) as info:
        nextech_from_env({"kind": "nextech", "location_id": "5"}, {}, {}, {"NEXTECH_USERNAME": "u"})
    message = str(info.value)
    for name in ("NEXTECH_CLIENT_ID", "NEXTECH_PASSWORD", "emr.practice_id"):
        assert name in message
    assert "NEXTECH_USERNAME" not in message and "location_id" not in message


def test_invalid_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="schedule"):
        nextech_from_env({**CLINIC_EMR, "schedule": "maybe"}, {}, {}, ENV)


def test_query_string_has_no_unescaped_plus(router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).respond(200, json=token())
    route = router.get(f"{BASE}/Slot").respond(200, json=bundle())
    make_emr().find_slots(botox_query())
    raw = parse_qs(urlsplit(str(route.calls[0].request.url)).query)
    assert all("+" not in v for vs in raw.values() for v in vs)
