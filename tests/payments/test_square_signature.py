"""Square webhook signature checks against the official SDK test vector (protocols.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from payments.square import verify_signature

# square-python-sdk tests/integration/test_webhooks_helper.py
KEY = "Ibxx_5AKakO-3qeNVR61Dw"
URL = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
BODY = (
    '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
    '"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f",'
    '"created_at":"2022-07-13T20:30:59.037339943Z",'
    '"data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}'
)
SIGNATURE = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="


def test_official_vector_passes_as_str_and_bytes() -> None:
    assert verify_signature(KEY, URL, BODY, SIGNATURE)
    assert verify_signature(KEY, URL, BODY.encode("utf-8"), SIGNATURE)


def test_vector_matches_independent_hmac() -> None:
    digest = hmac.new(KEY.encode(), (URL + BODY).encode(), hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == SIGNATURE


@pytest.mark.parametrize(
    ("key", "url", "body", "sig"),
    [
        (KEY, URL, BODY.replace("MLEFBHHSJGVHD", "MLEFBHHSJGVHE"), SIGNATURE),
        (KEY, URL, BODY + " ", SIGNATURE),
        (KEY, URL + "/", BODY, SIGNATURE),
        (KEY, URL.replace("https", "http"), BODY, SIGNATURE),
        (KEY, URL, BODY, SIGNATURE[:-2] + "A="),
        (KEY + "x", URL, BODY, SIGNATURE),
    ],
    ids=["body-changed", "body-extra-space", "url-slash", "url-scheme", "sig-changed", "wrong-key"],
)
def test_tampering_fails(key: str, url: str, body: str, sig: str) -> None:
    assert not verify_signature(key, url, body, sig)


@pytest.mark.parametrize("sig", [None, ""])
def test_missing_signature_fails(sig: str | None) -> None:
    assert not verify_signature(KEY, URL, BODY, sig)


def test_empty_inputs_fail_without_raising() -> None:
    assert not verify_signature("", URL, BODY, SIGNATURE)
    assert not verify_signature(KEY, "", BODY, SIGNATURE)
    assert not verify_signature(KEY, URL, b"", SIGNATURE)
    assert not verify_signature(KEY, URL, b"\xff\xfe", SIGNATURE)


def test_non_ascii_signature_header_fails_without_raising() -> None:
    assert not verify_signature(KEY, URL, BODY, "é" * 44)
