"""No-show flow: staff mark a missed visit, the patient gets one rebook offer (issue 13 item 5).

Read top to bottom: the appointment must be the clinic's and booked with its time passed
(:func:`booking.no_show.mark_no_show` marks it here and in the EMR, records the funnel step,
and says what deposit the no-show policy keeps); then one text of kind ``no_show`` (deferred
by quiet hours like every text we start, blocked for an opted-out number) quotes the
clinic's own no-show policy sentence, says the deposit is kept, and offers a new time. The
offer is the open question of the conversation's dialog state (:attr:`Asked.SEARCH` for the
missed service), so the patient's "yes" is a normal search and "no thanks" is acknowledged.
"""

from __future__ import annotations

import datetime as dt

import structlog

from agent.dialog import Asked, Question
from agent.store import load_state, save_state
from app.context import AppContext
from app.flows.lead import patient_conversation
from booking.copy_no_show import rebook_offer
from booking.models import Appointment
from booking.no_show import NoShow, latest_past_booking, mark_no_show
from knowledge.clinic_file import ClinicFile
from knowledge.policy_lines import NO_SHOW_RULE, policy_sentence
from messaging.inbound import lock_conversation
from messaging.outbound import reply_in_conversation

log = structlog.get_logger(__name__)

#: The outbound kind of the rebook offer (deferred by quiet hours).
NO_SHOW_KIND = "no_show"


def no_show_by_clinic(ctx: AppContext, clinic_id: str, appointment_id: int) -> NoShow:
    """Staff mark ``appointment_id`` of ``clinic_id`` a no-show; the patient gets one rebook
    offer.

    Returns:
        :class:`booking.no_show.NoShow` (the deposit kept, the service missed).

    Raises:
        LookupError: no such clinic, or no such appointment of this clinic.
        booking.no_show.NoShowRefused: the appointment is not booked or has not started.
    """
    clinic = ctx.clinic(clinic_id)
    if clinic is None:
        raise LookupError(f"no clinic {clinic_id!r}")
    with ctx.db.session() as session:
        appt = session.get(Appointment, appointment_id)
        if appt is None or appt.clinic_id != clinic_id:
            raise LookupError(f"no appointment {appointment_id} at {clinic_id}")
    now = ctx.clock.now()
    marked = mark_no_show(ctx.db, ctx.emr_for(clinic), appointment_id, now)
    if clinic.clinic.reminders.no_show_followup:  # the clinic may prefer to call instead
        _offer_rebooking(ctx, clinic, marked, now)
    log.info("no_show_marked", appointment_id=appointment_id, kept=marked.deposit_kept_cents)
    return marked


def no_show_by_phone(ctx: AppContext, clinic_id: str, patient_phone: str) -> NoShow:
    """:func:`no_show_by_clinic` for the patient's latest booked appointment that has started.

    Raises:
        LookupError: the patient has no such appointment at this clinic (or no clinic).
        booking.no_show.NoShowRefused: as :func:`no_show_by_clinic`.
    """
    with ctx.db.session() as session:
        appointment_id = latest_past_booking(session, clinic_id, patient_phone, ctx.clock.now())
    if appointment_id is None:
        raise LookupError(f"no past booked appointment for that number at {clinic_id}")
    return no_show_by_clinic(ctx, clinic_id, appointment_id)


def _offer_rebooking(ctx: AppContext, clinic: ClinicFile, marked: NoShow, now: dt.datetime) -> None:
    """Queue the one rebook offer and leave it as the conversation's open question."""
    conversation_id = _conversation_id(ctx, clinic, marked)
    with ctx.conversation_lock(conversation_id), ctx.db.session() as session:
        conversation = lock_conversation(session, conversation_id)
        if conversation is None:
            return
        policy = policy_sentence(session, clinic.clinic.id, NO_SHOW_RULE)
        body = rebook_offer(
            clinic.clinic.name, marked.service_name, marked.when, policy, marked.deposit_kept_cents
        )
        reply_in_conversation(session, conversation, body, now=now, kind=NO_SHOW_KIND)
        state = load_state(session, conversation_id)
        # a fresh search for the missed service: the old day wish was for the missed visit
        state.service_id, state.offers, state.confirm = marked.service_id, [], None
        state.wish, state.provider_id = None, None
        state.question = Question(asked=Asked.SEARCH)
        save_state(session, conversation_id, state, now)


def _conversation_id(ctx: AppContext, clinic: ClinicFile, marked: NoShow) -> int:
    """The appointment's conversation, or the patient's thread with the clinic."""
    if marked.conversation_id is not None:
        return marked.conversation_id
    with ctx.db.session() as session:
        return patient_conversation(ctx, session, clinic, marked.patient_phone).id
