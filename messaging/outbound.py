"""The single outbound choke point: every text is a row first, checked against opt-outs twice.

:func:`queue_text` saves the row (status ``queued``, or ``blocked`` for an opted-out number)
and registers it on the session; after the session commits, the app enqueues one
``send_message`` job per registered row (see ``app.context``). :func:`deliver` performs the
carrier call for one row and records the answer on it. No other code calls a gateway.

Rules applied here, for every caller:
- GSM-7 normalisation of typographic punctuation (``messaging.segments``);
- agent replies (kind ``reply``) kept within a segment budget: a longer reply becomes several
  single-segment texts split at sentence boundaries (``split_to_budget``);
- quiet hours for texts the patient did not just ask for (``messaging.quiet_hours``): saved
  with ``send_after`` and sent by the sweeper, never dropped;
- opt-outs checked when queued and again when sent; carrier opt-out errors (Telnyx 40300,
  Twilio 21610) record the opt-out;
- transient carrier failures (429, 5xx, timeouts) keep the row queued with a backoff in
  ``send_after``, at most :data:`MAX_SEND_ATTEMPTS` attempts, then ``failed`` with the error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import structlog
from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from app.db import insert_returning
from messaging.base import RECORDED_STATUS, OutboundSms, SendError, SmsGateway
from messaging.models import (
    Conversation,
    Direction,
    Message,
    MessageStatus,
    OptOut,
    OptOutSource,
)
from messaging.phones import mask
from messaging.quiet_hours import DEFERRED_KINDS, defer_until, zone_for_number
from messaging.segments import count_segments, normalize_for_gsm, split_to_budget

log = structlog.get_logger(__name__)

#: Session.info key listing message ids to hand to the send job once the session commits.
PENDING_KEY = "frontdesk_outbound_ids"

#: Kinds that may reach an opted-out number: the one confirmation of the opt-out itself.
OPT_OUT_EXEMPT = frozenset({"opt_out_confirmation"})
#: Default billed segments per agent reply (a clinic's ``segment_budget`` overrides it).
DEFAULT_SEGMENT_BUDGET = 3
#: Kinds split to the segment budget: what the agent writes (other texts are fixed wording).
BUDGETED_KINDS = frozenset({"reply"})
#: Carrier attempts per outbound row before it is marked failed.
MAX_SEND_ATTEMPTS = 5
#: Wait before the next attempt after the n-th transient failure (seconds; last repeats).
RETRY_BACKOFF_SECONDS = (2, 10, 30, 120, 600)

_clinics = table("clinics", column("id"), column("timezone"))


def _clinic_timezone(session: Session, clinic_id: str) -> str | None:
    """The clinic's IANA zone (the ``clinics`` row messaging's tables already reference)."""
    value = session.execute(select(_clinics.c.timezone).where(_clinics.c.id == clinic_id)).scalar()
    return str(value) if value else None


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff after ``attempts`` failed attempts (1-based)."""
    index = min(max(attempts, 1), len(RETRY_BACKOFF_SECONDS)) - 1
    return dt.timedelta(seconds=RETRY_BACKOFF_SECONDS[index])


def _quiet_hours_end(
    session: Session, clinic_id: str, to_number: str, kind: str, now: dt.datetime
) -> dt.datetime | None:
    """When a text of ``kind`` to ``to_number`` may go out, if quiet hours hold it back now
    (the recipient's zone from the number, else the clinic's); None: it may go now."""
    if kind not in DEFERRED_KINDS:
        return None
    zone_known = zone_for_number(to_number) is not None
    return defer_until(
        kind, to_number, now, None if zone_known else _clinic_timezone(session, clinic_id)
    )


def is_opted_out(session: Session, clinic_id: str, phone: str) -> bool:
    """True when ``phone`` revoked consent for ``clinic_id`` and has not opted back in."""
    return session.get(OptOut, (clinic_id, phone)) is not None


