"""One conversation turn on the worker (DESIGN.md §2, inbound flow):

lock the conversation -> wait out the burst window (RQ only) -> take every unprocessed inbound
text (a burst is one turn) -> compliance gate (STOP / START / HELP, free-text opt-out) ->
agent turn -> reply rows within the clinic's segment budget, which the outbound choke point
sends after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
import structlog

from agent.engine import run_turn
from agent.tools import AgentDeps
from app.context import AppContext
from messaging.compliance import classify_keyword, is_free_text_opt_out
from messaging.inbound import latest_unprocessed_at, lock_conversation, take_unprocessed
from messaging.models import Conversation
from messaging.outbound import (
    clear_opt_out,
    is_opted_out,
    queue_reply_parts,
    record_opt_out,
    reply_in_conversation,
)
from messaging.phones import mask
from messaging.staff import notify_staff

log = structlog.get_logger(__name__)


def help_text(clinic_name: str, phone: str) -> str:
    """The HELP reply: who we are, how to reach us, rates, how to stop (CTIA Messaging
    Principles and Best Practices, HELP message content)."""
    return (
        f"{clinic_name}: text us here to ask questions or book, or call {_display(phone)}. "
        "Msg & data rates may apply. Reply STOP to opt out."
    )


def _display(phone: str) -> str:
    """``+15125550100`` -> ``(512) 555-0100`` (national format), else as given."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


@dataclass(frozen=True)
class _Turn:
    clinic_id: str
    patient: str
    provider: str
    paused: bool
    bodies: list[str]
    media: int


