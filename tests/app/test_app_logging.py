"""LOG_FORMAT=json: one JSON object per line, scrubbed of numbers, bodies and payment links,
for structlog's loggers, the standard library's and gunicorn's."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from gunicorn.config import Config

from app.log_scrub import DROPPED, scrub_text
from app.logging import configure_logging
from app.server import GunicornLogger
from app.settings import load_settings

PATIENT = "+15125550123"


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging("INFO", "json")
    yield
    configure_logging("INFO", "console")


def _lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_structlog_line_is_json_with_numbers_masked_and_bodies_dropped(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    structlog.get_logger("t").info(
        f"sent to {PATIENT}",
        patient=PATIENT,
        body="my lips are swollen",
        payment_link_id="JPQ4S4TLJY6O3TMW",
        reply_body="see you then",
        nested={"to": PATIENT, "text": "hi"},
        ids=[PATIENT],
    )
    [line] = _lines(capsys.readouterr().err)
    assert line["level"] == "info" and "timestamp" in line
    assert line["event"] == "sent to +1512*****23"
    assert line["patient"] == "+1512*****23"
    assert line["body"] == line["payment_link_id"] == line["reply_body"] == DROPPED
    assert line["nested"] == {"to": "+1512*****23", "text": DROPPED}
    assert line["ids"] == ["+1512*****23"]
    assert PATIENT not in json.dumps(line) and "swollen" not in json.dumps(line)


def test_stdlib_and_exceptions_pass_the_same_scrub(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("messaging.telnyx").warning(
        "send failed to=%s link=%s", PATIENT, "https://square.link/u/AbC123xyz"
    )
    try:
        raise ValueError(f"bad number {PATIENT}")
    except ValueError:
        structlog.get_logger("t").exception("failed")
    stdlib, failure = _lines(capsys.readouterr().err)
    assert stdlib["event"] == "send failed to=+1512*****23 link=[payment link]"
    assert stdlib["level"] == "warning" and stdlib["logger"] == "messaging.telnyx"
    assert "ValueError: bad number +1512*****23" in failure["exception"]
    assert PATIENT not in failure["exception"]


def test_gunicorn_error_and_access_logs_are_scrubbed_json(
    json_logs: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = GunicornLogger(cfg)
    logger.error(f"worker saw {PATIENT}")
    logger.access_log.info(f'"GET /x?From=%2B15125550123 HTTP/1.1" 200 {PATIENT}')
    logger.access_log.info('"GET /checkout/loc_0a1b2c3d4e5f60718293a4b5 HTTP/1.1" 200')
    error, access, checkout = _lines(capsys.readouterr().err)
    assert error["event"] == "worker saw +1512*****23" and error["logger"] == "gunicorn.error"
    assert access["event"] == '"GET /x?From=+1512*****23 HTTP/1.1" 200 +1512*****23'
    assert checkout["event"] == '"GET /checkout/[payment link] HTTP/1.1" 200'


def test_console_format_is_key_value_and_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")
    structlog.get_logger("t").info("inbound", sender=PATIENT, text="hello")
    err = capsys.readouterr().err
    assert "event='inbound'" in err and "sender='+1512*****23'" in err
    assert "hello" not in err and PATIENT not in err


def test_scrub_text_leaves_other_numbers_alone() -> None:
    assert scrub_text("appointment 12345 at 2026-11-23 cost 15000") == (
        "appointment 12345 at 2026-11-23 cost 15000"
    )
    assert scrub_text("checkout https://x.test/checkout/loc_0a1b2c3d4e") == (
        "checkout [payment link]"
    )
    assert scrub_text("id loc_0a1b2c3d4e5f") == "id [payment link]"


def test_log_format_setting_is_validated() -> None:
    assert load_settings({"LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        load_settings({"LOG_FORMAT": "xml"})
