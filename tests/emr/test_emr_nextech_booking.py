"""``NextechEMR`` appointments: book, confirm, cancel, read, reschedule; retries and errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from emr.base import (
    EMRError,
    EMRUnavailable,
    NotCancellable,
    RateLimited,
    Slot,
    SlotQuery,
    SlotUnavailable,
)
from emr.nextech import NextechEMR
from emr.nextech_fhir import EXT_PURPOSE, EXT_SCHEDULE, EXT_TYPE, validate_stu3
from tests.emr.nextech_payloads import (
    BASE,
    CHICAGO,
    JANE_ID,
    PHONE,
    TOKEN_URL,
    appointment,
    bundle,
    load,
    make_config,
    make_emr,
    token,
)

TUESDAY = dt.datetime(2026, 3, 3, tzinfo=CHICAGO)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.post(TOKEN_URL).respond(200, json=token())
        yield mock


@pytest.fixture
def emr() -> NextechEMR:
    return make_emr()


def sent(route: respx.Route, index: int = -1) -> dict[str, Any]:
    """The JSON body of a call, checked to be valid STU3 (partial for status PUTs)."""
    body = json.loads(route.calls[index].request.content)
    validate_stu3(body, partial=route.calls[index].request.method == "PUT")
    return body


def lee_slot(router: respx.MockRouter, emr: NextechEMR) -> Slot:
    """Dr. Lee's 10:00 Tuesday slot, searched through the adapter."""
    router.get(f"{BASE}/Slot").respond(200, json=load("slots_page1"))
    q = SlotQuery("botox", 30, ("dr-lee",), TUESDAY, TUESDAY + dt.timedelta(days=1))
    slots = emr.find_slots(q)
    return next(s for s in slots if s.provider_id == "dr-lee")


def extensions(body: dict[str, Any]) -> dict[str, Any]:
    return {
        e["url"]: e.get("valueString") or e["valueReference"]["reference"]
        for e in body["extension"]
    }


