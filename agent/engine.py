"""The turn loop: history -> input guardrails -> model/tool loop -> output guardrails -> save.

A turn has a step cap and a time budget; a model failure never leaves the patient in
silence: they get a safe fallback and staff are alerted (DESIGN.md §2, agent turn). Input
guardrails (:data:`agent.guardrails.INPUT_GUARDRAILS`) may end the turn before any model
runs; output guardrails (:data:`agent.guardrails.OUTPUT_GUARDRAILS`) may send a reply back
to the model or replace it (and hand the conversation to staff: a reply giving medical
advice).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import structlog
from sqlalchemy.orm import Session

from agent import copy
from agent.dialog import ConversationState, StateUpdate
from agent.guardrails import (
    INPUT_GUARDRAILS,
    OUTPUT_GUARDRAILS,
    GuardrailContext,
    Regenerate,
    Replace,
)
from agent.limits import BUDGET_REASON, budget_alert, cap_text, tokens_today
from agent.models.base import (
    ChatMessage,
    ChatModel,
    ChatRequest,
    ModelError,
    ToolCall,
    TurnContext,
)
from agent.promise import keep_promise
from agent.prompt import system_prompt
from agent.store import AgentTurn, TurnOutcome, load_history, load_state, save_turn
from agent.tools import AgentDeps, execute, specs
from agent.visit_confirm import answer_reminder
from agent.waitlist_intent import waitlist_reply
from knowledge.clinic_file import ClinicFile

log = structlog.get_logger(__name__)

#: How many stored history messages a turn sends to the model at most.
HISTORY_LIMIT = 40


@dataclass
class TurnResult:
    """A finished turn: the texts to send, and whether staff took over.

    Attributes:
        replies: the texts for the patient (one today).
        handed_off: staff were alerted and the AI paused during the turn.
        outcome: ok | guardrail (a guardrail answered: safety triage before the model, or
            the medical-advice check instead of its reply) | ungrounded | time_budget |
            step_cap | model_error | empty.
        steps, prompt_tokens, completion_tokens, model_ms: model calls and their cost.
        tool_names: the tools run, in order.
    """

    replies: list[str]
    handed_off: bool = False
    outcome: str = "ok"
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_ms: int = 0
    tool_names: list[str] = field(default_factory=list)


@dataclass
class _Turn:
    """One turn in progress: the history it started from and what it added."""

    history: list[ChatMessage]
    new: list[ChatMessage]
    result: TurnResult
    handed_off: list[str]
    regenerations: int = 0
    #: Alerts that left the AI on (a medical question), noted so staff are alerted once.
    alerted: list[str] = field(default_factory=list)
    #: Where the conversation stood when the turn began (what the model is shown).
    start: ConversationState = field(default_factory=ConversationState)
    #: The model's state update of the reply being sent (None: a reply that asks nothing).
    update: StateUpdate | None = None

    def context(self, deps: AgentDeps) -> GuardrailContext:
        """What guardrails see of this turn so far."""
        return GuardrailContext(
            clinic=deps.clinic,
            now=deps.now,
            history=tuple(self.history),
            turn=tuple(self.new),
            regenerations=self.regenerations,
        )

    def say(self, text: str) -> str:
        """Record ``text`` as the assistant's reply and return it."""
        self.new.append(ChatMessage(role="assistant", content=text))
        return text


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


@dataclass(frozen=True)
class History:
    """What a turn starts from: the model-facing history (messages oldest first), the number
    the new turn will be stored as (see :func:`agent.store.load_history`), the model tokens
    the clinic used today (its daily budget) and the conversation's dialog state
    (:func:`read_history` reads all four)."""

    messages: list[ChatMessage]
    next_turn: int
    clinic_tokens_today: int = 0
    state: ConversationState = field(default_factory=ConversationState)


def read_history(
    session: Session, conversation_id: int, clinic: ClinicFile, now: dt.datetime
) -> History:
    """The :class:`History` a turn of ``conversation_id`` at ``now`` (aware) starts from, read
    in the caller's transaction."""
    messages, number = load_history(session, conversation_id, HISTORY_LIMIT)
    state = load_state(session, conversation_id)
    return History(messages, number, tokens_today(session, clinic, now), state)


