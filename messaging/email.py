"""Email to staff: a ``Mailer`` interface, an SMTP adapter, a recording one, and delivery.

Staff emails follow the same rule as texts (DESIGN.md §1): a :class:`~messaging.models.StaffEmail`
row is saved first (``messaging.staff.notify_staff``), its id is registered on the session
under :data:`PENDING_KEY`, and after the session commits the app enqueues one
``send_staff_email`` job per id (``app.context``). :func:`deliver_email` performs the SMTP
call for one row and stores the answer on it.

Failures:
- transient (connection refused or dropped, timeout, SMTP 4xx): the row stays ``queued`` with
  ``send_after`` set to a backoff; the sweeper (``app.flows.sweeper.run_due``) retries it, at most
  :data:`MAX_EMAIL_ATTEMPTS` attempts, then ``failed`` with the error recorded;
- permanent (SMTP 5xx, authentication refused, bad address): ``failed`` at once.

SMTP is Python's standard library: https://docs.python.org/3/library/smtplib.html (``SMTP``,
``SMTP_SSL``, ``starttls``, ``login``, ``send_message`` and the ``SMTPResponseException``
family whose ``smtp_code`` tells a 4xx from a 5xx) with ``email.message.EmailMessage``
(https://docs.python.org/3/library/email.message.html).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.settings import SmtpConfig, parse_smtp_url
from messaging.models import EmailStatus, StaffEmail

log = structlog.get_logger(__name__)

#: Session.info key listing staff email ids to hand to the send job once the session commits.
PENDING_KEY = "frontdesk_staff_email_ids"
#: SMTP attempts per staff email row before it is marked failed.
MAX_EMAIL_ATTEMPTS = 5
#: Wait before the next attempt after the n-th transient failure (seconds; last repeats).
EMAIL_RETRY_BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)
#: Default seconds for connecting to and talking with the SMTP server.
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class OutboundEmail:
    """One plain-text email to send."""

    to_address: str
    subject: str
    body: str
    #: Stable per row (``<staff-email-<id>@frontdesk>``) so a resend is recognisable.
    message_id: str | None = None


class MailError(Exception):
    """The mail server did not take the message.

    Attributes:
        code: the SMTP reply code when there was one (e.g. 451, 550), else None.
        permanent: True when retrying cannot help (5xx, authentication, bad address).
    """

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class Mailer(Protocol):
    """Sends one email; raises :class:`MailError` when it was not accepted."""

    name: str

    def send(self, email: OutboundEmail) -> None:
        """Hand ``email`` to the mail system.

        Raises:
            MailError: not accepted (``permanent`` tells whether to retry).
        """
        ...


def _classify(exc: Exception) -> MailError:
    """Map an smtplib/socket error to a :class:`MailError` (4xx transient, 5xx permanent)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = any(code >= 500 for code in codes)
        code = max(codes) if codes else None
        return MailError(f"recipient refused ({code})", code=code, permanent=permanent)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailError(
            f"SMTP login refused ({exc.smtp_code})", code=exc.smtp_code, permanent=True
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        )
        return MailError(
            f"SMTP {exc.smtp_code} {detail}".strip()[:300],
            code=exc.smtp_code,
            permanent=exc.smtp_code >= 500,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(f"SMTP server does not support it: {exc}"[:300], permanent=True)
    # SMTPServerDisconnected, ConnectionRefusedError, TimeoutError, DNS failure, TLS errors.
    return MailError(f"{type(exc).__name__}: {exc}"[:300])


class SmtpMailer:
    """Sends through an SMTP server with :mod:`smtplib`, one connection per message.

    Args:
        config: server, port, TLS mode and credentials (see :func:`parse_smtp_url`).
        sender: the ``From`` address (``SMTP_FROM``).
        timeout: seconds for the connection and each command.
    """

    name = "smtp"

    def __init__(
        self,
        config: SmtpConfig,
        sender: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.sender = sender
        self.timeout = timeout
        self._ssl_context = ssl_context

    @classmethod
    def from_url(
        cls, url: str, sender: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> SmtpMailer:
        """Build from ``SMTP_URL`` (raises ValueError like :func:`parse_smtp_url`)."""
        return cls(parse_smtp_url(url), sender, timeout=timeout)

    def _message(self, email: OutboundEmail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = email.to_address
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = email.message_id or make_msgid(domain="frontdesk")
        msg.set_content(email.body)
        return msg

    def send(self, email: OutboundEmail) -> None:
        """Connect, secure the session, log in when configured, and send ``email``.

        Raises:
            MailError: connection failure or timeout, or a 4xx reply (transient); a 5xx reply,
                refused login, or credentials without TLS to a remote server (permanent).
        """
        cfg = self.config
        context = self._ssl_context or ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if cfg.use_ssl:
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                secure = cfg.use_ssl
                if not secure and smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                    secure = True
                if cfg.username:
                    if not secure and not cfg.is_loopback:
                        raise MailError(
                            "refusing to send SMTP credentials without TLS (server offers no "
                            "STARTTLS; use smtps://)",
                            permanent=True,
                        )
                    smtp.login(cfg.username, cfg.password or "")
                smtp.send_message(self._message(email))
        except MailError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise _classify(exc) from exc


class RecordingMailer:
    """A ``Mailer`` that sends nothing: it keeps emails in ``sent`` (embedded default, tests).

    Args:
        fail_with: scripted outcomes consumed one per ``send`` call: a ``MailError`` is raised
            for that call, ``None`` lets it succeed; once used up, every send succeeds.

    Attributes:
        sent: accepted emails, in send order.
        attempts: every email passed to ``send``, including the ones that failed.
    """

    name = "recording"

    def __init__(self, fail_with: list[MailError | None] | None = None) -> None:
        self.sent: list[OutboundEmail] = []
        self.attempts: list[OutboundEmail] = []
        self._script: list[MailError | None] = list(fail_with or [])
        self._lock = threading.Lock()

    def send(self, email: OutboundEmail) -> None:
        """Record ``email``, or raise the next scripted ``MailError``."""
        with self._lock:
            self.attempts.append(email)
            failure = self._script.pop(0) if self._script else None
            if failure is not None:
                raise failure
            self.sent.append(email)

    def fail_next(self, *outcomes: MailError | None) -> None:
        """Append scripted outcomes (same meaning as ``fail_with``)."""
        with self._lock:
            self._script.extend(outcomes)

    def clear(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self.sent.clear()
            self.attempts.clear()


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff after ``attempts`` failed attempts (1-based)."""
    index = min(max(attempts, 1), len(EMAIL_RETRY_BACKOFF_SECONDS)) - 1
    return dt.timedelta(seconds=EMAIL_RETRY_BACKOFF_SECONDS[index])


def queue_email(
    session: Session,
    *,
    clinic_id: str,
    to_address: str,
    subject: str,
    body: str,
    now: dt.datetime,
    alert_id: int | None = None,
) -> StaffEmail:
    """Save a staff email row and register it to be sent once the session commits.

    Args:
        session: the unit of work; the send job is enqueued only if it commits.
        clinic_id: the clinic the email is about.
        to_address, subject, body: the email (the subject is cut to 300 characters).
        now: the current instant.
        alert_id: the staff alert it carries, if any.

    Returns:
        The new ``queued`` :class:`StaffEmail` row.
    """
    row = StaffEmail(
        clinic_id=clinic_id,
        alert_id=alert_id,
        to_address=to_address,
        subject=subject[:300],
        body=body,
        status=EmailStatus.QUEUED,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(row.id)
    return row


def deliver_email(session: Session, email_id: int, mailer: Mailer, now: dt.datetime) -> str:
    """Send one queued staff email and store the answer on its row.

    The row is locked (``SELECT ... FOR UPDATE`` on Postgres; SQLite has one writer) and its
    status checked under the lock, so two workers never send it twice.

    Returns:
        sent | failed | skipped (not queued any more) | deferred (its backoff is not over) |
        queued (transient failure recorded; ``send_after`` set for the sweeper).
    """
    row = session.execute(
        select(StaffEmail).where(StaffEmail.id == email_id).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.status != EmailStatus.QUEUED:
        return "skipped"
    if row.send_after is not None and row.send_after > now:
        return "deferred"
    row.attempts += 1
    try:
        mailer.send(
            OutboundEmail(
                to_address=row.to_address,
                subject=row.subject,
                body=row.body,
                message_id=f"<staff-email-{row.id}@frontdesk>",
            )
        )
    except MailError as exc:
        row.error = str(exc)[:500]
        if exc.permanent:
            row.status = EmailStatus.FAILED
            log.warning("staff_email_failed_permanent", email_id=row.id, code=exc.code)
            return "failed"
        if row.attempts >= MAX_EMAIL_ATTEMPTS:
            row.status = EmailStatus.FAILED
            row.error = f"gave up after {row.attempts} attempts: " + str(exc)[:400]
            log.warning("staff_email_gave_up", email_id=row.id, code=exc.code)
            return "failed"
        row.send_after = now + retry_delay(row.attempts)
        log.warning("staff_email_failed_transient", email_id=row.id, code=exc.code)
        return "queued"
    row.status = EmailStatus.SENT
    row.sent_at = now
    row.error = None
    return "sent"
