"""Limits flow: a patient number past the clinic's limits gets one polite reply, staff are
alerted and the AI pauses (issue 11, "spending and abuse are bounded"; ``clinic.limits``).

The turn flow calls :func:`stop_at_limit` before the agent answers, inside the transaction
that holds the conversation's row lock (:func:`app.flows.turn._prepare`):

1. the turn's texts are counted against the number's ``texts_per_minute`` and
   ``texts_per_hour`` (``ctx.rates``: Redis when ``REDIS_URL`` is set, else this process);
2. the AI reply texts the number already got today (clinic-local) are counted against
   ``replies_per_day`` (outbound ``reply`` rows);
3. past a limit, unless the text is an emergency (the safety triage reads it; an emergency
   goes on to the agent, which answers with 911), the patient gets
   :data:`app.copy.LIMIT_REACHED`, staff are alerted and the AI pauses, all in the turn's
   transaction. Later texts reach staff as during any takeover, until staff resume the AI.

The clinic's daily model-token budget and the cap on patient text per turn belong to the
engine (:mod:`agent.limits`): only it knows what reaches the model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.guardrails.triage import Label, read
from app import copy
from app.context import AppContext
from app.flows.staff import hand_off_in
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, Direction, Message
from messaging.outbound import reply_in_conversation
from messaging.phones import mask

log = structlog.get_logger(__name__)

#: Outbound kind of the polite reply (not a ``reply``: it is not the AI's and is not capped).
LIMIT_KIND = "limit"


@dataclass(frozen=True)
class Passed:
    """A limit a number passed.

    Attributes:
        limit: the ``clinic.limits`` field (``texts_per_minute``, ``texts_per_hour``,
            ``replies_per_day``).
        reason: the staff alert's reason (``rate_limit`` or ``reply_cap``).
        count: what the number reached; allowed: the clinic's setting.
    """

    limit: str
    reason: str
    count: int
    allowed: int


def stop_at_limit(
    ctx: AppContext,
    session: Session,
    conversation: Conversation,
    clinic: ClinicFile,
    *,
    texts: int,
    text: str,
    now: dt.datetime,
) -> bool:
    """Count this turn's texts and end the turn here when the number is past a limit.

    Args:
        ctx: for ``ctx.rates``.
        session: the turn's transaction, holding the conversation's row lock.
        conversation: the locked conversation; clinic: its records.
        texts: how many of the patient's texts this turn answers.
        text: the turn's text, read by the safety triage only (never logged).
        now: the turn's instant (aware).

    Returns:
        True when the turn ends here (the polite reply queued, staff alerted, the AI paused);
        False when the agent answers (every limit holds, or the text is an emergency).
    """
    passed = _passed(ctx, session, conversation, clinic, texts, now)
    if passed is None:
        return False
    if read(text).label == Label.EMERGENCY:
        log.warning(
            "limit_passed_by_emergency", limit=passed.limit, conversation_id=conversation.id
        )
        return False
    log.warning(
        "limit_passed",
        limit=passed.limit,
        patient=mask(conversation.patient_phone),
        conversation_id=conversation.id,
    )
    reply_in_conversation(session, conversation, copy.LIMIT_REACHED, now=now, kind=LIMIT_KIND)
    summary = copy.limit_alert(passed.limit, passed.count, passed.allowed)
    hand_off_in(session, conversation, clinic, passed.reason, summary, now)
    return True


def _passed(
    ctx: AppContext,
    session: Session,
    conversation: Conversation,
    clinic: ClinicFile,
    texts: int,
    now: dt.datetime,
) -> Passed | None:
    """The first limit the number is past after counting ``texts`` more, or None."""
    limits = clinic.clinic.limits
    key = _number_key(conversation)
    per_minute = ctx.rates.hit(key, texts, window_seconds=60, now=now)
    per_hour = ctx.rates.hit(key, texts, window_seconds=3600, now=now)
    if per_minute > limits.texts_per_minute:
        return Passed("texts_per_minute", "rate_limit", per_minute, limits.texts_per_minute)
    if per_hour > limits.texts_per_hour:
        return Passed("texts_per_hour", "rate_limit", per_hour, limits.texts_per_hour)
    replies = replies_since(session, conversation.id, clinic.clinic.day_start(now))
    if replies >= limits.replies_per_day:
        return Passed("replies_per_day", "reply_cap", replies, limits.replies_per_day)
    return None


def _number_key(conversation: Conversation) -> str:
    """The rate counters' key of the conversation's number: clinic id and a digest of the
    number (Redis never holds a patient's number)."""
    digest = hashlib.sha256(conversation.patient_phone.encode()).hexdigest()[:20]
    return f"{conversation.clinic_id}:{digest}"


def replies_since(session: Session, conversation_id: int, since: dt.datetime) -> int:
    """AI reply texts (outbound ``reply`` rows, each part of a split reply counted) queued to
    the conversation's patient at or after ``since`` (aware)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.OUT,
                Message.kind == "reply",
                Message.created_at >= since,
            )
        )
        or 0
    )
