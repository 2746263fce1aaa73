"""Missed-call flow: a call nobody answered gets a text-back (DESIGN.md §2, missed call).

Telnyx sends ``call.initiated`` (direction incoming), maybe ``call.answered``, then
``call.hangup``. A hangup for a session never answered is a missed call.

Twilio calls ``/webhooks/twilio/voice`` when the clinic number rings; we answer TwiML that
forwards the call to the clinic's ``forward_calls_to`` line with
``<Dial action=".../webhooks/twilio/voice/status" timeout="20">``, and Twilio posts the outcome
(``DialCallStatus``) there; no-answer/busy/failed/canceled is a missed call
(https://www.twilio.com/docs/voice/twiml/dial#action). A clinic without a forwarding line
gets a short ``<Say>`` and a hang-up, and the call counts as missed at once.

A missed call's caller gets the clinic's greeting (or after-hours greeting, by the clinic's
hours) at most once per ``textback_window_hours`` (default 12), and that text opens a
conversation the agent continues.
"""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import copy
from app.context import AppContext
from app.db import insert_or_ignore
from booking.funnel import MISSED_CALL_RECOVERED, record_step
from messaging.base import MissedCall
from messaging.inbound import get_or_create_conversation
from messaging.models import CallSession, Message
from messaging.outbound import reply_in_conversation
from messaging.phones import mask, to_e164
from messaging.telnyx import TelnyxCallEvent
from messaging.webhooks import VoiceAnswer

log = structlog.get_logger(__name__)

