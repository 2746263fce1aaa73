"""What the inbox lists: every conversation of a clinic, the ones needing a person first.

A conversation needs a person when (in this order of urgency):

- ``emergency``: the AI paused on an emergency alert (911 instruction sent, staff alerted);
- ``handoff``: the AI paused on any other alert (medical question, a patient asking for a
  person, a limit reached, a payment problem);
- ``unanswered``: the patient's newest text is newer than anything sent back, or an alert was
  raised since staff last replied (the AI still answers, but staff owe an answer);
- ``paused``: staff took it over and have not handed it back to the AI.

The rest follow, newest activity first. Four grouped queries whatever the number of
conversations (bench/inbox.py measures the page with 500).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from messaging.models import AlertKind, Conversation, Direction, Message, StaffAlert

#: Why a conversation needs a person, most urgent first.
ATTENTION = ("emergency", "handoff", "unanswered", "paused")
_RANK = {name: rank for rank, name in enumerate(ATTENTION)}
#: How many conversations without anything to do the inbox shows.
RECENT_LIMIT = 100
PREVIEW_CHARS = 90


@dataclass(frozen=True)
class InboxRow:
    """One conversation as the inbox shows it (times aware, UTC)."""

    id: int
    patient_phone: str
    ai_paused: bool
    attention: str | None
    last_at: dt.datetime
    preview: str
    preview_direction: str


@dataclass
class _Activity:
    last_in: dt.datetime | None = None
    last_out: dt.datetime | None = None
    last_staff_reply: dt.datetime | None = None
    last_id: int = 0


def inbox_rows(session: Session, clinic_id: str) -> tuple[list[InboxRow], list[InboxRow]]:
    """The clinic's conversations: (needing a person, most urgent then oldest wait first;
    the :data:`RECENT_LIMIT` newest others)."""
    convs = session.scalars(select(Conversation).where(Conversation.clinic_id == clinic_id)).all()
    activity = _activity(session, clinic_id)
    alerts = _alerts(session, clinic_id)
    previews = _previews(session, [a.last_id for a in activity.values() if a.last_id])
    needing: list[InboxRow] = []
    others: list[InboxRow] = []
    for conv in convs:
        act = activity.get(conv.id, _Activity())
        attention = _attention(conv.ai_paused, act, alerts.get(conv.id, {}))
        body, direction = previews.get(act.last_id, ("", ""))
        last_at = max(t for t in (act.last_in, act.last_out, conv.created_at) if t is not None)
        row = InboxRow(
            conv.id,
            conv.patient_phone,
            conv.ai_paused,
            attention,
            last_at,
            body[:PREVIEW_CHARS],
            direction,
        )
        (needing if attention else others).append(row)
    needing.sort(key=lambda r: (_RANK[r.attention or ""], r.last_at))
    others.sort(key=lambda r: r.last_at, reverse=True)
    return needing, others[:RECENT_LIMIT]


def _attention(paused: bool, act: _Activity, alerts: dict[str, dt.datetime]) -> str | None:
    """Which of :data:`ATTENTION` applies, or None."""
    if paused and "emergency" in alerts:
        return "emergency"
    if paused and alerts:
        return "handoff"
    if act.last_in is not None and (act.last_out is None or act.last_in > act.last_out):
        return "unanswered"
    newest_alert = max(alerts.values(), default=None)
    if newest_alert is not None and (
        act.last_staff_reply is None or newest_alert > act.last_staff_reply
    ):
        return "unanswered"
    return "paused" if paused else None


def _activity(session: Session, clinic_id: str) -> dict[int | None, _Activity]:
    """Newest inbound, outbound and staff-reply instants and newest message id per
    conversation."""
    rows = session.execute(
        select(
            Message.conversation_id,
            Message.direction,
            Message.kind,
            func.max(Message.created_at),
            func.max(Message.id),
        )
        .where(Message.clinic_id == clinic_id, Message.conversation_id.is_not(None))
        .group_by(Message.conversation_id, Message.direction, Message.kind)
    ).all()
    found: dict[int | None, _Activity] = {}
    for conv_id, direction, kind, newest, newest_id in rows:
        act = found.setdefault(conv_id, _Activity())
        act.last_id = max(act.last_id, newest_id)
        if direction == Direction.IN:
            act.last_in = _later(act.last_in, newest)
        else:
            act.last_out = _later(act.last_out, newest)
            if kind == "staff_reply":
                act.last_staff_reply = _later(act.last_staff_reply, newest)
    return found


def _later(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None or b > a else a


def _alerts(session: Session, clinic_id: str) -> dict[int | None, dict[str, dt.datetime]]:
    """Newest alert instant by reason, per conversation (alerts only, not notices)."""
    rows = session.execute(
        select(StaffAlert.conversation_id, StaffAlert.reason, func.max(StaffAlert.created_at))
        .where(
            StaffAlert.clinic_id == clinic_id,
            StaffAlert.kind == AlertKind.ALERT,
            StaffAlert.conversation_id.is_not(None),
        )
        .group_by(StaffAlert.conversation_id, StaffAlert.reason)
    ).all()
    found: dict[int | None, dict[str, dt.datetime]] = {}
    for conv_id, reason, newest in rows:
        found.setdefault(conv_id, {})[reason] = newest
    return found


def _previews(session: Session, message_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Body and direction of each of ``message_ids``."""
    if not message_ids:
        return {}
    rows = session.execute(
        select(Message.id, Message.body, Message.direction).where(Message.id.in_(message_ids))
    ).all()
    return {mid: (body, str(direction)) for mid, body, direction in rows}
