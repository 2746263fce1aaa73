"""A phone number shared by several Nextech charts is never guessed between: the patient's name
decides, else a new prospect is booked for staff to merge (Nextech faked over HTTP)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import respx

from booking.patients import patient_for
from emr.nextech_fhir import decode_prospect
from tests.emr.nextech_payloads import BASE, JANE_ID, PHONE, TOKEN_URL, load, make_emr, token

MIA_ID = "5a5a5a5a-1111-4c4c-9d9d-666677778888"


def _family_bundle() -> dict[str, Any]:
    """Jane's chart and her daughter Mia's, both on the family's mobile number."""
    bundle = load("patients")
    mia = copy.deepcopy(bundle["entry"][0])
    mia["resource"].update(
        id=MIA_ID,
        identifier=[{"use": "official", "value": MIA_ID}],
        name=[{"use": "official", "family": "Doe", "given": ["Mia"]}],
    )
    bundle["entry"] = [bundle["entry"][0], mia]
    return bundle


@pytest.fixture
def family() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True) as router:
        router.post(TOKEN_URL).respond(200, json=token())
        router.get(f"{BASE}/Patient").respond(200, json=_family_bundle())
        yield router


def test_the_name_the_patient_gave_picks_their_chart(family: respx.MockRouter) -> None:
    assert patient_for(make_emr(), PHONE, "mia doe").id == MIA_ID
    assert patient_for(make_emr(), PHONE, "Jane").id == JANE_ID


def test_without_a_name_no_chart_is_guessed_and_a_prospect_is_booked(
    family: respx.MockRouter,
) -> None:
    patient = patient_for(make_emr(), PHONE)
    assert patient.id.startswith("prospect:")  # staff merge it into the right chart
    prospect = decode_prospect(patient.id)
    assert prospect is not None and prospect.phone == PHONE


def test_a_name_matching_no_chart_is_a_new_prospect_with_that_name(
    family: respx.MockRouter,
) -> None:
    patient = patient_for(make_emr(), PHONE, "Rosa Diaz")
    assert patient.id.startswith("prospect:")
    assert (patient.given_name, patient.family_name) == ("Rosa", "Diaz")


def test_a_single_chart_is_used_unless_the_name_is_someone_elses() -> None:
    with respx.mock(assert_all_mocked=True) as router:
        router.post(TOKEN_URL).respond(200, json=token())
        router.get(f"{BASE}/Patient").respond(200, json=load("patients"))
        assert patient_for(make_emr(), PHONE).id == JANE_ID
        assert patient_for(make_emr(), PHONE, "jane").id == JANE_ID
        # her daughter texting from Jane's phone is not booked on Jane's chart
        assert patient_for(make_emr(), PHONE, "Mia").id.startswith("prospect:")