@dataclass
class Answer:
    """A finished turn, not yet stored: its result and what :func:`agent.store.save_turn`
    writes (the new messages, as turn ``number``, the bookkeeping row, and the dialog state
    the turn ended with; None leaves the stored one)."""

    result: TurnResult
    number: int
    messages: list[ChatMessage]
    record: AgentTurn
    state: ConversationState | None = None


def run_turn(
    deps: AgentDeps,
    model: ChatModel,
    user_text: str,
    *,
    max_steps: int = 6,
    time_budget_seconds: float = 45.0,
    timer: Callable[[], float] = time.monotonic,
) -> TurnResult:
    """Run and store one agent turn for ``user_text``, reading and writing the transcript in
    transactions of its own (the turn flow instead reads and writes it inside its own, with
    :func:`answer`).

    Args and raises: as :func:`answer`.

    Returns:
        :class:`TurnResult`; ``replies`` always holds one non-empty text.
    """
    with deps.db.session() as session:
        history = read_history(session, deps.conversation_id, deps.clinic, deps.now)
    done = answer(
        deps,
        model,
        user_text,
        history,
        max_steps=max_steps,
        time_budget_seconds=time_budget_seconds,
        timer=timer,
    )
    with deps.db.session() as session:
        save_turn(
            session,
            deps.conversation_id,
            done.number,
            done.messages,
            done.record,
            deps.now,
            state=done.state,
        )
    return done.result


def answer(
    deps: AgentDeps,
    model: ChatModel,
    user_text: str,
    history: History,
    *,
    max_steps: int = 6,
    time_budget_seconds: float = 45.0,
    timer: Callable[[], float] = time.monotonic,
) -> Answer:
    """Answer the patient's (possibly coalesced) ``user_text`` after ``history``.

    Input guardrails first (an emergency never reaches a model), then the clinic's daily
    model-token budget (spent: a polite reply, staff alerted, the AI paused; no model runs),
    then the model and the tools it calls, then the output guardrails; a turn that ends
    without a reply gets the safe fallback and staff are alerted. The model sees the patient's
    text cut to the clinic's ``limits.max_text_chars`` (the guardrails read all of it). Only
    tools and handoffs touch the database here.

    Args:
        deps: the turn's dependencies (conversation, clinic, EMR, deposits, handoff).
        model: the chat backend.
        user_text: the patient's text (a burst joined by newlines).
        history: the transcript so far and the clinic's tokens today (:func:`read_history`).
        max_steps: most model calls in the turn.
        time_budget_seconds: wall-clock budget; past it the turn ends with the fallback.
        timer: monotonic clock in seconds (injectable for tests).

    Returns:
        :class:`Answer` whose ``result.replies`` holds one non-empty text.

    Raises:
        Whatever ``deps.handoff``, a tool or the database raise other than
        :class:`ModelError` (the inbound text then stays for the sweeper).
    """
    started = timer()
    turn = _Turn(history.messages, [_patient_message(deps, user_text)], TurnResult([]), [])
    turn.start, deps.state = history.state, history.state.model_copy(deep=True)
    with _tracking_handoff(deps, turn.handed_off, turn.alerted):
        final = _screen_input(deps, turn, user_text)
        if final is None and (confirmed := answer_reminder(deps, user_text)) is not None:
            final = turn.say(confirmed)
        if final is None and (said := waitlist_reply(deps, user_text, turn.history)):
            final = turn.say(said)
        if final is None:
            final = _stop_over_budget(deps, turn, history.clinic_tokens_today)
        if final is None:
            deadline = started + time_budget_seconds
            final = _model_loop(
                deps, model, turn, max_steps=max_steps, deadline=deadline, timer=timer
            )
        if not final:
            final = _fallback(deps, turn)
        keep_promise(deps, bool(turn.handed_off or turn.alerted), user_text, final)
    turn.result.replies = [final]
    turn.result.handed_off = bool(turn.handed_off)
    deps.state.after_reply(turn.update)
    record = _record(model.name, turn.result, int((timer() - started) * 1000), deps)
    return Answer(turn.result, history.next_turn, turn.new, record, deps.state)