#: Hangup causes that mean nobody picked up when the call's start was never seen.
_UNANSWERED_CAUSES = frozenset(
    {"originator_cancel", "timeout", "no_answer", "user_busy", "call_rejected"}
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_open(hours: dict[str, list[tuple[str, str]]], local: dt.datetime) -> bool:
    """True when ``local`` (clinic-local, aware) falls inside the weekly ``hours``."""
    now = local.strftime("%H:%M")
    return any(a <= now < b for a, b in hours.get(_WEEKDAYS[local.weekday()], []))


def on_telnyx_call_event(ctx: AppContext, event: TelnyxCallEvent) -> str:
    """Track a call and text back when it ends unanswered.

    ``call.initiated`` and ``call.hangup`` of one call may arrive at the same moment (Telnyx
    sends webhooks concurrently), so the call row is created with ``INSERT ... ON CONFLICT DO
    NOTHING`` and then read under a row lock: whichever comes first, both see one row.

    Returns:
        What happened: tracked | answered | textback | throttled | ignored.
    """
    session_id = event.call_session_id or event.call_control_id
    if not session_id:
        return "ignored"
    now = ctx.clock.now()
    with ctx.db.session() as session:
        if event.event_type == "call.initiated":
            if event.direction not in (None, "incoming"):
                return "ignored"
            return "tracked" if _track(session, session_id, event, now) else "ignored"
        if event.event_type == "call.answered":  # may arrive before call.initiated
            _track(session, session_id, event, now)
            call = session.get(CallSession, session_id, with_for_update=True)
            if call is not None:
                call.answered = True
            return "answered"
        if event.event_type != "call.hangup":
            return "ignored"
        call = session.get(CallSession, session_id, with_for_update=True)
        if call is None and event.hangup_cause in _UNANSWERED_CAUSES:
            _track(session, session_id, event, now)
            call = session.get(CallSession, session_id, with_for_update=True)
        if call is None:
            return "ignored"
        call.ended_at = call.ended_at or now
        if call.answered or call.missed:
            return "answered" if call.answered else "ignored"
        caller, clinic_number = call.from_number, call.to_number
    return text_back(ctx, session_id, caller, clinic_number, "telnyx")


def _track(session: Session, session_id: str, event: TelnyxCallEvent, now: dt.datetime) -> bool:
    """Record the call (idempotent under concurrency); True when this call created the row."""
    if not event.from_number or not event.to_number:
        return False
    return insert_or_ignore(
        session,
        CallSession,
        {
            "id": session_id,
            "carrier": "telnyx",
            "from_number": event.from_number[:32],
            "to_number": event.to_number[:32],
            "started_at": now,
            "answered": False,
            "missed": False,
        },
        ["id"],
    )


def text_back(ctx: AppContext, call_id: str, caller: str, clinic_number: str, carrier: str) -> str:
    """Send the missed-call greeting unless this caller got one within the window.

    Returns:
        textback | throttled | duplicate (this call was already texted back) | ignored
        (unknown clinic number or invalid caller).
    """
    now = ctx.clock.now()
    try:
        caller, clinic_number = to_e164(caller), to_e164(clinic_number)
    except ValueError:
        return "ignored"
    with ctx.db.session() as session:
        clinic_id = ctx.clinic_for_number(session, clinic_number)
    if clinic_id is None:
        return "ignored"
    clinic = ctx.clinic(clinic_id)
    if clinic is None:
        return "ignored"
    info = clinic.clinic
    local = now.astimezone(info.zone)
    if is_open(info.hours, local):
        greeting = info.greeting or copy.missed_call_greeting(info.name)
    else:
        greeting = (
            info.after_hours_greeting or info.greeting or copy.after_hours_greeting(info.name)
        )
    window = dt.timedelta(hours=info.textback_window_hours)
    with ctx.db.session() as session:
        # The call is marked missed in the transaction that queues its text-back, under the
        # call's row lock: a redelivered or concurrent event sends nothing twice, and one
        # whose text-back failed is retried by the carrier's redelivery.
        call = session.get(CallSession, call_id, with_for_update=True)
        if call is not None:
            if call.missed:
                return "duplicate"
            call.missed, call.clinic_id = True, clinic_id
        recent = session.execute(
            select(Message.id).where(
                Message.clinic_id == clinic_id,
                Message.to_number == caller,
                Message.kind == "textback",
                Message.created_at > now - window,
            )
        ).first()
        if window and recent is not None:
            log.info("textback_throttled", caller=mask(caller))
            return "throttled"
        conversation = get_or_create_conversation(
            session,
            clinic_id=clinic_id,
            patient_phone=caller,
            clinic_phone=clinic_number,
            carrier=carrier,
            now=now,
        )
        message = reply_in_conversation(session, conversation, greeting, now=now, kind="textback")
        if call is not None:
            call.textback_message_id = message.id
        record_step(session, clinic_id, MISSED_CALL_RECOVERED, f"call:{call_id}", now)
    log.info("textback_queued", caller=mask(caller))
    return "textback"


def on_twilio_voice(ctx: AppContext, call_sid: str, caller: str, clinic_number: str) -> VoiceAnswer:
    """Decide how to answer an inbound Twilio call to a clinic number.

    The call is recorded (``CallSession``, id = ``CallSid``). With a ``forward_calls_to`` line
    the call is forwarded and judged later by :func:`on_twilio_dial_status`; without one it is
    missed now and texted back.
    """
    now = ctx.clock.now()
    try:
        number = to_e164(clinic_number)
    except ValueError:
        return VoiceAnswer(None, copy.NOT_IN_SERVICE)
    with ctx.db.session() as session:
        clinic_id = ctx.clinic_for_number(session, number)
    clinic = ctx.clinic(clinic_id) if clinic_id else None
    if clinic is None:
        log.warning("voice_unknown_number", to=mask(number))
        return VoiceAnswer(None, copy.NOT_IN_SERVICE)
    info = clinic.clinic
    with ctx.db.session() as session:
        if session.get(CallSession, call_sid) is None:
            session.add(
                CallSession(
                    id=call_sid,
                    carrier="twilio",
                    clinic_id=info.id,
                    from_number=caller[:32],
                    to_number=number,
                    started_at=now,
                )
            )
    if info.forward_calls_to:
        return VoiceAnswer(info.forward_calls_to, "")
    say = copy.voice_no_forward(info.name)
    outcome = on_twilio_dial_status(
        ctx, MissedCall("twilio", call_sid, caller, clinic_number, occurred_at=now)
    )
    return VoiceAnswer(None, say, outcome)


def on_twilio_dial_status(ctx: AppContext, missed: MissedCall | None) -> str:
    """Handle the ``<Dial action>`` outcome: text back a missed call once per call.

    Args:
        missed: ``twilio.parse_dial_action``'s answer; None when the forwarded call was
            answered.

    Returns:
        answered | duplicate (this call was already handled) | what :func:`text_back` did.
    """
    if missed is None:
        return "answered"
    now = ctx.clock.now()
    with ctx.db.session() as session:
        call = session.get(CallSession, missed.event_id)
        if call is None:
            call = CallSession(
                id=missed.event_id,
                carrier="twilio",
                from_number=missed.from_number[:32],
                to_number=missed.to_number[:32],
                started_at=now,
            )
            session.add(call)
        if call.missed:
            return "duplicate"
        call.ended_at = now
    return text_back(ctx, missed.event_id, missed.from_number, missed.to_number, "twilio")
