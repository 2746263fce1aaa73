"""The job functions; each takes the :class:`~app.context.AppContext` first.

Enqueue them by name through ``ctx.jobs`` (inline or RQ). RQ calls :func:`rq_entry`, which
uses the context the worker built at start-up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog
from sqlalchemy import select

from app.context import AppContext
from messaging.email import MAX_EMAIL_ATTEMPTS, deliver_email
from messaging.models import Message, StaffEmail
from messaging.outbound import MAX_SEND_ATTEMPTS, deliver

log = structlog.get_logger(__name__)

_worker_context: AppContext | None = None

#: Inbound texts untouched this long are re-enqueued by the sweeper (a worker died).
STALE_INBOUND = dt.timedelta(seconds=60)
#: Outbound texts still queued after this long are retried by the sweeper.
STALE_OUTBOUND = dt.timedelta(seconds=30)
__all__ = [
    "MAX_SEND_ATTEMPTS",
    "STALE_INBOUND",
    "STALE_OUTBOUND",
    "run_due",
    "send_message",
    "send_staff_email",
]


def set_worker_context(ctx: AppContext | None) -> None:
    """Install the context RQ jobs run against (called by ``frontdesk worker`` start-up)."""
    global _worker_context
    _worker_context = ctx


def rq_entry(name: str, *args: Any) -> None:
    """RQ's entry point: run job ``name`` against the worker's context."""
    from app.jobs import run_job

    run_job(_worker_context, name, *args)


def handle_conversation(ctx: AppContext, conversation_id: int) -> None:
    """Run the turn for a conversation's unprocessed texts (see :mod:`app.turns`)."""
    from app.turns import process_conversation

    process_conversation(ctx, conversation_id)


class TransientSendError(RuntimeError):
    """Raised so RQ retries a send that failed for a passing reason (429, 5xx, timeout)."""


def send_message(ctx: AppContext, message_id: int) -> str:
    """Deliver one queued outbound row (the only caller of a gateway).

    On RQ a transient carrier failure raises :class:`TransientSendError` so RQ retries the
    job (1 s, 5 s, 15 s); the row keeps ``queued`` with a backoff in ``send_after``, so the
    sweeper retries it after that too, up to ``MAX_SEND_ATTEMPTS`` carrier attempts in all.
    Every attempt uses the idempotency key ``msg-<id>``.
    """
    with ctx.db.session() as session:
        status = deliver(session, message_id, ctx.gateway_for, ctx.clock.now())
    if status == "queued" and getattr(ctx.jobs, "redis", None) is not None:
        raise TransientSendError(f"message {message_id} will be retried")
    return status


def send_staff_email(ctx: AppContext, email_id: int) -> str:
    """Send one queued staff email through ``ctx.mailer`` (see :mod:`messaging.email`).

    A transient SMTP failure leaves the row queued with a backoff in ``send_after``; the
    sweeper (:func:`run_due`) retries it, up to ``MAX_EMAIL_ATTEMPTS`` attempts in all. The job
    itself does not raise for it, so RQ does not retry ahead of the backoff.
    """
    with ctx.db.session() as session:
        return deliver_email(session, email_id, ctx.mailer, ctx.clock.now())


def run_due(ctx: AppContext) -> dict[str, int]:
    """Periodic work: expire unpaid holds, re-enqueue stranded inbound and outbound texts.

    - inbound texts still ``received`` a minute after they arrived (the worker that should
      have run the turn died, or the job was lost): their conversation's turn is enqueued
      again - the turn takes them exactly once;
    - outbound rows still ``queued``: due quiet-hours deferrals and backoffs
      (``send_after <= now``) and rows never attempted for 30 s are enqueued for delivery;
    - staff emails still ``queued``: the same rule (backoff over, or never attempted for 30 s).

    Returns:
        Counts of what it did, by kind.
    """
    from booking.deposits import expire_due_holds
    from booking.holds import retry_emr_sync
    from knowledge.store import list_clinic_ids

    now = ctx.clock.now()
    counts = {
        "expired_holds": 0,
        "emr_resynced": 0,
        "inbound_requeued": 0,
        "outbound_requeued": 0,
        "emails_requeued": 0,
    }
    with ctx.db.session() as session:
        clinic_ids = list_clinic_ids(session)
    for clinic_id in clinic_ids:
        clinic = ctx.clinic(clinic_id)
        if clinic is None:
            continue
        expired = expire_due_holds(
            ctx.db, ctx.emr_for(clinic), ctx.deposits, clinic=ctx.clinic_terms(clinic), now=now
        )
        counts["expired_holds"] += len(expired)
        counts["emr_resynced"] += retry_emr_sync(ctx.db, ctx.emr_for(clinic), clinic.clinic.id)
    with ctx.db.session() as session:
        stale_in = (
            session.execute(
                select(Message.conversation_id)
                .where(
                    Message.direction == "in",
                    Message.status == "received",
                    Message.created_at <= now - STALE_INBOUND,
                )
                .distinct()
            )
            .scalars()
            .all()
        )
        stale_out = (
            session.execute(
                select(Message.id).where(
                    Message.direction == "out",
                    Message.status == "queued",
                    Message.attempts < MAX_SEND_ATTEMPTS,
                    ((Message.send_after.is_(None)) & (Message.created_at <= now - STALE_OUTBOUND))
                    | (Message.send_after <= now),
                )
            )
            .scalars()
            .all()
        )
        stale_email = (
            session.execute(
                select(StaffEmail.id).where(
                    StaffEmail.status == "queued",
                    StaffEmail.attempts < MAX_EMAIL_ATTEMPTS,
                    (
                        (StaffEmail.send_after.is_(None))
                        & (StaffEmail.created_at <= now - STALE_OUTBOUND)
                    )
                    | (StaffEmail.send_after <= now),
                )
            )
            .scalars()
            .all()
        )
    for conversation_id in stale_in:
        if conversation_id is not None:
            ctx.jobs.enqueue("handle_conversation", conversation_id)
            counts["inbound_requeued"] += 1
    for message_id in stale_out:
        ctx.jobs.enqueue("send_message", message_id)
        counts["outbound_requeued"] += 1
    for email_id in stale_email:
        ctx.jobs.enqueue("send_staff_email", email_id)
        counts["emails_requeued"] += 1
    if any(counts.values()):
        log.info("sweeper", **counts)
    return counts
