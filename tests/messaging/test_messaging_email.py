"""The SMTP adapter against a real SMTP server on loopback (aiosmtpd), the recording mailer,
``SMTP_URL`` parsing and the failure classes (4xx transient, 5xx permanent)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.settings import SettingsError, load_settings
from messaging.email import (
    MailError,
    OutboundEmail,
    RecordingMailer,
    SmtpConfig,
    SmtpMailer,
    parse_smtp_url,
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An aiosmtpd handler that stores every accepted message; it can refuse first.

    Args:
        refuse: SMTP replies given to the first RCPT commands, one per attempt, in order
            (e.g. ``["451 4.3.0 Try again later"]``); later attempts are accepted.
    """

    def __init__(self, refuse: list[str] | None = None) -> None:
        self.refuse = list(refuse or [])
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Accept login ``staff`` / ``p@ss word`` only."""
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # handled=False: aiosmtpd answers 535 itself on failure.
        return AuthResult(success=(login, password) == ("staff", "p@ss word"), handled=False)


def start_smtp(sink: SmtpSink, port: int | None = None, **smtp_params: Any) -> Controller:
    """Start an SMTP server for ``sink`` on 127.0.0.1 (a free port unless given)."""
    controller = Controller(
        sink, hostname="127.0.0.1", port=port or free_port(), ready_timeout=5, **smtp_params
    )
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpSink, Controller]]:
    """A plain SMTP server on loopback that accepts everything."""
    sink = SmtpSink()
    controller = start_smtp(sink)
    yield sink, controller
    controller.stop()


EMAIL = OutboundEmail(
    to_address="owner@glow.example.com",
    subject="[frontdesk] New booking: Botox, Thu Nov 26 at 4:00 PM CST",
    body="New booking: Botox, Thu Nov 26 at 4:00 PM CST, deposit $50.00 paid\n",
    message_id="<staff-email-7@frontdesk>",
)


# --------------------------------------------------------------------------- SMTP_URL


def test_smtp_url_forms_parse_with_default_ports_and_decoded_credentials() -> None:
    plain = parse_smtp_url("smtp://user%40x.com:p%40ss@mail.example.com")
    assert (plain.host, plain.port, plain.use_ssl) == ("mail.example.com", 587, False)
    assert (plain.username, plain.password) == ("user@x.com", "p@ss")
    tls = parse_smtp_url("smtps://u:p@mail.example.com")
    assert (tls.port, tls.use_ssl) == (465, True)
    assert parse_smtp_url("smtp://127.0.0.1:2525").port == 2525
    assert "p@ss" not in repr(plain)  # the password never shows in a repr or log line


@pytest.mark.parametrize(
    "url", ["http://mail.example.com", "smtp://", "smtp://u:secret@host:notaport", "mail:25"]
)
def test_invalid_smtp_url_is_a_settings_error_naming_it_without_the_secret(url: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings({"SMTP_URL": url})
    assert "SMTP_URL" in str(err.value)
    assert "secret" not in str(err.value)


def test_smtp_settings_default_to_recording_and_check_the_sender() -> None:
    settings = load_settings({})
    assert settings.smtp_url is None and settings.smtp_from == "frontdesk@localhost"
    ok = load_settings({"SMTP_URL": "smtps://u:p@mail.example.com:465", "SMTP_FROM": "a@b.co"})
    assert ok.smtp_url == "smtps://u:p@mail.example.com:465"
    with pytest.raises(SettingsError, match="SMTP_FROM"):
        load_settings({"SMTP_FROM": "not an address"})


# --------------------------------------------------------------------------- real SMTP


def test_smtp_mailer_delivers_to_a_real_server_on_loopback(
    smtp_server: tuple[SmtpSink, Controller],
) -> None:
    sink, controller = smtp_server
    mailer = SmtpMailer.from_url(
        f"smtp://127.0.0.1:{controller.port}", "Glow Front Desk <desk@glow.example.com>"
    )
    mailer.send(EMAIL)
    assert len(sink.received) == 1
    got = sink.received[0]
    assert got["To"] == "owner@glow.example.com"
    assert got["From"] == "Glow Front Desk <desk@glow.example.com>"
    assert got["Subject"] == EMAIL.subject
    assert got["Message-ID"] == "<staff-email-7@frontdesk>"
    assert got.get_content().strip() == EMAIL.body.strip()
    assert sink.envelopes == [("desk@glow.example.com", ["owner@glow.example.com"])]


def test_smtp_mailer_logs_in_with_the_url_credentials() -> None:
    sink = SmtpSink()
    controller = start_smtp(sink, authenticator=sink.authenticate, auth_require_tls=False)
    try:
        good = SmtpMailer.from_url(
            f"smtp://staff:p%40ss%20word@127.0.0.1:{controller.port}", "a@b.co"
        )
        good.send(EMAIL)
        assert sink.logins == [("staff", "p@ss word")] and len(sink.received) == 1
        bad = SmtpMailer.from_url(f"smtp://staff:wrong@127.0.0.1:{controller.port}", "a@b.co")
        with pytest.raises(MailError) as err:
            bad.send(EMAIL)
        assert err.value.permanent and err.value.code == 535
        assert "wrong" not in str(err.value)
        assert len(sink.received) == 1
    finally:
        controller.stop()


def test_credentials_are_never_sent_in_plain_text_to_a_remote_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink = SmtpSink()
    controller = start_smtp(sink, authenticator=sink.authenticate, auth_require_tls=False)
    try:
        # The server offers no STARTTLS; pretend it is not on this machine.
        monkeypatch.setattr(SmtpConfig, "is_loopback", property(lambda self: False))
        mailer = SmtpMailer.from_url(
            f"smtp://staff:p%40ss%20word@127.0.0.1:{controller.port}", "a@b.co"
        )
        with pytest.raises(MailError, match="without TLS") as err:
            mailer.send(EMAIL)
        assert err.value.permanent
        assert sink.logins == [] and sink.received == []
    finally:
        controller.stop()


def test_a_4xx_reply_is_transient_and_a_5xx_reply_is_permanent() -> None:
    sink = SmtpSink(refuse=["451 4.3.0 Try again later", "550 5.1.1 No such user"])
    controller = start_smtp(sink)
    try:
        mailer = SmtpMailer.from_url(f"smtp://127.0.0.1:{controller.port}", "a@b.co")
        with pytest.raises(MailError) as first:
            mailer.send(EMAIL)
        assert first.value.code == 451 and not first.value.permanent
        with pytest.raises(MailError) as second:
            mailer.send(EMAIL)
        assert second.value.code == 550 and second.value.permanent
        mailer.send(EMAIL)
        assert len(sink.received) == 1
    finally:
        controller.stop()


def test_connection_refused_is_transient() -> None:
    mailer = SmtpMailer.from_url(f"smtp://127.0.0.1:{free_port()}", "a@b.co", timeout=2)
    with pytest.raises(MailError) as err:
        mailer.send(EMAIL)
    assert not err.value.permanent and err.value.code is None


# --------------------------------------------------------------------------- recording


def test_recording_mailer_keeps_sent_emails_and_plays_scripted_failures() -> None:
    mailer = RecordingMailer(fail_with=[MailError("busy", code=421)])
    with pytest.raises(MailError):
        mailer.send(EMAIL)
    mailer.send(EMAIL)
    assert mailer.sent == [EMAIL] and len(mailer.attempts) == 2
    mailer.fail_next(MailError("no", code=550, permanent=True))
    with pytest.raises(MailError):
        mailer.send(EMAIL)
    mailer.clear()
    assert mailer.sent == [] and mailer.attempts == []