def queue_text(
    session: Session,
    *,
    clinic_id: str,
    from_number: str,
    to_number: str,
    body: str,
    carrier: str,
    now: dt.datetime,
    conversation_id: int | None = None,
    kind: str = "reply",
    send_after: dt.datetime | None = None,
) -> Message:
    """Save an outbound text and schedule its delivery for after the commit.

    Args:
        session: the unit of work; the send job is enqueued only if it commits.
        clinic_id, from_number, to_number: sender clinic and E.164 numbers.
        body: the text; typographic punctuation is normalised to GSM-7 first.
        carrier: the carrier that should send it ("telnyx", "twilio", "recording").
        now: the current instant (aware).
        conversation_id: the patient conversation, None for texts to staff.
        kind: reply | confirmation | textback | staff | alert | opt_out_confirmation | ...
        send_after: earliest send time; None sends now, except that kinds in
            ``quiet_hours.DEFERRED_KINDS`` get the next 8am recipient-local when queued
            between 9pm and 8am there.

    Returns:
        The new :class:`Message` row (``status`` "queued", or "blocked" when the recipient is
        opted out and ``kind`` is not exempt; a blocked row is never sent).
    """
    text = normalize_for_gsm(body.strip())
    blocked = kind not in OPT_OUT_EXEMPT and is_opted_out(session, clinic_id, to_number)
    if send_after is None and not blocked:
        send_after = _quiet_hours_end(session, clinic_id, to_number, kind, now)
        if send_after is not None:
            log.info("outbound_deferred_quiet_hours", to=mask(to_number), kind=kind)
    message = Message(
        conversation_id=conversation_id,
        clinic_id=clinic_id,
        direction=Direction.OUT,
        kind=kind,
        carrier=carrier,
        from_number=from_number,
        to_number=to_number,
        body=text,
        media=[],
        segments=count_segments(text),
        status=MessageStatus.BLOCKED if blocked else MessageStatus.QUEUED,
        created_at=now,
        send_after=send_after,
    )
    session.add(message)
    session.flush()
    if blocked:
        log.info("outbound_blocked_opted_out", to=mask(to_number), message_id=message.id)
    elif send_after is None or send_after <= now:
        session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def reply_in_conversation(
    session: Session,
    conversation: Conversation,
    body: str,
    *,
    now: dt.datetime,
    kind: str = "reply",
    max_segments: int | None = None,
    send_after: dt.datetime | None = None,
) -> Message:
    """Queue ``body`` from the clinic number to the patient of ``conversation``.

    An agent ``reply`` over the segment budget is split into several texts (see
    :func:`queue_reply_parts`); this returns the first of them. ``send_after`` as in
    :func:`queue_text`.
    """
    return queue_reply_parts(
        session,
        conversation,
        body,
        now=now,
        kind=kind,
        max_segments=max_segments,
        send_after=send_after,
    )[0]


def queue_reply_parts(
    session: Session,
    conversation: Conversation,
    body: str,
    *,
    now: dt.datetime,
    kind: str = "reply",
    max_segments: int | None = None,
    send_after: dt.datetime | None = None,
) -> list[Message]:
    """Queue ``body`` to the patient, within the segment budget when ``kind`` is a reply.

    Args:
        max_segments: the clinic's ``segment_budget``; None means
            :data:`DEFAULT_SEGMENT_BUDGET`. Applies to :data:`BUDGETED_KINDS` only.
        send_after: earliest send time of every part (see :func:`queue_text`).

    Returns:
        The queued rows in send order (one unless the reply was split).
    """
    text = normalize_for_gsm(body.strip())
    parts = [text]
    if kind in BUDGETED_KINDS:
        parts = split_to_budget(text, max_segments or DEFAULT_SEGMENT_BUDGET) or [text]
    return [
        queue_text(
            session,
            clinic_id=conversation.clinic_id,
            from_number=conversation.clinic_phone,
            to_number=conversation.patient_phone,
            body=part,
            carrier=conversation.carrier,
            now=now,
            conversation_id=conversation.id,
            kind=kind,
            send_after=send_after,
        )
        for part in parts
    ]


