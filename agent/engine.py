"""The turn loop: history + the patient's new text -> model -> tools -> ... -> SMS reply.

A turn has a step cap and a time budget; a model failure never leaves the patient in
silence: they get a safe fallback and staff are alerted (DESIGN.md §2, agent turn).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import func, select

from agent.grounding import ungrounded
from agent.models.base import (
    ChatMessage,
    ChatModel,
    ChatRequest,
    ModelError,
    ToolCall,
    TurnContext,
)
from agent.prompt import clinic_block, system_prompt
from agent.store import AgentStep, AgentTurn
from agent.tools import AgentDeps, execute, specs

log = structlog.get_logger(__name__)

FALLBACK = "Thanks for your message! A team member will text you back shortly."
#: Sent instead of a reply that states facts no record or tool result contains.
UNGROUNDED = (
    "Sorry, I want to get that exactly right, so let me check with the team and get back to you."
)
#: How many stored history messages a turn sends to the model at most.
HISTORY_LIMIT = 40


@dataclass
class TurnResult:
    """A finished turn: the texts to send, and whether staff took over."""

    replies: list[str]
    handed_off: bool = False
    outcome: str = "ok"
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_ms: int = 0
    tool_names: list[str] = field(default_factory=list)


def _history(deps: AgentDeps) -> tuple[list[ChatMessage], int]:
    with deps.db.session() as session:
        rows = list(
            session.execute(
                select(AgentStep)
                .where(AgentStep.conversation_id == deps.conversation_id)
                .order_by(AgentStep.id.desc())
                .limit(HISTORY_LIMIT)
            ).scalars()
        )
        last_turn = session.execute(
            select(func.max(AgentStep.turn)).where(
                AgentStep.conversation_id == deps.conversation_id
            )
        ).scalar()
    rows.reverse()
    while rows and rows[0].role != "user":  # never start inside a tool exchange
        rows.pop(0)
    messages = [
        ChatMessage(
            role=r.role,
            content=r.content,
            tool_calls=tuple(
                ToolCall(c["id"], c["name"], c.get("arguments") or {}) for c in r.tool_calls or ()
            ),
            tool_call_id=r.tool_call_id,
            name=r.name,
        )
        for r in rows
    ]
    return messages, (last_turn or 0) + 1


_MARKDOWN = [
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),
    (re.compile(r"__(.+?)__"), r"\1"),
    (re.compile(r"^#+\s*", re.M), ""),
    (re.compile(r"\[([^\]]+)\]\((https?://[^)]+)\)"), r"\1: \2"),
    (re.compile(r"`([^`]+)`"), r"\1"),
]


def plain_sms(text: str) -> str:
    """Strip markdown a model may emit, so the patient sees plain text."""
    for pattern, repl in _MARKDOWN:
        text = pattern.sub(repl, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def run_turn(
    deps: AgentDeps,
    model: ChatModel,
    user_text: str,
    *,
    max_steps: int = 6,
    time_budget_seconds: float = 45.0,
    timer: Callable[[], float] = time.monotonic,
) -> TurnResult:
    """Run one agent turn for the patient's (possibly coalesced) ``user_text``.

    Args:
        deps: the turn's dependencies (conversation, clinic, EMR, deposits, handoff).
        model: the chat backend.
        max_steps: most model calls in the turn.
        time_budget_seconds: wall-clock budget; past it the turn ends with the fallback.
        timer: monotonic clock in seconds (injectable for tests).

    Returns:
        :class:`TurnResult`; ``replies`` is never empty unless the turn handed off silently.
    """
    started = timer()
    history, turn = _history(deps)
    system = ChatMessage(role="system", content=system_prompt(deps.clinic, deps.now))
    user = ChatMessage(role="user", content=user_text)
    new: list[ChatMessage] = [user]
    result = TurnResult(replies=[])
    handed_off: list[str] = []
    real_handoff = deps.handoff

    def handoff(reason: str, summary: str) -> None:
        handed_off.append(reason)
        real_handoff(reason, summary)

    deps.handoff = handoff
    tools = specs()
    final: str | None = None
    local = deps.now.astimezone(deps.clinic.clinic.zone)
    sources = [clinic_block(deps.clinic), f"{local:%A %b} {local.day} {local:%H:%M}"]
    sources += [m.content or "" for m in history if m.role == "tool"]
    sources += [json.dumps(c.arguments) for m in history for c in m.tool_calls]
    regenerated = False
    try:
        for _ in range(max_steps):
            if timer() - started > time_budget_seconds:
                result.outcome = "time_budget"
                break
            request = ChatRequest(
                messages=[system, *history, *new],
                tools=tools,
                context=TurnContext(clinic=deps.clinic, now=deps.now),
            )
            t0 = timer()
            response = model.complete(request)
            result.model_ms += int((timer() - t0) * 1000)
            result.steps += 1
            result.prompt_tokens += response.usage.prompt_tokens
            result.completion_tokens += response.usage.completion_tokens
            if response.tool_calls:
                new.append(
                    ChatMessage(
                        role="assistant", content=response.content, tool_calls=response.tool_calls
                    )
                )
                for call in response.tool_calls:
                    result.tool_names.append(call.name)
                    output = execute(deps, call.name, call.arguments)
                    new.append(
                        ChatMessage(
                            role="tool", content=output, tool_call_id=call.id, name=call.name
                        )
                    )
                continue
            final = plain_sms(response.content or "")
            tool_texts = [m.content or "" for m in new if m.role == "tool"]
            # The model's own tool arguments (the patient's wishes it searched with) count.
            tool_texts += [json.dumps(c.arguments) for m in new for c in m.tool_calls]
            problems = ungrounded(final, [*sources, *tool_texts], deps.clinic) if final else []
            if problems and not regenerated:
                # One rewrite: tell the model exactly which facts had no source.
                regenerated = True
                log.info("reply_ungrounded_regenerating", count=len(problems))
                new.append(ChatMessage(role="assistant", content=final))
                new.append(
                    ChatMessage(
                        role="system",
                        content=(
                            "[system check] Your reply stated "
                            + ", ".join(problems)
                            + ", which no "
                            "clinic record or tool result contains. Rewrite it using only facts from "
                            "the clinic records and tool results; call a tool if you need one."
                        ),
                    )
                )
                final = None
                continue
            if problems:
                log.warning("reply_ungrounded_replaced", count=len(problems))
                result.outcome = "ungrounded"
                final = UNGROUNDED
            new.append(ChatMessage(role="assistant", content=final))
            break
        else:
            result.outcome = "step_cap"
    except ModelError as exc:
        log.warning("model_failed", error=str(exc)[:200], conversation_id=deps.conversation_id)
        result.outcome = "model_error"
    finally:
        deps.handoff = real_handoff
    if not final:
        if result.outcome == "ok":
            result.outcome = "empty"
        final = FALLBACK
        if not handed_off:
            real_handoff(
                "other",
                f"The assistant could not answer ({result.outcome}); please reply to the patient.",
            )
            handed_off.append("other")
        new.append(ChatMessage(role="assistant", content=final))
    result.replies = [final]
    result.handed_off = bool(handed_off)
    _save(deps, model, turn, new, result, int((timer() - started) * 1000))
    return result


def _cost(model_name: str, result: TurnResult) -> int | None:
    """Estimated cost of the turn in micro-dollars; 0 for the offline model."""
    if model_name == "offline":
        return 0
    from agent.models.base import Usage
    from agent.models.openai import estimate_cost_cents

    cents = estimate_cost_cents(model_name, Usage(result.prompt_tokens, result.completion_tokens))
    return None if cents is None else round(cents * 10_000)


def _save(
    deps: AgentDeps,
    model: ChatModel,
    turn: int,
    new: list[ChatMessage],
    result: TurnResult,
    total_ms: int,
) -> None:
    with deps.db.session() as session:
        for m in new:
            session.add(
                AgentStep(
                    conversation_id=deps.conversation_id,
                    turn=turn,
                    role=m.role,
                    content=m.content,
                    tool_calls=[
                        {"id": c.id, "name": c.name, "arguments": c.arguments} for c in m.tool_calls
                    ]
                    or None,
                    tool_call_id=m.tool_call_id,
                    name=m.name,
                    created_at=deps.now,
                )
            )
        session.add(
            AgentTurn(
                conversation_id=deps.conversation_id,
                model=model.name,
                steps=result.steps,
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                model_ms=result.model_ms,
                cost_microdollars=_cost(model.name, result),
                total_ms=total_ms,
                outcome=result.outcome,
                created_at=deps.now,
            )
        )