def failed_answer(deps: AgentDeps, model: ChatModel, user_text: str, history: History) -> Answer:
    """The answer of a turn that failed unexpectedly (a bug, a tool that raised, a handoff that
    could not be saved): staff are alerted and the patient is never left in silence
    (DESIGN.md §2). The input guardrails run again (they touch nothing), so an emergency still
    gets its 911 instruction and its own alert reason; anything else gets the safe fallback.
    """
    turn = _Turn(history.messages, [_patient_message(deps, user_text)], TurnResult([]), [])
    tripwire = next(
        (t for g in INPUT_GUARDRAILS if (t := g.check(user_text, turn.context(deps)))), None
    )
    if tripwire is not None:
        turn.result.outcome = TurnOutcome(tripwire.outcome)
        deps.notify(tripwire.handoff_reason, tripwire.handoff_summary, pause=tripwire.pause)
        reply = tripwire.reply
    else:
        turn.result.outcome = TurnOutcome.ERROR
        deps.handoff("other", "The assistant hit an error answering the patient; please reply.")
        reply = copy.FALLBACK
    turn.result.replies = [turn.say(reply)]
    turn.result.handed_off = True
    deps.state.after_reply(None)  # what the tools did before the failure is kept
    record = _record(model.name, turn.result, 0, deps)
    return Answer(turn.result, history.next_turn, turn.new, record, deps.state)


def _patient_message(deps: AgentDeps, user_text: str) -> ChatMessage:
    """The patient's text as the model sees it (and the transcript keeps it): cut to the
    clinic's ``limits.max_text_chars``, with a note when it was cut."""
    return ChatMessage(
        role="user", content=cap_text(user_text, deps.clinic.clinic.limits.max_text_chars)
    )


def _stop_over_budget(deps: AgentDeps, turn: _Turn, used: int) -> str | None:
    """End the turn before any model runs when the clinic has ``used`` its daily model-token
    budget (``limits.daily_model_tokens``): staff are alerted, the AI pauses, the patient gets
    :data:`copy.OVER_BUDGET`. A turn that starts under the budget finishes, so the day's last
    turn may go over it.

    Returns:
        That reply, or None when the model may be called.
    """
    allowed = deps.clinic.clinic.limits.daily_model_tokens
    if used < allowed:
        return None
    log.warning("token_budget_spent", clinic_id=deps.clinic.clinic.id, used=used)
    deps.handoff(BUDGET_REASON, budget_alert(used, allowed))
    turn.result.outcome = TurnOutcome.LIMIT
    return turn.say(copy.OVER_BUDGET)


@contextmanager
def _tracking_handoff(
    deps: AgentDeps, reasons: list[str], alerts: list[str] | None = None
) -> Iterator[None]:
    """While open, every ``deps.handoff`` call (from a tool or a guardrail) is also noted in
    ``reasons``, and every ``deps.alert`` call in ``alerts``."""
    real, real_alert = deps.handoff, deps.alert

    def handoff(reason: str, summary: str) -> None:
        reasons.append(reason)
        real(reason, summary)

    def alert(reason: str, summary: str) -> None:
        if alerts is not None:
            alerts.append(reason)
        if real_alert is not None:
            real_alert(reason, summary)

    deps.handoff = handoff
    if real_alert is not None:
        deps.alert = alert
    try:
        yield
    finally:
        deps.handoff, deps.alert = real, real_alert


def _screen_input(deps: AgentDeps, turn: _Turn, user_text: str) -> str | None:
    """Run the input guardrails; the first that trips hands off and answers the turn."""
    context = turn.context(deps)
    for guardrail in INPUT_GUARDRAILS:
        tripwire = guardrail.check(user_text, context)
        if tripwire is not None:
            log.info(
                "input_guardrail_tripped", guardrail=guardrail.name, reason=tripwire.handoff_reason
            )
            deps.notify(tripwire.handoff_reason, tripwire.handoff_summary, pause=tripwire.pause)
            turn.result.outcome = tripwire.outcome
            return turn.say(tripwire.reply)
    return None