def deliver(
    session: Session,
    message_id: int,
    gateway_for: Callable[[str], SmsGateway],
    now: dt.datetime,
) -> str:
    """Send one queued row through its carrier and store the answer on the row.

    The row is locked (``SELECT ... FOR UPDATE`` on Postgres) so two workers never send it
    twice; the carrier gets ``msg-<id>`` as idempotency key (Telnyx ``Idempotency-Key``).

    Returns:
        The row's new status: sent | recorded (the recording gateway kept it; no carrier
        sent it) | failed | blocked | skipped (not queued any more) |
        deferred (quiet hours: ``send_after`` set, the sweeper sends it) | queued (transient
        failure recorded on the row and ``send_after`` set to the backoff; the caller retries
        later with the same idempotency key). After :data:`MAX_SEND_ATTEMPTS` transient
        failures the row is ``failed``.
    """
    message = session.execute(
        select(Message).where(Message.id == message_id).with_for_update()
    ).scalar_one_or_none()
    if message is None or message.status != MessageStatus.QUEUED or message.direction != "out":
        return "skipped"
    held_back = _hold_back(session, message, now)
    if held_back is not None:
        return held_back
    message.attempts += 1
    gateway = gateway_for(message.carrier)
    try:
        result = gateway.send(
            OutboundSms(
                from_number=message.from_number,
                to_number=message.to_number,
                body=message.body,
                # Row id plus creation instant: stable across retries of this row, and never
                # reused by another row even if a database is reset (carrier keys outlive it).
                idempotency_key=f"msg-{message.id}-{int(message.created_at.timestamp())}",
            )
        )
    except SendError as exc:
        return _record_send_error(session, message, exc, now)
    recorded = result.status == RECORDED_STATUS  # nobody's phone got it: never "sent"
    message.status = MessageStatus.RECORDED if recorded else MessageStatus.SENT
    message.carrier_message_id = result.carrier_message_id
    message.sent_at = now
    return message.status.value


def _hold_back(session: Session, message: Message, now: dt.datetime) -> str | None:
    """Why a queued row must not be sent now: ``blocked`` (opted out since it was queued; the
    row is marked) or ``deferred`` (its time has not come, or quiet hours began; ``send_after``
    set). None: send it."""
    if message.kind not in OPT_OUT_EXEMPT and is_opted_out(
        session, message.clinic_id, message.to_number
    ):
        message.status = MessageStatus.BLOCKED
        return "blocked"
    if message.attempts == 0 and message.send_after is not None and message.send_after > now:
        return "deferred"
    later = _quiet_hours_end(session, message.clinic_id, message.to_number, message.kind, now)
    if later is not None:  # e.g. retried into the night: wait for the morning
        message.send_after = later
        return "deferred"
    return None


def _record_send_error(session: Session, message: Message, exc: SendError, now: dt.datetime) -> str:
    """Store a carrier refusal on the row.

    Returns:
        ``failed`` (opt-out reported by the carrier, which is recorded; a permanent error; or
        the last attempt) or ``queued`` (transient: ``send_after`` set to the backoff).
    """
    message.error_code = exc.code
    message.error_detail = str(exc)[:500]
    if exc.opted_out:
        message.status = MessageStatus.FAILED
        record_opt_out(session, message.clinic_id, message.to_number, OptOutSource.CARRIER, now)
        log.info("carrier_reports_opt_out", to=mask(message.to_number), code=exc.code)
        return "failed"
    if exc.permanent:
        message.status = MessageStatus.FAILED
        log.warning("send_failed_permanent", message_id=message.id, code=exc.code)
        return "failed"
    if message.attempts >= MAX_SEND_ATTEMPTS:
        message.status = MessageStatus.FAILED
        message.error_detail = f"gave up after {message.attempts} attempts: " + str(exc)[:400]
        log.warning("send_failed_gave_up", message_id=message.id, code=exc.code)
        return "failed"
    message.send_after = now + retry_delay(message.attempts)
    log.warning("send_failed_transient", message_id=message.id, code=exc.code)
    return "queued"


def record_opt_out(
    session: Session, clinic_id: str, phone: str, source: str, now: dt.datetime
) -> bool:
    """Mark ``phone`` opted out of ``clinic_id``.

    Concurrency-safe (``INSERT ... ON CONFLICT DO NOTHING ... RETURNING``), so two STOPs
    processed at once still report "new" exactly once.

    Args:
        source: an :class:`~messaging.models.OptOutSource` value (keyword | free_text |
            carrier).

    Returns:
        True when it was not opted out already.

    Raises:
        ValueError: ``source`` is not an opt-out source.
    """
    return (
        insert_returning(
            session,
            OptOut,
            {
                "clinic_id": clinic_id,
                "phone": phone,
                "source": OptOutSource(source),
                "created_at": now,
            },
            ["clinic_id", "phone"],
            OptOut.phone,
        )
        is not None
    )


def clear_opt_out(session: Session, clinic_id: str, phone: str) -> bool:
    """Opt ``phone`` back in (START/UNSTOP).

    Returns:
        True when it had been opted out.
    """
    row = session.get(OptOut, (clinic_id, phone))
    if row is None:
        return False
    session.delete(row)
    session.flush()  # so the confirmation queued next in this session is not "blocked"
    return True
