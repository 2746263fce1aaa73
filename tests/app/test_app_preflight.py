"""``frontdesk check`` and ``frontdesk serve`` refuse a half-configured production (issue 11):
a carrier's webhook key without its API key (or the reverse), Postgres or carrier keys without
a deposit provider, a ``PUBLIC_BASE_URL`` on this machine. Clear message, non-zero exit, no
traceback; a complete configuration and the embedded default pass."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.preflight import check_settings, is_loopback_url
from app.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
PG = "postgresql://frontdesk:pw@db.internal:5432/frontdesk"
PUBLIC = "https://desk.glow.example"
SQUARE = {
    "SQUARE_ACCESS_TOKEN": "EAAA-token",
    "SQUARE_LOCATION_ID": "L123",
    "SQUARE_WEBHOOK_SIGNATURE_KEY": "sig-key",
}
TELNYX = {"TELNYX_API_KEY": "KEY_live", "TELNYX_PUBLIC_KEY": "cHVibGlj"}
TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token"}
#: A production configuration with nothing half-set.
SECRET = {"SECRET_KEY": "s" * 40}
READY = {"DATABASE_URL": PG, "PUBLIC_BASE_URL": PUBLIC, **TELNYX, **TWILIO, **SQUARE, **SECRET}


def _settings(tmp_path: Path, env: dict[str, str]) -> Settings:
    return load_settings(env, instance_path=tmp_path)


def _problems(tmp_path: Path, env: dict[str, str]) -> list[str]:
    return check_settings(_settings(tmp_path, env)).problems


def _without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in names}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No frontdesk variable from the outer environment; the instance folder in tmp_path."""
    for name in [*Settings.model_fields, "sms_provider"]:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    return monkeypatch


def test_a_complete_production_and_the_embedded_default_pass(tmp_path: Path) -> None:
    assert _problems(tmp_path, READY) == []
    assert check_settings(_settings(tmp_path, READY)).production
    embedded = check_settings(_settings(tmp_path, {}))
    assert embedded.problems == [] and not embedded.production
    assert any("REDIS_URL" in item for item in embedded.missing)


@pytest.mark.parametrize(
    ("drop", "names"),
    [
        (("TELNYX_API_KEY",), ["TELNYX_PUBLIC_KEY", "TELNYX_API_KEY"]),
        (("TELNYX_PUBLIC_KEY",), ["TELNYX_API_KEY", "TELNYX_PUBLIC_KEY"]),
        (("TWILIO_AUTH_TOKEN",), ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]),
        (("TWILIO_ACCOUNT_SID",), ["TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"]),
        (
            ("SQUARE_WEBHOOK_SIGNATURE_KEY",),
            ["Square is half-set (SQUARE_WEBHOOK_SIGNATURE_KEY unset)"],
        ),
        (("SQUARE_LOCATION_ID",), ["Square is half-set (SQUARE_LOCATION_ID unset)"]),
        (("SQUARE_ACCESS_TOKEN",), ["Square is half-set (SQUARE_ACCESS_TOKEN unset)"]),
        (tuple(SQUARE), ["DATABASE_URL is Postgres", "no deposit provider", "SQUARE_"]),
    ],
)
def test_each_half_set_vendor_is_named(
    tmp_path: Path, drop: tuple[str, ...], names: list[str]
) -> None:
    problems = _problems(tmp_path, _without(READY, *drop))
    assert problems and len([p for p in problems if all(n in p for n in names)]) == 1


def test_carrier_keys_without_a_deposit_provider_on_sqlite(tmp_path: Path) -> None:
    env = {"PUBLIC_BASE_URL": PUBLIC, **TELNYX}
    [problem] = _problems(tmp_path, env)
    assert "carrier keys are set" in problem and "no deposit provider" in problem
    assert _problems(tmp_path, {**env, "FRONTDESK_DEMO_CHECKOUT": "1"}) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",
        "https://localhost",
        "http://127.0.0.1:8000",
        "http://127.1.2.3",
        "http://[::1]:8000",
        "http://0.0.0.0:8000",
        "https://desk.localhost",
    ],
)
def test_a_public_base_url_on_this_machine_is_refused_in_production(
    tmp_path: Path, url: str
) -> None:
    assert is_loopback_url(url)
    [problem] = _problems(tmp_path, {**READY, "PUBLIC_BASE_URL": url})
    assert "PUBLIC_BASE_URL" in problem and "cannot reach it" in problem
    assert _problems(tmp_path, {"PUBLIC_BASE_URL": url}) == []  # embedded default: fine


@pytest.mark.parametrize("url", [PUBLIC, "https://10.0.0.5", "https://localhost.glow.example"])
def test_a_reachable_public_base_url_passes(tmp_path: Path, url: str) -> None:
    assert not is_loopback_url(url)
    assert _problems(tmp_path, {**READY, "PUBLIC_BASE_URL": url}) == []


def test_check_prints_the_configuration_without_secrets(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in READY.items():
        clean_env.setenv(name, value)
    clean_env.setenv("SMTP_URL", "smtp://owner:mailpw@mail.glow.example:587")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "production" in out and "no half-set production settings" in out
    assert "Telnyx, Twilio" in out and "Square payment links (sandbox)" in out
    assert "db.internal" in out and "mail.glow.example" in out
    for secret in ("pw@", "mailpw", "KEY_live", "EAAA-token", "sig-key", "token"):
        assert secret not in out


def test_check_exits_non_zero_naming_what_is_half_set(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", PG)
    clean_env.setenv("TELNYX_PUBLIC_KEY", "cHVibGlj")
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert "TELNYX_PUBLIC_KEY is set but TELNYX_API_KEY is not" in captured.out
    assert "no deposit provider" in captured.out
    assert "PUBLIC_BASE_URL is http://localhost:8000" in captured.out
    assert "Traceback" not in captured.out + captured.err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_refuses_to_start_half_configured(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in Settings.model_fields and k != "SMS_PROVIDER"
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": PG,
            "TELNYX_API_KEY": "KEY_live",
            "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        }
    )
    # Without the check gunicorn would start and serve: the timeout turns that into a failure.
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(_free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("frontdesk: refusing to start: half-set production settings")
    assert "TELNYX_API_KEY is set but TELNYX_PUBLIC_KEY is not" in done.stderr
    assert "no deposit provider" in done.stderr and "PUBLIC_BASE_URL" in done.stderr
    assert "Traceback" not in done.stderr and "Booting worker" not in done.stderr


def test_production_needs_a_secret_key_for_web_sessions(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, _without(READY, "SECRET_KEY"))
    assert "SECRET_KEY" in problem and "32" in problem
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        _settings(tmp_path, {**READY, "SECRET_KEY": "too-short"})