# --- book -------------------------------------------------------------------------------------
def test_book_existing_patient_posts_a_proposed_hold(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    slot = lee_slot(router, emr)
    post = router.post(f"{BASE}/Appointment/").respond(201, json=appointment("proposed"))
    appt = emr.book(slot, JANE_ID)
    assert (appt.id, appt.status, appt.provider_id) == ("5453", "proposed", "dr-lee")
    assert (appt.start, appt.end) == (slot.start, slot.end)
    body = sent(post)
    assert body["status"] == "proposed"
    assert (body["start"], body["end"]) == (
        "2026-03-03T10:00:00-06:00",
        "2026-03-03T10:30:00-06:00",
    )
    assert [p["actor"]["reference"] for p in body["participant"]] == [
        f"patient/{JANE_ID}",
        "location/5",
        "practitioner/15",
    ]
    assert extensions(body) == {
        EXT_TYPE: "appointment-type/87",
        EXT_PURPOSE: "appointment-purpose/12",
        EXT_SCHEDULE: "hold",
    }
    assert "contained" not in body


def test_book_prospect_sends_a_contained_patient(router: respx.MockRouter, emr: NextechEMR) -> None:
    slot = lee_slot(router, emr)
    post = router.post(f"{BASE}/Appointment/").respond(201, json=appointment("proposed"))
    prospect = emr.create_patient(PHONE)
    emr.book(slot, prospect.id)
    body = sent(post)
    assert [p["actor"]["reference"] for p in body["participant"]] == [
        "location/5",
        "practitioner/15",
    ]
    assert body["contained"] == [
        {
            "resourceType": "Patient",
            "name": [{"family": "Patient", "given": ["SMS"]}],
            "telecom": [
                {"system": "phone", "use": "mobile", "value": "512-555-0123"},
                {"system": "email", "value": "frontdesk@glow.test"},
            ],
        }
    ]


def test_book_prospect_without_any_email_fails_before_sending(router: respx.MockRouter) -> None:
    emr = make_emr(prospect_email=None)
    slot = lee_slot(router, emr)
    post = router.post(f"{BASE}/Appointment/").respond(201, json=appointment())
    with pytest.raises(EMRError, match="email"):
        emr.book(slot, emr.create_patient(PHONE, "Jane", "Doe").id)
    assert post.call_count == 0


def test_book_409_is_slot_unavailable_with_nextech_reason(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    slot = lee_slot(router, emr)
    router.post(f"{BASE}/Appointment/").respond(409, json=load("appointment_conflict"))
    with pytest.raises(SlotUnavailable, match="no longer available"):
        emr.book(slot, JANE_ID)


def test_book_refuses_tampered_or_foreign_tokens(router: respx.MockRouter, emr: NextechEMR) -> None:
    slot = lee_slot(router, emr)
    with pytest.raises(SlotUnavailable, match="does not match"):
        emr.book(dataclasses.replace(slot, provider_id="nurse-kim"), JANE_ID)
    with pytest.raises(SlotUnavailable, match="malformed"):
        emr.book(dataclasses.replace(slot, token="bm9wZQ"), JANE_ID)
    with pytest.raises(SlotUnavailable, match="another Nextech practice"):
        make_emr(practice_id="nx-2").book(slot, JANE_ID)
    assert not [
        c
        for c in router.calls
        if c.request.method == "POST" and "Appointment" in str(c.request.url)
    ]


def test_book_book_schedule_mode(router: respx.MockRouter) -> None:
    emr = make_emr(schedule="book")
    slot = lee_slot(router, emr)
    post = router.post(f"{BASE}/Appointment/").respond(201, json=appointment())
    emr.book(slot, JANE_ID)
    assert extensions(sent(post))[EXT_SCHEDULE] == "book"


# --- confirm / cancel / read -----------------------------------------------------------------
def test_confirm_puts_status_booked(router: respx.MockRouter, emr: NextechEMR) -> None:
    put = router.put(f"{BASE}/Appointment/5453").respond(200, json=appointment("booked"))
    appt = emr.confirm("5453")
    assert sent(put) == {"resourceType": "Appointment", "status": "booked"}
    assert (appt.status, appt.provider_id) == ("booked", "dr-lee")


def test_confirm_without_body_reads_the_appointment_back(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    router.put(f"{BASE}/Appointment/5453").respond(200)
    read = router.get(f"{BASE}/Appointment").respond(200, json=bundle(appointment("booked")))
    assert emr.confirm("5453").status == "booked"
    assert read.calls[0].request.url.params["identifier"] == "5453"


def test_confirm_refused_is_slot_unavailable(router: respx.MockRouter, emr: NextechEMR) -> None:
    router.put(f"{BASE}/Appointment/5453").respond(422, json={"resourceType": "OperationOutcome"})
    with pytest.raises(SlotUnavailable):
        emr.confirm("5453")


def test_cancel_puts_status_cancelled(router: respx.MockRouter, emr: NextechEMR) -> None:
    put = router.put(f"{BASE}/Appointment/5453").respond(200, json=appointment("cancelled"))
    assert emr.cancel("5453").status == "cancelled"
    assert sent(put) == {"resourceType": "Appointment", "status": "cancelled"}


@pytest.mark.parametrize("code", [404, 422])
def test_cancel_refused_is_not_cancellable(
    router: respx.MockRouter, emr: NextechEMR, code: int
) -> None:
    router.put(f"{BASE}/Appointment/5453").respond(code)
    with pytest.raises(NotCancellable):
        emr.cancel("5453")


def test_no_show_puts_status_noshow(router: respx.MockRouter, emr: NextechEMR) -> None:
    put = router.put(f"{BASE}/Appointment/5453").respond(200, json=appointment("noshow"))
    assert emr.no_show("5453").status == "noshow"
    assert sent(put) == {"resourceType": "Appointment", "status": "noshow"}
    validate_stu3(sent(put), partial=True)  # "noshow" is an STU3 Appointment.status


def test_no_show_unknown_or_refused_is_an_error(router: respx.MockRouter, emr: NextechEMR) -> None:
    router.put(f"{BASE}/Appointment/5453").respond(404)
    with pytest.raises(EMRError, match="no Nextech appointment"):
        emr.no_show("5453")


def test_get_appointment_and_unknown_id(router: respx.MockRouter, emr: NextechEMR) -> None:
    route = router.get(f"{BASE}/Appointment")
    route.side_effect = [
        httpx.Response(200, json=bundle(appointment("booked"))),
        httpx.Response(200, json=bundle()),
    ]
    appt = emr.get_appointment("5453")
    assert (appt.id, appt.status, appt.provider_id) == ("5453", "booked", "dr-lee")
    assert appt.start == dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC)
    with pytest.raises(EMRError, match="no Nextech appointment"):
        emr.get_appointment("999")


# --- reschedule --------------------------------------------------------------------------------
def test_reschedule_books_new_before_cancelling_old(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    slot = lee_slot(router, emr)
    old = appointment("booked", id="4000", identifier=[{"use": "official", "value": "4000"}])
    router.get(f"{BASE}/Appointment").respond(200, json=bundle(old))
    order: list[str] = []

    def record(name: str, response: httpx.Response) -> Any:
        def side_effect(request: httpx.Request) -> httpx.Response:
            order.append(name)
            return response

        return side_effect

    post = router.post(f"{BASE}/Appointment/")
    post.side_effect = record("book new", httpx.Response(201, json=appointment("proposed")))
    confirm = router.put(f"{BASE}/Appointment/5453")
    confirm.side_effect = record("confirm new", httpx.Response(200, json=appointment("booked")))
    cancel = router.put(f"{BASE}/Appointment/4000")
    cancel.side_effect = record(
        "cancel old", httpx.Response(200, json={**old, "status": "cancelled"})
    )
    new = emr.reschedule("4000", slot)
    assert order == ["book new", "confirm new", "cancel old"]
    assert (new.id, new.status) == ("5453", "booked")
    assert sent(post)["participant"][0]["actor"]["reference"] == f"patient/{JANE_ID}"


def test_reschedule_to_a_taken_slot_leaves_the_old_one(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    slot = lee_slot(router, emr)
    router.get(f"{BASE}/Appointment").respond(200, json=bundle(appointment("proposed", id="4000")))
    router.post(f"{BASE}/Appointment/").respond(409, json=load("appointment_conflict"))
    cancel = router.put(f"{BASE}/Appointment/4000").respond(200)
    with pytest.raises(SlotUnavailable):
        emr.reschedule("4000", slot)
    assert cancel.call_count == 0


def test_reschedule_rolls_back_the_new_one_when_the_old_cannot_be_cancelled(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    slot = lee_slot(router, emr)
    router.get(f"{BASE}/Appointment").respond(200, json=bundle(appointment("proposed", id="4000")))
    router.post(f"{BASE}/Appointment/").respond(201, json=appointment("proposed"))
    router.put(f"{BASE}/Appointment/4000").respond(503)
    undo = router.put(f"{BASE}/Appointment/5453").respond(200, json=appointment("cancelled"))
    with pytest.raises(EMRUnavailable):
        emr.reschedule("4000", slot)
    assert sent(undo)["status"] == "cancelled"


# --- retries and failures ----------------------------------------------------------------------
def test_429_backs_off_then_succeeds(router: respx.MockRouter) -> None:
    sleeps: list[float] = []
    emr = make_emr(sleeps=sleeps)
    route = router.get(f"{BASE}/Patient")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(429),
        httpx.Response(200, json=load("patients")),
    ]
    assert [p.id for p in emr.find_patients(PHONE)] == [JANE_ID]
    assert route.call_count == 3 and len(sleeps) == 2  # the injected wait: no real sleeping


def test_default_backoff_honours_retry_after_in_both_forms(router: respx.MockRouter) -> None:
    sleeps: list[float] = []
    emr = NextechEMR(make_config(), http=httpx.Client(), sleep=sleeps.append)
    route = router.get(f"{BASE}/Patient")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "12"}),
        httpx.Response(429, headers={"Retry-After": "Wed, 31 Dec 2098 23:59:59 GMT"}),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, json=load("patients")),
    ]
    assert [p.id for p in emr.find_patients(PHONE)] == [JANE_ID]
    # the hint when longer than the backoff (0.5 s, 1 s, 2 s ...), capped at 30 s
    assert sleeps == [12.0, 30.0, 2.0]


