"""``app.untrusted``: cleaning text for storage, fitting ids to columns, bounded JSON."""

from __future__ import annotations

import json

import pytest

from app.untrusted import UntrustedJSON, clean_text, fit, load_json


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain text", "plain text"),
        ("a\x00b\x00", "ab"),
        ("lone \ud83d high", "lone \ufffd high"),
        ("\udc00 lone low", "\ufffd lone low"),
        ("emoji 😀 stays", "emoji 😀 stays"),
        ("\x01 other controls stay \t", "\x01 other controls stay \t"),
    ],
)
def test_clean_text_drops_nul_and_replaces_lone_surrogates(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    clean_text(raw).encode("utf-8")  # always encodable


def test_fit_keeps_short_ids_and_shortens_long_ones_stably() -> None:
    assert fit("SM123", 100) == "SM123"
    assert fit("x" * 100, 100) == "x" * 100
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert len(fit(long_a, 100)) == 100
    assert fit(long_a, 100) == fit(long_a, 100)  # a redelivery maps to the same stored id
    assert fit(long_a, 100) != fit(long_b, 100)  # a shared prefix does not collide
    assert fit(long_a, 100).startswith("x" * 67 + "~")
    assert len(fit("\ud800" * 50, 33)) == 33


def test_fit_needs_room_for_its_digest() -> None:
    with pytest.raises(ValueError, match="at least 33"):
        fit("x" * 40, 32)


def test_load_json_cleans_every_string_and_keeps_order() -> None:
    raw = json.dumps({"a\x00": ["x\x00", {"k": "\ud800"}, 1, 2.5, None, True], "b": "ok"})
    assert load_json(raw.encode()) == {"a": ["x", {"k": "\ufffd"}, 1, 2.5, None, True], "b": "ok"}
    assert load_json('"\\u0000"') == ""


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 33 + b"]" * 33,
        b"[" * 200_000 + b"]" * 200_000,
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e400}',
        b"9" * 5000,
        b"\xff",
        b"{",
        b"",
    ],
    ids=[
        "33-deep",
        "stack-deep",
        "nan",
        "infinity",
        "overflow",
        "5000-digits",
        "not-utf8",
        "cut",
        "empty",
    ],
)
def test_load_json_refuses_what_no_route_should_take(raw: bytes) -> None:
    with pytest.raises(UntrustedJSON):
        load_json(raw)


def test_load_json_takes_nesting_up_to_its_depth() -> None:
    assert load_json(b"[" * 32 + b"]" * 32) is not None
    assert load_json(b'{"a": {"b": {"c": []}}}', max_depth=4) == {"a": {"b": {"c": []}}}
    with pytest.raises(UntrustedJSON, match="deeper than 3"):
        load_json(b'{"a": {"b": {"c": []}}}', max_depth=3)
