"""Storing a patient's text before anything else happens (DESIGN.md §2, inbound flow).

The webhook calls :func:`store_inbound` inside one transaction: the conversation is found or
created (concurrency-safe), the message is inserted with the carrier's event id unique, so a
retried webhook stores nothing twice. The caller acknowledges and enqueues the turn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.db import insert_or_ignore, insert_returning, upsert_returning
from messaging.base import InboundMessage
from messaging.models import Conversation, Message, MessageStatus


@dataclass(frozen=True)
class StoredInbound:
    """Where a stored text went: its conversation, and whether it was new (not a retry)."""

    conversation_id: int
    message_id: int | None
    created: bool


def get_or_create_conversation(
    session: Session,
    *,
    clinic_id: str,
    patient_phone: str,
    clinic_phone: str,
    carrier: str,
    now: dt.datetime,
) -> Conversation:
    """The conversation of ``patient_phone`` with ``clinic_id``, created if missing.

    Uses ``INSERT ... ON CONFLICT DO NOTHING`` so two simultaneous first texts make one row.
    The clinic number and carrier are refreshed to the latest the patient used.
    """
    insert_or_ignore(
        session,
        Conversation,
        {
            "clinic_id": clinic_id,
            "patient_phone": patient_phone,
            "clinic_phone": clinic_phone,
            "carrier": carrier,
            "ai_paused": False,
            "created_at": now,
        },
        ["clinic_id", "patient_phone"],
    )
    conversation = session.execute(
        select(Conversation).where(
            Conversation.clinic_id == clinic_id, Conversation.patient_phone == patient_phone
        )
    ).scalar_one()
    conversation.clinic_phone = clinic_phone
    conversation.carrier = carrier
    return conversation


def store_inbound(
    session: Session,
    message: InboundMessage,
    *,
    clinic_id: str,
    patient_phone: str,
    clinic_phone: str,
    now: dt.datetime,
) -> StoredInbound:
    """Insert ``message`` once (deduplicated on carrier + event id).

    Args:
        patient_phone, clinic_phone: the sender and recipient, already normalised to E.164.

    Returns:
        :class:`StoredInbound`; ``created`` is False when this event id was stored before.
    """
    conversation = {
        "clinic_id": clinic_id,
        "patient_phone": patient_phone,
        "clinic_phone": clinic_phone,
        "carrier": message.carrier,
        "ai_paused": False,
        "created_at": now,
    }
    text = _inbound_values(message, clinic_id, patient_phone, clinic_phone, now) | {
        "status": "received"
    }
    if session.get_bind().dialect.name == "postgresql":
        return _store_postgres(session, conversation, text, now)
    # SQLite: upsert the conversation, insert the text once, stamp the last inbound time.
    conversation_id = int(
        upsert_returning(
            session,
            Conversation,
            conversation,
            ["clinic_id", "patient_phone"],
            ["clinic_phone", "carrier"],
            Conversation.id,
        )
    )
    row_id = insert_returning(
        session,
        Message,
        text | {"conversation_id": conversation_id},
        ["carrier", "carrier_event_id"],
        Message.id,
    )
    if row_id is None:
        return StoredInbound(conversation_id, None, created=False)
    session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(last_inbound_at=now)
    )
    return StoredInbound(conversation_id, int(row_id), created=True)


def _store_postgres(
    session: Session, conversation: dict[str, Any], text: dict[str, Any], now: dt.datetime
) -> StoredInbound:
    """The webhook's hot path on Postgres: the conversation upsert and the text's insert in
    one statement (data-modifying CTEs, https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING),
    built on the Core tables (no ORM bulk-insert bookkeeping), then the conversation's last
    inbound time for a new text only. Same rows as the SQLite path."""
    conversations = cast(Table, Conversation.__table__)
    messages = cast(Table, Message.__table__)
    upsert = pg_insert(conversations).values(conversation)
    upserted = (
        upsert.on_conflict_do_update(
            index_elements=["clinic_id", "patient_phone"],
            set_={c: upsert.excluded[c] for c in ("clinic_phone", "carrier")},
        )
        .returning(conversations.c.id)
        .cte("upserted")
    )
    columns = list(text)
    inserted = (
        pg_insert(messages)
        .from_select(
            [*columns, "conversation_id"],
            select(*(literal(text[c], messages.c[c].type) for c in columns), upserted.c.id),
        )
        .on_conflict_do_nothing(index_elements=["carrier", "carrier_event_id"])
        .returning(messages.c.id)
        .cte("inserted")
    )
    conversation_id, row_id = session.execute(
        select(upserted.c.id, select(inserted.c.id).scalar_subquery())
    ).one()
    if row_id is None:
        return StoredInbound(int(conversation_id), None, created=False)
    session.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(last_inbound_at=now)
    )
    return StoredInbound(int(conversation_id), int(row_id), created=True)


def store_invalid_sender(
    session: Session,
    message: InboundMessage,
    *,
    clinic_id: str,
    clinic_phone: str,
    now: dt.datetime,
) -> bool:
    """Keep a text whose sender is not a textable number ("anonymous", a short code, junk).

    The row has no conversation and status ``invalid_sender``: staff can see it, nothing
    answers it. Deduplicated on the carrier event id like any inbound text.

    Returns:
        True when stored now, False for a retried delivery.
    """
    values = _inbound_values(message, clinic_id, message.from_number[:32], clinic_phone, now)
    values |= {"conversation_id": None, "status": "invalid_sender"}
    return (
        insert_returning(session, Message, values, ["carrier", "carrier_event_id"], Message.id)
        is not None
    )


def _inbound_values(
    message: InboundMessage,
    clinic_id: str,
    from_number: str,
    clinic_phone: str,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "clinic_id": clinic_id,
        "direction": "in",
        "kind": "patient",
        "carrier": message.carrier,
        "carrier_event_id": message.event_id,
        "carrier_message_id": message.carrier_message_id,
        "from_number": from_number,
        "to_number": clinic_phone,
        "body": message.body,
        "media": [
            {"url": m.url, "content_type": m.content_type, "size": m.size} for m in message.media
        ],
        "segments": 0,
        "attempts": 0,
        "created_at": now,
    }


def unprocessed(session: Session, conversation_id: int) -> list[Message]:
    """Every received-but-unprocessed inbound text of a conversation, oldest first (a burst of
    texts becomes one turn). They stay unprocessed until :func:`mark_processed`."""
    return list(
        session.execute(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "in",
                Message.status == MessageStatus.RECEIVED,
            )
            .order_by(Message.id)
        ).scalars()
    )


def mark_processed(session: Session, message_ids: list[int], now: dt.datetime) -> int:
    """Mark the texts a turn answered processed, in the transaction that saves its outcome.

    Returns:
        How many were still unprocessed (0: another turn already answered them).
    """
    if not message_ids:
        return 0
    marked = session.scalars(
        update(Message)
        .where(Message.id.in_(message_ids), Message.status == MessageStatus.RECEIVED)
        .values(status=MessageStatus.PROCESSED, processed_at=now)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    ).all()
    return len(marked)


def latest_unprocessed_at(session: Session, conversation_id: int) -> dt.datetime | None:
    """When the newest received-but-unprocessed inbound text of a conversation was stored."""
    return session.execute(
        select(func.max(Message.created_at)).where(
            Message.conversation_id == conversation_id,
            Message.direction == "in",
            Message.status == "received",
        )
    ).scalar()


def lock_conversation(session: Session, conversation_id: int) -> Conversation | None:
    """Load a conversation with a row lock (Postgres ``FOR UPDATE``), so one worker at a time
    runs its turn; on SQLite the write transaction already serialises."""
    return session.execute(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).scalar_one_or_none()