def test_429_exhaustion_is_rate_limited(router: respx.MockRouter, emr: NextechEMR) -> None:
    route = router.get(f"{BASE}/Patient").respond(429)
    with pytest.raises(RateLimited):
        emr.find_patients(PHONE)
    assert route.call_count == emr.config.max_attempts


def test_429_on_booking_is_retried(router: respx.MockRouter, emr: NextechEMR) -> None:
    slot = lee_slot(router, emr)
    post = router.post(f"{BASE}/Appointment/")
    post.side_effect = [httpx.Response(429), httpx.Response(201, json=appointment())]
    assert emr.book(slot, JANE_ID).id == "5453"


def test_5xx_exhaustion_is_unavailable(router: respx.MockRouter, emr: NextechEMR) -> None:
    route = router.get(f"{BASE}/Slot").respond(503)
    q = SlotQuery("botox", 30, ("dr-lee",), TUESDAY, TUESDAY + dt.timedelta(days=1))
    with pytest.raises(EMRUnavailable):
        emr.find_slots(q)
    assert route.call_count == emr.config.max_attempts


def test_timeouts_are_retried_for_reads(router: respx.MockRouter, emr: NextechEMR) -> None:
    route = router.get(f"{BASE}/Patient")
    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(200, json=bundle())]
    assert emr.find_patients(PHONE) == []
    assert route.call_count == 2


def test_booking_is_not_retried_after_a_5xx_or_read_timeout(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    slot = lee_slot(router, emr)
    post = router.post(f"{BASE}/Appointment/")
    post.side_effect = [httpx.Response(500), httpx.ReadTimeout("slow")]
    with pytest.raises(EMRUnavailable):
        emr.book(slot, JANE_ID)
    with pytest.raises(EMRUnavailable):
        emr.book(slot, JANE_ID)
    assert post.call_count == 2  # once each: Nextech may have written it


def test_booking_is_retried_when_the_connection_never_opened(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    slot = lee_slot(router, emr)
    post = router.post(f"{BASE}/Appointment/")
    post.side_effect = [httpx.ConnectError("refused"), httpx.Response(201, json=appointment())]
    assert emr.book(slot, JANE_ID).id == "5453"


def test_login_outage_is_unavailable(emr: NextechEMR) -> None:
    with respx.mock() as mock:
        mock.post(TOKEN_URL).respond(502)
        with pytest.raises(EMRUnavailable):
            emr.find_patients(PHONE)


def test_runtime_validation_rejects_an_invalid_body(
    router: respx.MockRouter, emr: NextechEMR
) -> None:
    with pytest.raises(EMRError, match="invalid STU3"):
        emr._check({"resourceType": "Appointment", "start": "tuesday", "participant": []})
