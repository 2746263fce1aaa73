"""One conversation turn on the worker (DESIGN.md §2, inbound flow):

lock the conversation -> take every unprocessed inbound text (a burst is one turn) ->
compliance gate (STOP / START / HELP, free-text opt-out) -> agent turn -> reply rows, which
the outbound choke point sends after commit.
"""

from __future__ import annotations

import structlog

from agent.engine import run_turn
from agent.tools import AgentDeps
from app.context import AppContext
from messaging.compliance import classify_keyword, is_free_text_opt_out
from messaging.inbound import lock_conversation, take_unprocessed
from messaging.models import Conversation
from messaging.outbound import clear_opt_out, is_opted_out, record_opt_out, reply_in_conversation
from messaging.phones import mask
from messaging.staff import notify_staff

log = structlog.get_logger(__name__)


def help_text(clinic_name: str, phone: str) -> str:
    """The HELP reply: who we are, how to reach us, rates, how to stop (CTIA guidelines)."""
    return (
        f"{clinic_name}: text us here to ask questions or book, or call {phone}. "
        "Msg & data rates may apply. Reply STOP to opt out."
    )


def process_conversation(ctx: AppContext, conversation_id: int) -> None:
    """Run the turn for every unprocessed inbound text of ``conversation_id``.

    Safe to call twice: a second call finds nothing unprocessed and returns.
    """
    with ctx.conversation_lock(conversation_id):
        now = ctx.clock.now()
        with ctx.db.session() as session:
            conversation = lock_conversation(session, conversation_id)
            if conversation is None:
                return
            texts = take_unprocessed(session, conversation_id, now)
            if not texts:
                return
            bodies = [t.body for t in texts]
            media = sum(len(t.media or []) for t in texts)
            clinic_id, patient = conversation.clinic_id, conversation.patient_phone
            paused = conversation.ai_paused
        clinic = ctx.clinic(clinic_id)
        if clinic is None:
            log.warning("conversation_without_clinic", conversation_id=conversation_id)
            return
        if _compliance_gate(
            ctx, conversation_id, bodies, clinic.clinic.name, clinic.clinic.phone_numbers[0]
        ):
            return
        with ctx.db.session() as session:
            if is_opted_out(session, clinic_id, patient):
                log.info("inbound_from_opted_out", patient=mask(patient))
                return
        if paused:
            with ctx.db.session() as session:
                notify_staff(
                    session,
                    clinic_id=clinic_id,
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
        if media:
            user_text = (user_text + "\n" if user_text else "") + (
                f"[The patient sent {media} photo{'s' if media > 1 else ''}.]"
            )
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
                    reply_in_conversation(session, conversation, reply, now=now)


def _compliance_gate(
    ctx: AppContext, conversation_id: int, bodies: list[str], clinic_name: str, clinic_phone: str
) -> bool:
    """Handle STOP / START / HELP and free-text revocation. True when the turn is done."""
    keyword = None
    for body in bodies:
        word = classify_keyword(body)
        if word is None and is_free_text_opt_out(body):
            word = "stop"
        if word is not None:
            keyword = word
    if keyword is None:
        return False
    now = ctx.clock.now()
    with ctx.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        clinic_id, patient = conversation.clinic_id, conversation.patient_phone
        if keyword == "stop":
            if record_opt_out(session, clinic_id, patient, "keyword", now):
                reply_in_conversation(
                    session,
                    conversation,
                    now=now,
                    kind="opt_out_confirmation",
                    body=f"You're unsubscribed from {clinic_name} texts and won't get more. "
                    "Reply START to resubscribe.",
                )
            log.info("opted_out", patient=mask(patient))
        elif keyword == "start":
            clear_opt_out(session, clinic_id, patient)
            reply_in_conversation(
                session,
                conversation,
                now=now,
                kind="opt_in_confirmation",
                body=f"You're resubscribed to {clinic_name} texts. Reply STOP to opt out.",
            )
        else:
            if is_opted_out(session, clinic_id, patient):
                return True
            reply_in_conversation(
                session, conversation, help_text(clinic_name, clinic_phone), now=now, kind="help"
            )
    return True


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