def _take_turn(ctx: AppContext, conversation_id: int, window: float) -> _Turn | None:
    """Take the conversation's unprocessed texts, unless the burst is still arriving.

    When the queue can delay jobs and the newest text is younger than ``window`` seconds, the
    texts stay unprocessed and the turn is re-enqueued for when the window closes, so a burst
    ("hi" / "how much is botox" / "for my forehead") becomes one turn.
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        conversation = lock_conversation(session, conversation_id)
        if conversation is None:
            return None
        if window > 0 and getattr(ctx.jobs, "delays", False):
            newest = latest_unprocessed_at(session, conversation_id)
            if newest is not None:
                wait = window - (now - newest).total_seconds()
                if wait > 0:
                    ctx.jobs.enqueue_in(wait, "handle_conversation", conversation_id)  # type: ignore[attr-defined]
                    return None
        texts = take_unprocessed(session, conversation_id, now)
        if not texts:
            return None
        return _Turn(
            clinic_id=conversation.clinic_id,
            patient=conversation.patient_phone,
            provider=conversation.provider,
            paused=conversation.ai_paused,
            bodies=[t.body for t in texts],
            media=sum(len(t.media or []) for t in texts),
        )


def process_conversation(ctx: AppContext, conversation_id: int) -> None:
    """Run the turn for every unprocessed inbound text of ``conversation_id``.

    Safe to call twice: a second call finds nothing unprocessed and returns. One worker at a
    time runs a conversation (``ctx.conversation_lock`` plus the row lock), in arrival order.
    """
    with ctx.conversation_lock(conversation_id):
        now = ctx.clock.now()
        with ctx.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            clinic_id = conversation.clinic_id if conversation is not None else None
        clinic = ctx.clinic(clinic_id) if clinic_id else None
        window = clinic.clinic.burst_window_seconds if clinic is not None else 0.0
        turn = _take_turn(ctx, conversation_id, window)
        if turn is None:
            return
        if clinic is None:
            log.warning("conversation_without_clinic", conversation_id=conversation_id)
            return
        bodies = _compliance_gate(ctx, conversation_id, turn.bodies, clinic.clinic.name)
        if bodies is None:
            return
        patient = turn.patient
        with ctx.db.session() as session:
            if is_opted_out(session, turn.clinic_id, patient):
                log.info("inbound_from_opted_out", patient=mask(patient))
                return
        if turn.paused:
            with ctx.db.session() as session:
                notify_staff(
                    session,
                    clinic_id=turn.clinic_id,
                    staff_phone=None,
                    clinic_phone=clinic.clinic.phone_numbers[0],
                    provider="recording",
                    kind="notice",
                    reason="patient_replied",
                    summary=f"{mask(patient)} texted while staff have the conversation.",
                    now=now,
                    conversation_id=conversation_id,
                )
            return
        user_text = "\n".join(b for b in bodies if b.strip())
        if turn.media:
            user_text = (user_text + "\n" if user_text else "") + (
                f"[The patient sent {turn.media} photo{'s' if turn.media > 1 else ''}.]"
            )
        if not user_text:
            return
        terms = ctx.clinic_terms(clinic)
        deps = AgentDeps(
            db=ctx.db,
            clinic=clinic,
            terms=terms,
            emr=ctx.emr_for(clinic),
            deposits=ctx.deposits,
            conversation_id=conversation_id,
            patient_phone=patient,
            now=now,
            handoff=lambda reason, summary: handoff(ctx, conversation_id, reason, summary),
        )
        result = run_turn(deps, ctx.chat_model, user_text)
        with ctx.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            for reply in result.replies:
                if reply.strip():
                    queue_reply_parts(
                        session,
                        conversation,
                        reply,
                        now=now,
                        max_segments=clinic.clinic.segment_budget,
                    )


def _compliance_gate(
    ctx: AppContext, conversation_id: int, bodies: list[str], clinic_name: str
) -> list[str] | None:
    """Handle STOP / START / HELP and free-text revocation for one turn's texts.

    - STOP (any carrier's stop word, or consent revoked in free text): the number is opted
      out and gets exactly one confirmation (none if it already was opted out); the turn ends.
    - START (the conversation's carrier's opt-in words): only for an opted-out number, which
      is opted back in and told so. From a subscribed number it is ordinary text ("yes").
    - HELP: the help text (clinic name, its number, rates, how to stop); not sent to an
      opted-out number.

    Returns:
        None when the turn is done, else the texts left for the agent (keywords removed).
    """
    with ctx.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        provider = conversation.provider
        opted_out = is_opted_out(session, conversation.clinic_id, conversation.patient_phone)
    actions: list[tuple[str, str]] = []  # (keyword, source)
    rest: list[str] = []
    for body in bodies:
        word: str | None = classify_keyword(body, provider)
        source = "keyword"
        if word is None and is_free_text_opt_out(body):
            word, source = "stop", "free_text"
        if word == "stop":
            opted_out = True
        elif word == "start" and opted_out:
            opted_out = False
        elif word == "start" or word is None:
            rest.append(body)
            continue
        actions.append((word, source))
    if not actions:
        return bodies
    now = ctx.clock.now()
    with ctx.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        clinic_id, patient = conversation.clinic_id, conversation.patient_phone
        for word, source in actions:
            if word == "stop":
                if record_opt_out(session, clinic_id, patient, source, now):
                    reply_in_conversation(
                        session,
                        conversation,
                        now=now,
                        kind="opt_out_confirmation",
                        body=f"You're unsubscribed from {clinic_name} texts and won't get more. "
                        "Reply START to resubscribe.",
                    )
                log.info("opted_out", patient=mask(patient), source=source)
            elif word == "start":
                if clear_opt_out(session, clinic_id, patient):
                    reply_in_conversation(
                        session,
                        conversation,
                        now=now,
                        kind="opt_in_confirmation",
                        body=f"You're resubscribed to {clinic_name} texts. Reply STOP to opt out.",
                    )
                    log.info("opted_in", patient=mask(patient))
            elif not is_opted_out(session, clinic_id, patient):
                reply_in_conversation(
                    session,
                    conversation,
                    help_text(clinic_name, conversation.clinic_phone),
                    now=now,
                    kind="help",
                )
    if opted_out or not rest:
        return None
    return rest


def handoff(ctx: AppContext, conversation_id: int, reason: str, summary: str) -> None:
    """Pause the AI on a conversation and alert staff (SMS to the clinic's staff phone)."""
    now = ctx.clock.now()
    with ctx.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        clinic_id = conversation.clinic_id
    clinic = ctx.clinic(clinic_id)  # outside any session: SQLite allows one writer
    staff_phone = clinic.clinic.staff_alert_phone if clinic else None
    with ctx.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.ai_paused = True
        notify_staff(
            session,
            clinic_id=conversation.clinic_id,
            staff_phone=staff_phone,
            clinic_phone=conversation.clinic_phone,
            provider=conversation.provider,
            kind="alert",
            reason=reason,
            summary=f"{reason.replace('_', ' ').title()} - {mask(conversation.patient_phone)}: "
            f"{summary} Reply from the dashboard or CLI to take over.",
            now=now,
            conversation_id=conversation_id,
        )
