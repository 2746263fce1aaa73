"""Consent for one turn's texts: STOP / START / HELP and free-text opt-out (CTIA Messaging
Principles and Best Practices; each carrier's keywords in :mod:`messaging.compliance`).

:func:`apply_keywords` runs inside the turn's own transaction, before the agent sees a word:

- STOP (any carrier's stop word, or consent revoked in free text): the number is opted out
  and gets exactly one confirmation (none if it already was opted out); the turn ends.
- START (the conversation's carrier's opt-in words): only for an opted-out number, which is
  opted back in and told so. From a subscribed number it is ordinary text ("yes").
- HELP: the help text (clinic name, its number, rates, how to stop); not sent to an
  opted-out number.
"""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy.orm import Session

from messaging.compliance import classify_keyword, is_free_text_opt_out
from messaging.copy import help_text, opt_in_confirmation, opt_out_confirmation
from messaging.models import Conversation
from messaging.outbound import clear_opt_out, is_opted_out, record_opt_out, reply_in_conversation
from messaging.phones import mask

log = structlog.get_logger(__name__)


def _keywords(
    bodies: list[str], carrier: str, opted_out: bool
) -> tuple[list[tuple[str, str]], list[str], bool]:
    """Split texts into keyword actions ``(word, source)`` and the rest for the agent.

    Returns:
        ``(actions, rest, opted_out_after)``.
    """
    actions: list[tuple[str, str]] = []
    rest: list[str] = []
    for body in bodies:
        word: str | None = classify_keyword(body, carrier)
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
    return actions, rest, opted_out


def apply_keywords(
    session: Session,
    conversation: Conversation,
    bodies: list[str],
    *,
    clinic_name: str,
    now: dt.datetime,
) -> list[str] | None:
    """Handle STOP / START / HELP and free-text revocation for one turn's texts.

    Args:
        session: the turn's open transaction (rows are written in it).
        conversation: the (locked) conversation the texts arrived on.
        bodies: the turn's texts, oldest first.
        clinic_name: said in the confirmations and the help text.
        now: the instant recorded on rows.

    Returns:
        None when the turn is done (the number is opted out, or only keywords were sent),
        else the texts left for the agent (keywords removed).
    """
    clinic_id, patient = conversation.clinic_id, conversation.patient_phone
    was_out = is_opted_out(session, clinic_id, patient)
    actions, rest, opted_out = _keywords(bodies, conversation.carrier, was_out)
    for word, source in actions:
        if word == "stop":
            if record_opt_out(session, clinic_id, patient, source, now):
                reply_in_conversation(
                    session,
                    conversation,
                    opt_out_confirmation(clinic_name),
                    now=now,
                    kind="opt_out_confirmation",
                )
            log.info("opted_out", patient=mask(patient), source=source)
        elif word == "start":
            if clear_opt_out(session, clinic_id, patient):
                reply_in_conversation(
                    session,
                    conversation,
                    opt_in_confirmation(clinic_name),
                    now=now,
                    kind="opt_in_confirmation",
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
        if opted_out and not actions:
            log.info("inbound_from_opted_out", patient=mask(patient))
        return None
    return rest
