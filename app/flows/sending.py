"""Sending flow: one queued outbound text or staff email goes to its carrier or mail server.

Every outbound row is written before any vendor call (:mod:`messaging.outbound`,
:mod:`messaging.email`); when the session that wrote it commits, :mod:`app.wiring` enqueues
one of these jobs. They are the only callers of a gateway or mailer.
"""

from __future__ import annotations

from app.context import AppContext
from app.metrics import observe_send
from messaging.base import StatusUpdate
from messaging.email import deliver_email
from messaging.outbound import deliver
from messaging.status import record_status


class TransientSendError(RuntimeError):
    """Raised so RQ retries a send that failed for a passing reason (429, 5xx, timeout)."""


def send_message(ctx: AppContext, message_id: int) -> str:
    """Deliver one queued outbound row (job).

    On RQ a transient carrier failure raises :class:`TransientSendError` so RQ retries the
    job (1 s, 5 s, 15 s); the row keeps ``queued`` with a backoff in ``send_after``, so the
    sweeper retries it after that too, up to ``MAX_SEND_ATTEMPTS`` carrier attempts in all.
    Every attempt uses the idempotency key ``msg-<id>``.

    Returns:
        The row's status after the attempt (sent | recorded | queued | failed | blocked |
        ...).
    """
    with ctx.db.session() as session:
        status = deliver(session, message_id, ctx.gateway_for, ctx.clock.now())
    observe_send(status)
    if status == "queued" and ctx.jobs.retries:
        raise TransientSendError(f"message {message_id} will be retried")
    return status


def send_staff_email(ctx: AppContext, email_id: int) -> str:
    """Send one queued staff email through ``ctx.mailer`` (job; see :mod:`messaging.email`).

    A transient SMTP failure leaves the row queued with a backoff in ``send_after``; the
    sweeper retries it, up to ``MAX_EMAIL_ATTEMPTS`` attempts in all. The job itself does not
    raise for it, so RQ does not retry ahead of the backoff.

    Returns:
        The row's status after the attempt.
    """
    with ctx.db.session() as session:
        return deliver_email(session, email_id, ctx.mailer, ctx.clock.now())


def receive_status(ctx: AppContext, update: StatusUpdate) -> bool:
    """Record a carrier's delivery report on the outbound row it names (True when matched)."""
    with ctx.db.session() as session:
        return record_status(session, update)
