"""The agent's transcript: what the model saw and did, turn by turn (user, assistant, tool),
with one bookkeeping row per turn; the conversation's dialog state (:mod:`agent.dialog`);
and reading and writing them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import structlog
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, column, func, select, table
from sqlalchemy.orm import Mapped, Session, mapped_column

from agent.dialog import ConversationState, parse_state
from agent.models.base import ChatMessage, ToolCall
from app.db import Base, UTCDateTime, enum_column, utcnow
from booking.models import PENDING_STATUSES, Appointment

log = structlog.get_logger(__name__)

#: The columns of ``conversations`` (messaging's table) that tie a turn to its clinic.
_conversations = table("conversations", column("id"), column("clinic_id"))


class Role(enum.StrEnum):
    """Who said a message of the model-facing history (the Chat Completions roles we store)."""

    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"
    #: A note the engine adds for the model (e.g. why a reply must be regenerated).
    SYSTEM = "system"


class TurnOutcome(enum.StrEnum):
    """How a turn ended (:class:`AgentTurn` ``outcome``)."""

    #: The model answered and every output guardrail let the reply through.
    OK = "ok"
    #: A guardrail answered and staff took over: safety triage before any model ran, or the
    #: medical-advice check replaced the model's reply.
    GUARDRAIL = "guardrail"
    #: The reply stated facts no record or tool supports, twice; a safe text replaced it.
    UNGROUNDED = "ungrounded"
    #: The turn's wall-clock budget ran out (fallback sent, staff alerted).
    TIME_BUDGET = "time_budget"
    #: The model kept calling tools past the step cap (fallback sent, staff alerted).
    STEP_CAP = "step_cap"
    #: The model's service failed (fallback sent, staff alerted).
    MODEL_ERROR = "model_error"
    #: The model answered with nothing (fallback sent, staff alerted).
    EMPTY = "empty"
    #: The turn raised unexpectedly (a bug, a tool error); fallback sent, staff alerted.
    ERROR = "error"
    #: The clinic's daily model-token budget was spent before the turn (no model ran): the
    #: polite reply was sent, staff alerted and the AI paused (:mod:`agent.limits`).
    LIMIT = "limit"


class AgentStep(Base):
    """One chat message in the model-facing history of a conversation.

    ``role`` is user | assistant | tool; assistant rows may carry ``tool_calls``
    (``[{"id", "name", "arguments"}]``), tool rows carry ``tool_call_id`` and ``name``.
    """

    __tablename__ = "agent_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    turn: Mapped[int] = mapped_column(Integer)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role", 16))
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    tool_call_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgentTurn(Base):
    """Bookkeeping for one turn: model, steps taken, tokens, latency, outcome."""

    __tablename__ = "agent_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[str] = mapped_column(String(64))
    steps: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    #: Estimated model cost in millionths of a US dollar (None: unknown model price).
    cost_microdollars: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model_ms: Mapped[int] = mapped_column(Integer, default=0)
    total_ms: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[TurnOutcome] = mapped_column(
        enum_column(TurnOutcome, "outcome", 32), default=TurnOutcome.OK
    )
    #: Indexed: the clinic's daily token budget sums today's rows (:func:`tokens_used_since`).
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DialogStateRow(Base):
    """The dialog state of one conversation (:class:`agent.dialog.ConversationState` as JSON),
    written at the end of every agent turn; a conversation without a row starts empty."""

    __tablename__ = "dialog_states"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


#: Appointment statuses of a hold still waiting for its deposit (or for its booking).
_HELD = PENDING_STATUSES


def load_state(session: Session, conversation_id: int) -> ConversationState:
    """The stored dialog state of ``conversation_id`` (empty when it has none, or when the
    stored one is of another version), with a hold that ended since (expired, paid, released
    by staff) taken off, a group's holds too: the appointment row is the truth about a hold.

    Args:
        session: an open session (read only).
        conversation_id: whose state.
    """
    row = session.get(DialogStateRow, conversation_id)
    state = parse_state(row.state) if row is not None else None
    if row is not None and state is None:
        log.warning("dialog_state_unreadable", conversation_id=conversation_id)
    state = state or ConversationState()
    if state.hold is not None and not _still_held(session, state.hold.appointment_id):
        state.hold_ended()
    state.group_holds = [h for h in state.group_holds if _still_held(session, h.appointment_id)]
    return state


def _still_held(session: Session, appointment_id: int) -> bool:
    """The appointment ``appointment_id`` is still an unpaid hold."""
    held = session.get(Appointment, appointment_id)
    return held is not None and held.status in _HELD


def save_state(
    session: Session, conversation_id: int, state: ConversationState, now: dt.datetime
) -> None:
    """Store ``state`` as the dialog state of ``conversation_id`` in ``session`` (the caller's
    transaction commits it), replacing the earlier one."""
    data = state.model_dump(mode="json")
    row = session.get(DialogStateRow, conversation_id)
    if row is None:
        session.add(DialogStateRow(conversation_id=conversation_id, state=data, updated_at=now))
    else:
        row.state, row.updated_at = data, now


def load_history(
    session: Session, conversation_id: int, limit: int
) -> tuple[list[ChatMessage], int]:
    """The model-facing history of a conversation and the number of the next turn.

    Args:
        session: an open session (read only).
        conversation_id: whose history.
        limit: most stored messages returned (the newest); the history never starts inside
            a tool exchange, so it may be shorter.

    Returns:
        ``(messages oldest first, next turn number)``.
    """
    rows = list(
        session.execute(
            select(AgentStep)
            .where(AgentStep.conversation_id == conversation_id)
            .order_by(AgentStep.id.desc())
            .limit(limit)
        ).scalars()
    )
    last_turn = session.execute(
        select(func.max(AgentStep.turn)).where(AgentStep.conversation_id == conversation_id)
    ).scalar()
    rows.reverse()
    while rows and rows[0].role != "user":  # never start inside a tool exchange
        rows.pop(0)
    return [_message(r) for r in rows], (last_turn or 0) + 1


def _message(row: AgentStep) -> ChatMessage:
    calls = tuple(
        ToolCall(c["id"], c["name"], c.get("arguments") or {}) for c in row.tool_calls or ()
    )
    return ChatMessage(
        role=row.role,
        content=row.content,
        tool_calls=calls,
        tool_call_id=row.tool_call_id,
        name=row.name,
    )


def save_turn(
    session: Session,
    conversation_id: int,
    turn: int,
    messages: list[ChatMessage],
    record: AgentTurn,
    now: dt.datetime,
    state: ConversationState | None = None,
) -> None:
    """Add a turn's new ``messages`` (as turn number ``turn``), its ``record`` and the dialog
    ``state`` it ended with (None: leave the stored one) to ``session`` (the caller's
    transaction commits them)."""
    if state is not None:
        save_state(session, conversation_id, state, now)
    for m in messages:
        session.add(
            AgentStep(
                conversation_id=conversation_id,
                turn=turn,
                role=m.role,
                content=m.content,
                tool_calls=[
                    {"id": c.id, "name": c.name, "arguments": c.arguments} for c in m.tool_calls
                ]
                or None,
                tool_call_id=m.tool_call_id,
                name=m.name,
                created_at=now,
            )
        )
    session.add(record)


def tokens_used_since(session: Session, clinic_id: str, since: dt.datetime) -> int:
    """Model tokens (prompt + completion) of every turn of ``clinic_id``'s conversations
    recorded at or after ``since`` (aware); 0 when none."""
    total = session.scalar(
        select(func.sum(AgentTurn.prompt_tokens + AgentTurn.completion_tokens))
        .select_from(AgentTurn)
        .join(_conversations, _conversations.c.id == AgentTurn.conversation_id)
        .where(_conversations.c.clinic_id == clinic_id, AgentTurn.created_at >= since)
    )
    return int(total or 0)
