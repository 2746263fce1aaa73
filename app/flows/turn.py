"""Turn flow: the worker answers a conversation's new texts (DESIGN.md §2, inbound SMS).

Read top to bottom, a turn is:

1. :func:`take_turn` (the job :mod:`app.flows.inbound_text` enqueued) holds the conversation
   lock, so one worker at a time answers a conversation, in arrival order;
2. :func:`_prepare`, one transaction: lock the conversation row, wait out the burst window
   (RQ only: the job is re-enqueued for when it closes), take every unprocessed inbound text
   (a burst is one turn), apply STOP / START / HELP (:mod:`messaging.consent`), stop for an
   opted-out number or a conversation staff have taken over (staff are told), stop a number
   past the clinic's limits (:mod:`app.flows.limits`: one polite reply, staff alerted, the AI
   paused; an emergency still goes on), and read the agent's transcript and the
   conversation's dialog state (:mod:`agent.dialog`);
3. the agent answers (:func:`agent.engine.answer`: guardrails, model, tools; only the tools
   the model calls touch the database);
4. :func:`_save`, one transaction: the texts marked processed, the turn's transcript, its
   dialog state and the reply rows, within the clinic's segment budget; the outbound choke
   point sends them after commit (:mod:`app.wiring`). A turn that dies before it leaves its texts unprocessed for the
   sweeper; an unexpected error in the agent ends in the fallback reply and a staff alert.

A turn that needs no tool is therefore two transactions, and three with a tool that reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import structlog
from sqlalchemy.orm import Session

from agent.engine import Answer, History, answer, failed_answer, read_history
from agent.guardrails.triage import emergency_tripwire
from agent.store import save_turn
from agent.tools import AgentDeps
from app import copy
from app.context import AppContext
from app.flows.limits import stop_at_limit
from app.flows.staff import alert_staff, handoff
from app.metrics import observe_turn
from booking.funnel import CONVERSATION_STARTED, conversation_subject, record_step
from knowledge.clinic_file import ClinicFile
from knowledge.store import load_clinic
from messaging.consent import apply_keywords
from messaging.inbound import latest_unprocessed_at, lock_conversation, mark_processed, unprocessed
from messaging.models import Conversation
from messaging.outbound import queue_reply_parts
from messaging.staff import notify_staff

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PreparedTurn:
    """What the agent answers: the patient's texts of this turn, joined, and whose they are."""

    conversation_id: int
    clinic: ClinicFile
    patient: str
    user_text: str
    history: History
    #: The inbound texts this turn answers, marked processed when the answer is saved.
    text_ids: list[int]


def take_turn(ctx: AppContext, conversation_id: int) -> None:
    """Answer every unprocessed inbound text of ``conversation_id`` (job).

    Safe to run twice: a second run finds nothing unprocessed and returns. One worker at a
    time runs a conversation (``ctx.conversation_lock`` plus the row lock).
    """
    with ctx.conversation_lock(conversation_id):
        now = ctx.clock.now()
        turn = _prepare(ctx, conversation_id, now)
        if turn is None:
            return
        deps = AgentDeps(
            db=ctx.db,
            clinic=turn.clinic,
            terms=ctx.clinic_terms(turn.clinic),
            emr=ctx.emr_for(turn.clinic),
            deposits=ctx.deposits,
            conversation_id=conversation_id,
            patient_phone=turn.patient,
            now=now,
            handoff=partial(handoff, ctx, conversation_id),
            alert=partial(alert_staff, ctx, conversation_id),
            embedder=ctx.embedder,
        )
        try:
            done = answer(deps, ctx.chat_model, turn.user_text, turn.history)
        except Exception:  # noqa: BLE001 - a bug or a broken tool must not leave silence
            log.exception("turn_failed", conversation_id=conversation_id)
            done = failed_answer(deps, ctx.chat_model, turn.user_text, turn.history)
        _save(ctx, turn, done, now)
        observe_turn(done.record)


def _prepare(ctx: AppContext, conversation_id: int, now: dt.datetime) -> PreparedTurn | None:
    """Read the turn's texts in one transaction; None when there is nothing for the agent.

    Texts the turn ends on here (keywords only, an opted-out number, staff have the
    conversation, a number past a limit) are marked processed in this transaction; the agent's
    texts stay unprocessed until :func:`_save` stores the answer, so a worker that dies in
    between leaves them for the sweeper.
    """
    with ctx.db.session() as session:
        conversation = lock_conversation(session, conversation_id)
        if conversation is None:
            return None
        clinic = load_clinic(session, conversation.clinic_id)
        if clinic is None:  # the clinic was removed: the texts are taken, nobody answers
            mark_processed(session, [t.id for t in unprocessed(session, conversation_id)], now)
            log.warning("conversation_without_clinic", conversation_id=conversation_id)
            return None
        if _burst_still_open(ctx, session, conversation_id, clinic, now):
            return None
        texts = unprocessed(session, conversation_id)
        if not texts:
            return None
        # the funnel's first step, here in the turn job rather than on the webhook's path
        subject = conversation_subject(conversation_id)
        record_step(session, clinic.clinic.id, CONVERSATION_STARTED, subject, texts[0].created_at)
        bodies = apply_keywords(
            session,
            conversation,
            [t.body for t in texts],
            clinic_name=clinic.clinic.name,
            now=now,
        )
        user_text = _user_text(bodies or [], sum(len(t.media or []) for t in texts))
        if bodies is None or conversation.ai_paused or not user_text:
            if bodies is not None and conversation.ai_paused:
                _while_staff_have_it(session, conversation, clinic, user_text, now)
            mark_processed(session, [t.id for t in texts], now)
            return None
        if stop_at_limit(
            ctx, session, conversation, clinic, texts=len(bodies) or 1, text=user_text, now=now
        ):
            mark_processed(session, [t.id for t in texts], now)
            return None
        history = read_history(session, conversation_id, clinic, now)
        return PreparedTurn(
            conversation_id,
            clinic,
            conversation.patient_phone,
            user_text,
            history,
            [t.id for t in texts],
        )