def _model_loop(
    deps: AgentDeps,
    model: ChatModel,
    turn: _Turn,
    *,
    max_steps: int,
    deadline: float,
    timer: Callable[[], float],
) -> str | None:
    """Call the model, run the tools it asks for, screen its final reply; None when the turn
    ended without a reply (outcome set)."""
    system = ChatMessage(role="system", content=system_prompt(deps.clinic, deps.now, turn.start))
    tools = specs()
    result = turn.result
    try:
        for _ in range(max_steps):
            if timer() > deadline:
                result.outcome = "time_budget"
                return None
            request = ChatRequest(
                messages=[system, *turn.history, *turn.new],
                tools=tools,
                context=TurnContext(clinic=deps.clinic, now=deps.now, state=turn.start),
            )
            t0 = timer()
            response = model.complete(request)
            result.model_ms += int((timer() - t0) * 1000)
            result.steps += 1
            result.prompt_tokens += response.usage.prompt_tokens
            result.completion_tokens += response.usage.completion_tokens
            if response.tool_calls:
                turn.new.append(
                    ChatMessage(
                        role="assistant", content=response.content, tool_calls=response.tool_calls
                    )
                )
                _run_tools(deps, turn, response.tool_calls)
                continue
            turn.update = response.state
            reply = _screen_output(deps, turn, plain_sms(response.content or ""))
            if reply is not None:
                return reply
        result.outcome = "step_cap"
    except ModelError as exc:
        log.warning("model_failed", error=str(exc)[:200], conversation_id=deps.conversation_id)
        result.outcome = "model_error"
    return None


def _run_tools(deps: AgentDeps, turn: _Turn, calls: tuple[ToolCall, ...]) -> None:
    """Run each tool call and add its result (JSON text, errors included) to the turn."""
    for call in calls:
        turn.result.tool_names.append(call.name)
        output = execute(deps, call.name, call.arguments)
        turn.new.append(
            ChatMessage(role="tool", content=output, tool_call_id=call.id, name=call.name)
        )


def _screen_output(deps: AgentDeps, turn: _Turn, reply: str) -> str | None:
    """Run the output guardrails on a final ``reply``.

    A :class:`Replace` that names a handoff also hands the conversation to staff.

    Returns:
        The text to send (the reply, or a guardrail's replacement), or None when a guardrail
        sent the reply back to the model for another go.
    """
    if not reply:
        return turn.say(reply)
    context = turn.context(deps)
    for guardrail in OUTPUT_GUARDRAILS:
        verdict = guardrail.check(reply, context)
        if isinstance(verdict, Regenerate):
            turn.regenerations += 1
            turn.say(reply)
            turn.new.append(ChatMessage(role="system", content=verdict.note))
            return None
        if isinstance(verdict, Replace):
            turn.update = None  # the model's reply, and what it asked, is not sent
            _hand_off_for(deps, turn, guardrail.name, verdict)
            turn.result.outcome = verdict.outcome
            return turn.say(verdict.reply)
    return turn.say(reply)


def _hand_off_for(deps: AgentDeps, turn: _Turn, guardrail: str, verdict: Replace) -> None:
    """Alert staff as a :class:`Replace` asks (pausing the AI when it says so), unless this
    turn already alerted them (a tool call did): staff are alerted once per turn."""
    if verdict.handoff_reason is None:
        return
    first = not (turn.handed_off or turn.alerted)
    log.info(
        "output_guardrail_handed_off",
        guardrail=guardrail,
        reason=verdict.handoff_reason,
        alerted=first,
    )
    if first:
        deps.notify(verdict.handoff_reason, verdict.handoff_summary, pause=verdict.pause)


def _fallback(deps: AgentDeps, turn: _Turn) -> str:
    """The safe reply of a turn that produced none; staff are alerted unless they already
    were."""
    if turn.result.outcome == "ok":
        turn.result.outcome = "empty"
    if not turn.handed_off:
        deps.handoff(
            "other",
            f"The assistant could not answer ({turn.result.outcome}); please reply to the patient.",
        )
    return turn.say(copy.FALLBACK)


def _record(model_name: str, result: TurnResult, total_ms: int, deps: AgentDeps) -> AgentTurn:
    """The bookkeeping row of a finished turn."""
    return AgentTurn(
        conversation_id=deps.conversation_id,
        model=model_name,
        steps=result.steps,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        model_ms=result.model_ms,
        cost_microdollars=_cost(model_name, result),
        total_ms=total_ms,
        outcome=TurnOutcome(result.outcome),
        created_at=deps.now,
    )


def _cost(model_name: str, result: TurnResult) -> int | None:
    """Estimated cost of the turn in micro-dollars; 0 for the offline model."""
    if model_name == "offline":
        return 0
    from agent.models.base import Usage
    from agent.models.openai import estimate_cost_cents

    cents = estimate_cost_cents(model_name, Usage(result.prompt_tokens, result.completion_tokens))
    return None if cents is None else round(cents * 10_000)
