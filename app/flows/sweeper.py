"""Sweeper flow: the periodic job that finds work a dead worker or a lost job left behind.

``frontdesk worker`` enqueues :func:`run_due` every 30 s (one per cluster), and the scenario
runner's ``advance`` runs it. The embedded default has no worker to run it periodically, so
lapsed holds are also released by the agent's slot search before it searches
(:func:`agent.tools.find_slots`). Everything it does is found again from database rows, so it
is safe to run twice.
"""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.context import AppContext
from app.flows.lead import requeue_stale as requeue_stale_leads
from app.flows.reminders import enqueue_due
from app.flows.sending import send_message, send_staff_email
from app.flows.turn import take_turn
from app.flows.waitlist import sweep as waitlist_sweep
from booking.deposits import expire_due_holds
from booking.holds import retry_emr_sync
from knowledge.store import list_clinic_ids
from messaging.email import MAX_EMAIL_ATTEMPTS
from messaging.models import Message, StaffEmail
from messaging.outbound import MAX_SEND_ATTEMPTS

log = structlog.get_logger(__name__)

#: Inbound texts untouched this long are re-enqueued by the sweeper (a worker died).
STALE_INBOUND = dt.timedelta(seconds=60)
#: Outbound texts still queued after this long are retried by the sweeper.
STALE_OUTBOUND = dt.timedelta(seconds=30)


def run_due(ctx: AppContext) -> dict[str, int]:
    """Periodic work: expire unpaid holds, re-enqueue stranded inbound and outbound texts.

    - inbound texts still ``received`` a minute after they arrived (the worker that should
      have run the turn died, or the job was lost): their conversation's turn is enqueued
      again - the turn takes them exactly once;
    - outbound rows still ``queued``: due quiet-hours deferrals and backoffs
      (``send_after <= now``) and rows never attempted for 30 s are enqueued for delivery;
    - staff emails still ``queued``: the same rule (backoff over, or never attempted for 30 s);
    - reminders, aftercare texts and review asks due (:func:`app.flows.reminders.enqueue_due`);
    - website leads still ``received`` a minute after they were stored: texted again
      (:func:`app.flows.lead.requeue_stale`; the job texts each lead once);
    - waitlist offers whose claim window lapsed: the opening goes to the next patient
      (:func:`app.flows.waitlist.sweep`).

    Returns:
        Counts of what it did, by kind.
    """
    now = ctx.clock.now()
    counts = _expire_holds(ctx, now)
    with ctx.db.session() as session:
        stale_in, stale_out, stale_email = _stale_rows(session, now)
    for conversation_id in stale_in:
        ctx.jobs.enqueue(take_turn, conversation_id)
    for message_id in stale_out:
        ctx.jobs.enqueue(send_message, message_id)
    for email_id in stale_email:
        ctx.jobs.enqueue(send_staff_email, email_id)
    counts.update(waitlist_sweep(ctx))
    counts.update(
        scheduled_texts=enqueue_due(ctx, now),
        leads_requeued=requeue_stale_leads(ctx, now),
        inbound_requeued=len(stale_in),
        outbound_requeued=len(stale_out),
        emails_requeued=len(stale_email),
    )
    if any(counts.values()):
        log.info("sweeper", **counts)
    return counts


def _expire_holds(ctx: AppContext, now: dt.datetime) -> dict[str, int]:
    """Release every clinic's expired unpaid holds and retry failed EMR writes."""
    counts = {"expired_holds": 0, "emr_resynced": 0}
    with ctx.db.session() as session:
        clinic_ids = list_clinic_ids(session)
    for clinic_id in clinic_ids:
        clinic = ctx.clinic(clinic_id)
        if clinic is None:
            continue
        emr = ctx.emr_for(clinic)
        expired = expire_due_holds(
            ctx.db, emr, ctx.deposits, clinic=ctx.clinic_terms(clinic), now=now
        )
        counts["expired_holds"] += len(expired)
        counts["emr_resynced"] += retry_emr_sync(ctx.db, emr, clinic.clinic.id)
    return counts


def _stale_rows(session: Session, now: dt.datetime) -> tuple[list[int], list[int], list[int]]:
    """Conversations with stranded inbound texts, and outbound texts and staff emails due."""
    stale_in = session.execute(
        select(Message.conversation_id)
        .where(
            Message.direction == "in",
            Message.status == "received",
            Message.created_at <= now - STALE_INBOUND,
            Message.conversation_id.is_not(None),
        )
        .distinct()
    ).scalars()
    stale_out = session.execute(
        select(Message.id).where(
            Message.direction == "out",
            Message.status == "queued",
            Message.attempts < MAX_SEND_ATTEMPTS,
            ((Message.send_after.is_(None)) & (Message.created_at <= now - STALE_OUTBOUND))
            | (Message.send_after <= now),
        )
    ).scalars()
    stale_email = session.execute(
        select(StaffEmail.id).where(
            StaffEmail.status == "queued",
            StaffEmail.attempts < MAX_EMAIL_ATTEMPTS,
            ((StaffEmail.send_after.is_(None)) & (StaffEmail.created_at <= now - STALE_OUTBOUND))
            | (StaffEmail.send_after <= now),
        )
    ).scalars()
    return [c for c in stale_in if c is not None], list(stale_out), list(stale_email)