def _burst_still_open(
    ctx: AppContext, session: Session, conversation_id: int, clinic: ClinicFile, now: dt.datetime
) -> bool:
    """True (and the turn re-enqueued for when it closes) while a burst is still arriving.

    Only a queue that can delay jobs waits: a burst ("hi" / "how much is botox" / "for my
    forehead") then becomes one turn. The inline queue answers at once.
    """
    window = clinic.clinic.burst_window_seconds
    if window <= 0 or not ctx.jobs.delays:
        return False
    newest = latest_unprocessed_at(session, conversation_id)
    if newest is None:
        return False
    wait = window - (now - newest).total_seconds()
    if wait <= 0:
        return False
    ctx.jobs.enqueue_in(wait, take_turn, conversation_id)
    return True


def _user_text(bodies: list[str], photos: int) -> str:
    """The turn's texts joined by newlines, plus a note when the patient sent photos."""
    text = "\n".join(b for b in bodies if b.strip())
    if photos:
        note = f"[The patient sent {photos} photo{'s' if photos > 1 else ''}.]"
        text = (text + "\n" if text else "") + note
    return text


def _while_staff_have_it(
    session: Session, conversation: Conversation, clinic: ClinicFile, text: str, now: dt.datetime
) -> None:
    """Staff have the conversation: the AI stays silent and staff see the new text, except
    that an emergency still gets the 911 reply at once and an alert of its own (the safety
    triage runs on every inbound text, DESIGN.md §2)."""
    emergency = emergency_tripwire(text)
    if emergency is None:
        _tell_staff_patient_replied(session, conversation, clinic, now)
        return
    queue_reply_parts(
        session, conversation, emergency.reply, now=now, max_segments=clinic.clinic.segment_budget
    )
    notify_staff(
        session,
        clinic_id=conversation.clinic_id,
        staff_phone=clinic.clinic.staff_alert_phone,
        clinic_phone=conversation.clinic_phone,
        carrier=conversation.carrier,
        kind="alert",
        reason="emergency",
        summary=copy.handoff_alert(
            "emergency",
            conversation.patient_phone,
            f"{emergency.handoff_summary} (Staff have the conversation.)",
        ),
        now=now,
        conversation_id=conversation.id,
    )


def _tell_staff_patient_replied(
    session: Session, conversation: Conversation, clinic: ClinicFile, now: dt.datetime
) -> None:
    """Staff have the conversation: the AI stays silent and staff see the new text."""
    notify_staff(
        session,
        clinic_id=conversation.clinic_id,
        staff_phone=None,
        clinic_phone=clinic.clinic.phone_numbers[0],
        carrier="recording",
        kind="notice",
        reason="patient_replied",
        summary=copy.patient_replied_notice(conversation.patient_phone),
        now=now,
        conversation_id=conversation.id,
    )


class _Superseded(Exception):
    """Another turn answered some of this turn's texts first: this answer is dropped."""


def _save(ctx: AppContext, turn: PreparedTurn, done: Answer, now: dt.datetime) -> None:
    """Mark the turn's texts processed and store its transcript and replies (as outbound rows,
    sent after commit), all in one transaction.

    All or nothing: if any of the texts was answered meanwhile (another worker ran the
    conversation after this one's lock lapsed), nothing is saved and the conversation's turn
    is enqueued again for whatever is still unanswered, so no text is answered twice. A
    conversation that staff took over while the agent ran gets no AI reply.
    """
    try:
        with ctx.db.session() as session:
            conversation = session.get(Conversation, turn.conversation_id)
            if conversation is None:  # deleted while the agent ran (a re-seed): nothing to send
                log.warning("conversation_vanished", conversation_id=turn.conversation_id)
                return
            if mark_processed(session, turn.text_ids, now) != len(turn.text_ids):
                raise _Superseded
            save_turn(
                session,
                turn.conversation_id,
                done.number,
                done.messages,
                done.record,
                now,
                state=done.state,
            )
            if conversation.ai_paused and not done.result.handed_off:
                log.info("reply_withheld_staff_took_over", conversation_id=turn.conversation_id)
                return
            for reply in done.result.replies:
                if reply.strip():
                    queue_reply_parts(
                        session,
                        conversation,
                        reply,
                        now=now,
                        max_segments=turn.clinic.clinic.segment_budget,
                    )
    except _Superseded:
        log.warning("turn_superseded", conversation_id=turn.conversation_id)
        ctx.jobs.enqueue(take_turn, turn.conversation_id)
