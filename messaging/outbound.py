"""The single outbound choke point: every text is a row first, checked against opt-outs twice.

:func:`queue_text` saves the row (status ``queued``, or ``blocked`` for an opted-out number)
and registers it on the session; after the session commits, the app enqueues one
``send_message`` job per registered row (see ``app.context``). :func:`deliver` performs the
carrier call for one row and records the answer on it. No other code calls a gateway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from messaging.base import OutboundSms, SendError, SmsGateway
from messaging.models import Conversation, Message, OptOut
from messaging.phones import mask
from messaging.segments import count_segments, normalize_for_gsm

log = structlog.get_logger(__name__)

#: Session.info key listing message ids to hand to the send job once the session commits.
PENDING_KEY = "frontdesk_outbound_ids"

#: Kinds that may reach an opted-out number: the one confirmation of the opt-out itself.
OPT_OUT_EXEMPT = frozenset({"opt_out_confirmation"})


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
    provider: str,
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
        provider: the carrier that should send it ("telnyx", "twilio", "recording").
        now: the current instant (aware).
        conversation_id: the patient conversation, None for texts to staff.
        kind: reply | confirmation | textback | staff | alert | opt_out_confirmation | ...
        send_after: earliest send time (quiet hours); None sends now.

    Returns:
        The new :class:`Message` row (``status`` "queued", or "blocked" when the recipient is
        opted out and ``kind`` is not exempt; a blocked row is never sent).
    """
    text = normalize_for_gsm(body.strip())
    blocked = kind not in OPT_OUT_EXEMPT and is_opted_out(session, clinic_id, to_number)
    message = Message(
        conversation_id=conversation_id,
        clinic_id=clinic_id,
        direction="out",
        kind=kind,
        provider=provider,
        from_number=from_number,
        to_number=to_number,
        body=text,
        media=[],
        segments=count_segments(text),
        status="blocked" if blocked else "queued",
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
) -> Message:
    """Queue ``body`` from the clinic number to the patient of ``conversation``."""
    return queue_text(
        session,
        clinic_id=conversation.clinic_id,
        from_number=conversation.clinic_phone,
        to_number=conversation.patient_phone,
        body=body,
        provider=conversation.provider,
        now=now,
        conversation_id=conversation.id,
        kind=kind,
    )


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
        The row's new status: sent | failed | blocked | skipped (not queued any more) |
        queued (transient failure recorded on the row; the caller retries later with the
        same idempotency key).
    """
    message = session.execute(
        select(Message).where(Message.id == message_id).with_for_update()
    ).scalar_one_or_none()
    if message is None or message.status != "queued" or message.direction != "out":
        return "skipped"
    if message.kind not in OPT_OUT_EXEMPT and is_opted_out(
        session, message.clinic_id, message.to_number
    ):
        message.status = "blocked"
        return "blocked"
    message.attempts += 1
    gateway = gateway_for(message.provider)
    try:
        result = gateway.send(
            OutboundSms(
                from_number=message.from_number,
                to_number=message.to_number,
                body=message.body,
                idempotency_key=f"msg-{message.id}",
            )
        )
    except SendError as exc:
        message.error_code = exc.code
        message.error_detail = str(exc)[:500]
        if exc.opted_out:
            message.status = "failed"
            record_opt_out(session, message.clinic_id, message.to_number, "carrier", now)
            log.info("carrier_reports_opt_out", to=mask(message.to_number), code=exc.code)
            return "failed"
        if exc.permanent:
            message.status = "failed"
            log.warning("send_failed_permanent", message_id=message.id, code=exc.code)
            return "failed"
        log.warning("send_failed_transient", message_id=message.id, code=exc.code)
        return "queued"
    message.status = "sent"
    message.provider_message_id = result.provider_message_id
    message.sent_at = now
    return "sent"


def record_opt_out(
    session: Session, clinic_id: str, phone: str, source: str, now: dt.datetime
) -> bool:
    """Mark ``phone`` opted out of ``clinic_id``; True when it was not already."""
    from app.db import insert_or_ignore

    return insert_or_ignore(
        session,
        OptOut,
        {"clinic_id": clinic_id, "phone": phone, "source": source, "created_at": now},
        ["clinic_id", "phone"],
    )


def clear_opt_out(session: Session, clinic_id: str, phone: str) -> bool:
    """Opt ``phone`` back in (START/UNSTOP); True when it had been opted out."""
    row = session.get(OptOut, (clinic_id, phone))
    if row is None:
        return False
    session.delete(row)
    return True
