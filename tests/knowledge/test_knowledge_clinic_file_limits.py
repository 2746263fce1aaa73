"""Every integer of the clinic file has an upper bound, and a file that is not UTF-8, nested
absurdly deep or swollen by YAML aliases is one clear error naming the file, from
``frontdesk seed`` and the knowledge API alike, never a traceback (issue 11)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.context import AppContext
from knowledge.apikeys import create_key
from knowledge.clinic_file import (
    MAX_DEPOSIT_CENTS,
    MAX_DEPTH,
    ClinicFileError,
    load_clinic_file,
    parse_clinic_file,
)
from tests.knowledge.test_knowledge_api import URL, auth, make_app

#: (path in the file, largest value accepted). Each bound is documented in clinic_file.py.
BOUNDS = [
    ("clinic.booking.hold_minutes", 24 * 60),
    ("clinic.booking.new_patient_deposit_cents", MAX_DEPOSIT_CENTS),
    ("clinic.booking.cancellation_notice_hours", 30 * 24),
    ("clinic.booking.slot_interval_minutes", 240),
    ("clinic.booking.max_days_ahead", 365),
    ("clinic.booking.min_notice_minutes", 7 * 24 * 60),
    ("clinic.textback_window_hours", 30 * 24),
    ("clinic.burst_window_seconds", 60),
    ("clinic.segment_budget", 10),
    ("services[1].duration_minutes", 12 * 60),
    ("services[1].buffer_minutes", 240),
    ("services[1].deposit_cents", MAX_DEPOSIT_CENTS),
]


def _set(data: dict[str, Any], path: str, value: int) -> None:
    """Set ``data`` at ``path`` (``a.b[1].c``), creating the last level."""
    node: Any = data
    parts = path.replace("[", ".[").split(".")
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node.setdefault(part, {})
    node[parts[-1]] = value


@pytest.mark.parametrize(("path", "largest"), BOUNDS, ids=[p for p, _ in BOUNDS])
def test_every_integer_has_an_upper_bound(
    demo_data: dict[str, Any], path: str, largest: int
) -> None:
    at_bound = copy.deepcopy(demo_data)
    _set(at_bound, path, largest)
    parse_clinic_file(at_bound)
    for too_big in (largest + 1, 2**31, 10**30):
        over = copy.deepcopy(demo_data)
        _set(over, path, too_big)
        with pytest.raises(ClinicFileError) as info:
            parse_clinic_file(over)
        assert info.value.problems == [f"{path}: Input should be less than or equal to {largest}"]


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _scratch_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``frontdesk seed`` reads the environment: keep any database it opens in tmp_path."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))


def _seed(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """``frontdesk seed PATH``: must exit 2 before touching a database; returns stderr."""
    assert main(["seed", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("frontdesk: invalid clinic file:") and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("name", "content", "byte"),
    [
        ("latin1.json", '{"clinic": {"name": "Caf\xe9 Glow"}}'.encode("latin-1"), "0xe9"),
        ("notepad.json", '{"clinic": {}}'.encode("utf-16"), "0xff"),
        ("latin1.yaml", "clinic:\n  name: Caf\xe9\n".encode("latin-1"), "0xe9"),
    ],
)
def test_a_file_that_is_not_utf8_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, byte: str
) -> None:
    path = _write(tmp_path, name, content)
    err = _seed(path, capsys)
    assert f"{path} is not UTF-8 text (byte {byte} at offset" in err
    assert "save it as UTF-8" in err


def test_a_utf8_file_with_a_byte_order_mark_loads(
    tmp_path: Path, demo_data: dict[str, Any]
) -> None:
    path = _write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(demo_data).encode())
    assert load_clinic_file(path).clinic.id == "glow-austin"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deep.json", '{"clinic": ' + "[" * 2000 + "]" * 2000 + "}"),
        ("deep.yaml", "clinic: " + "[" * 800 + "]" * 800 + "\n"),
    ],
)
def test_a_file_nested_past_the_parsers_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str
) -> None:
    err = _seed(_write(tmp_path, name, content), capsys)
    assert f"nested more than {MAX_DEPTH} levels deep" in err


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_nesting_the_parsers_accept_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_data: dict[str, Any]
) -> None:
    demo_data["services"][0]["emr"] = _nested(200)  # free-form ids: any JSON was accepted
    err = _seed(_write(tmp_path, "deep-emr.json", json.dumps(demo_data)), capsys)
    assert f"(file): nested more than {MAX_DEPTH} levels deep" in err


def test_a_yaml_alias_bomb_stops_early(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):  # 10**9 values once every alias is expanded
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    err = _seed(_write(tmp_path, "laughs.yaml", "\n".join(lines) + "\n"), capsys)
    assert "values; not a clinic file" in err


def test_the_knowledge_api_answers_deep_bodies_with_400_or_422(
    make_ctx: Callable[..., AppContext], database_url: str, demo_data: dict[str, Any]
) -> None:
    ctx = make_ctx(database_url)
    key = create_key(ctx.db, "glow-austin", "owner")
    with make_app(ctx).test_client() as client:
        too_deep = b'{"clinic": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        r = client.post(URL, data=too_deep, headers=auth(key), content_type="application/json")
        assert r.status_code == 400 and r.get_json()["error"].startswith("malformed JSON")
        demo_data["services"][0]["emr"] = _nested(200)
        r = client.post(URL, json=demo_data, headers=auth(key))
        assert r.status_code == 422
        assert r.get_json()["problems"] == [
            f"(file): nested more than {MAX_DEPTH} levels deep; not a clinic file"
        ]
