"""Web-lead flow: a patient asks on the clinic's website to be texted, and the agent texts
them within seconds (issue 14 item 6; the route is :mod:`app.web.leads`).

Read top to bottom:

1. :func:`over_limit` counts the request against the per-IP and per-clinic limits
   (``ctx.rates``: Redis when ``REDIS_URL`` is set, else this process);
2. :func:`read_form` checks the fields: a phone that parses to a valid E.164 number (default
   region US), the consent text the patient agreed to (required: nobody is texted without
   it), a name and the service they are interested in (free text or a service id);
3. :func:`receive_lead` stores the lead with its consent, instant, source IP and user agent,
   then enqueues :func:`text_lead` (after the commit, so the job always finds the row);
4. :func:`text_lead` (the job), under the conversation's lock: a number opted out for the
   clinic is not texted (the lead is marked), nor one that got a lead's first text within
   :data:`DUPLICATE_WINDOW` (a double submit), nor one whose conversation staff have taken
   over (staff get a notice instead); otherwise the first text is queued on the patient's
   conversation through the outbound choke point (row first, sent after commit by
   :mod:`app.flows.sending`), and the dialog state learns the service and that the text
   offered to find a time, so the patient's answer ("yes thursday afternoon") is a normal
   turn that searches openings for that service.

What the patient wrote is never put into a text: a bot could fill the form with someone
else's number and a link. The first text names the clinic, the clinic's own service name
when the interest matched one, and the patient's first name only when it is a plain name.

Quiet hours (:mod:`messaging.quiet_hours`): the first text answers something the patient did
moments ago, like a missed call's text-back, so it goes at once at any hour (its kind,
``lead``, is not deferred). A lead whose job runs later than :data:`FRESH_FOR` after it was
submitted (a worker was down) is no longer "just asked": its text waits for 8am
recipient-local when it falls in quiet hours.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.dialog import Asked, Question
from agent.nlu.services import match_services
from agent.store import load_state, save_state
from app import copy
from app.context import AppContext
from app.flows import throttle
from booking.funnel import LEAD_TEXTED, record_step
from knowledge.clinic_file import ClinicFile, ServiceInfo
from messaging.inbound import get_or_create_conversation, lock_conversation
from messaging.models import Conversation, Lead, LeadStatus
from messaging.outbound import is_opted_out, reply_in_conversation
from messaging.phones import mask, to_e164
from messaging.quiet_hours import next_allowed, recipient_zone
from messaging.staff import notify_staff

log = structlog.get_logger(__name__)

#: Outbound kind of the first text (not deferred by quiet hours: see the module docstring).
LEAD_KIND = "lead"
#: A number that got a lead's first text this recently is not texted again for a new lead.
DUPLICATE_WINDOW = dt.timedelta(hours=24)
#: A lead texted this soon after it was submitted counts as "just asked" (no quiet hours).
FRESH_FOR = dt.timedelta(hours=1)
#: Leads still ``received`` this long after they were stored are re-enqueued by the sweeper.
STALE_LEAD = dt.timedelta(seconds=60)
#: (requests, window seconds) allowed from one IP address, and to one clinic. A patient
#: sends one form (two with a typo); ten leaves room for a household or an office behind
#: one address, and mobile carriers' shared addresses, while a bot is stopped at once.
PER_IP = (10, 3600)
PER_CLINIC = (100, 3600)
#: Field lengths, in characters (the columns of :class:`messaging.models.Lead`).
MAX_NAME, MAX_SERVICE, MAX_CONSENT, MAX_PHONE = 100, 200, 2000, 40
#: A service interest matched at or above this score names that service.
SERVICE_SCORE = 0.9
_PLAIN_NAME = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


class LeadRejected(ValueError):
    """A lead the route answers 400 to; the message says which field and why (it never
    repeats the patient's input)."""


@dataclass(frozen=True)
class LeadForm:
    """A checked lead: ``phone`` E.164; the rest as the patient wrote it (trimmed)."""

    name: str
    phone: str
    service_text: str
    consent_text: str


@dataclass(frozen=True)
class Submission:
    """Where a lead came from: the client's IP, its user agent, and how it authenticated
    (``api_key`` or ``form_token``)."""

    ip: str
    user_agent: str
    auth: str


def over_limit(
    ctx: AppContext, scope: str, key: str, now: dt.datetime, limit: tuple[int, int]
) -> int | None:
    """Count one request for ``key`` and say whether it is past ``limit``.

    Args:
        scope: ``ip`` or ``clinic`` (keeps the two counts apart).
        key: the IP address or clinic id; stored only as a digest.
        now: the request's instant (aware).
        limit: ``(requests, window seconds)``, e.g. :data:`PER_IP`.

    Returns:
        None within the limit, else the seconds until the window ends (``Retry-After``).
    """
    return throttle.over_limit(ctx, f"lead:{scope}", key, now, limit)


def read_form(fields: Mapping[str, object]) -> LeadForm:
    """Check a lead's fields.

    Args:
        fields: ``name``, ``phone``, ``service`` and ``consent`` (the text the patient agreed
            to); other fields are ignored.

    Returns:
        The checked :class:`LeadForm`.

    Raises:
        LeadRejected: a field is not text or too long, the phone is missing or not a valid
            number, or the consent text is missing.
    """
    name, phone, service, consent = (
        _text(fields, key, size)
        for key, size in (
            ("name", MAX_NAME),
            ("phone", MAX_PHONE),
            ("service", MAX_SERVICE),
            ("consent", MAX_CONSENT),
        )
    )
    if not consent:
        raise LeadRejected("consent: the text the patient agreed to is required")
    if not phone:
        raise LeadRejected("phone: required")
    try:
        e164 = to_e164(phone, "US", strict=True)
    except ValueError as exc:
        raise LeadRejected(f"phone: {exc}") from None
    return LeadForm(name=name, phone=e164, service_text=service, consent_text=consent)


def _text(fields: Mapping[str, object], key: str, size: int) -> str:
    """Field ``key`` trimmed ("" when absent); LeadRejected when not text or over ``size``."""
    value = fields.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LeadRejected(f"{key}: must be text")
    value = " ".join(value.split())
    if len(value) > size:
        raise LeadRejected(f"{key}: at most {size} characters")
    return value


def match_service(clinic: ClinicFile, interest: str) -> ServiceInfo | None:
    """The clinic's service ``interest`` names: its id, or one service clearly named (by
    name, alias or concern, :func:`agent.nlu.services.match_services`); None when it names
    none or several equally ("filler" with lip and cheek filler)."""
    if not interest:
        return None
    for service in clinic.services:
        if service.id == interest:
            return service
    matches = [m for m in match_services(interest, clinic.services) if m.score >= SERVICE_SCORE]
    if not matches or (len(matches) > 1 and matches[1].score >= matches[0].score):
        return None
    return clinic.service(matches[0].service_id)


def receive_lead(
    ctx: AppContext, clinic: ClinicFile, form: LeadForm, submission: Submission
) -> int:
    """Store a lead with its consent and enqueue its first text (:func:`text_lead`).

    Returns:
        The lead's id.
    """
    now = ctx.clock.now()
    service = match_service(clinic, form.service_text)
    with ctx.db.session() as session:
        lead = Lead(
            clinic_id=clinic.clinic.id,
            name=form.name,
            phone=form.phone,
            service_text=form.service_text,
            service_id=service.id if service else None,
            consent_text=form.consent_text,
            consent_at=now,
            source_ip=submission.ip[:64],
            user_agent=submission.user_agent[:300],
            auth=submission.auth,
            status=LeadStatus.RECEIVED,
            created_at=now,
        )
        session.add(lead)
        session.flush()
        lead_id = lead.id
    log.info("lead_stored", lead_id=lead_id, patient=mask(form.phone), auth=submission.auth)
    ctx.jobs.enqueue(text_lead, lead_id)
    return lead_id


def text_lead(ctx: AppContext, lead_id: int) -> str:
    """Text a stored lead its first text, once (job; safe to run twice).

    Returns:
        The lead's status afterwards (texted | duplicate | opted_out | staff), or ``missing``
        when the lead or its clinic is gone.
    """
    with ctx.db.session() as session:
        lead = session.get(Lead, lead_id)
        if lead is None or lead.status != LeadStatus.RECEIVED:
            return str(lead.status) if lead is not None else "missing"
        clinic_id, phone = lead.clinic_id, lead.phone
    clinic = ctx.clinic(clinic_id)  # its own session: SQLite allows one writer at a time
    if clinic is None:
        return "missing"
    with ctx.db.session() as session:
        conversation_id = patient_conversation(ctx, session, clinic, phone).id
    with ctx.conversation_lock(conversation_id), ctx.db.session() as session:
        lead = session.get(Lead, lead_id, with_for_update=True)
        conversation = lock_conversation(session, conversation_id)
        if lead is None or conversation is None or lead.status != LeadStatus.RECEIVED:
            return str(lead.status) if lead is not None else "missing"
        now = ctx.clock.now()
        lead.conversation_id, lead.handled_at = conversation_id, now
        lead.status = _decide(session, lead, conversation, now)
        if lead.status == LeadStatus.TEXTED:
            lead.message_id = _first_text(session, clinic, lead, conversation, now)
            record_step(session, clinic_id, LEAD_TEXTED, f"lead:{lead_id}", now)
        elif lead.status == LeadStatus.STAFF:
            _tell_staff(ctx, session, clinic, lead, conversation, now)
        status = lead.status
    log.info("lead_handled", lead_id=lead_id, status=str(status))
    return str(status)


def patient_conversation(
    ctx: AppContext, session: Session, clinic: ClinicFile, phone: str
) -> Conversation:
    """The patient's conversation with the clinic: the existing one as it is (its number
    and carrier are the ones the patient uses), else a new one from the clinic's first
    number on the default carrier."""
    existing = session.scalar(
        select(Conversation).where(
            Conversation.clinic_id == clinic.clinic.id, Conversation.patient_phone == phone
        )
    )
    if existing is not None:
        return existing
    return get_or_create_conversation(
        session,
        clinic_id=clinic.clinic.id,
        patient_phone=phone,
        clinic_phone=clinic.clinic.phone_numbers[0],
        carrier=ctx.default_carrier(),
        now=ctx.clock.now(),
    )


def _decide(
    session: Session, lead: Lead, conversation: Conversation, now: dt.datetime
) -> LeadStatus:
    """What to do with a lead whose first text is due (the caller holds the locks)."""
    if is_opted_out(session, lead.clinic_id, lead.phone):
        return LeadStatus.OPTED_OUT
    recent = session.scalar(
        select(Lead.id).where(
            Lead.clinic_id == lead.clinic_id,
            Lead.phone == lead.phone,
            Lead.status == LeadStatus.TEXTED,
            Lead.handled_at > now - DUPLICATE_WINDOW,
        )
    )
    if recent is not None:
        return LeadStatus.DUPLICATE
    return LeadStatus.STAFF if conversation.ai_paused else LeadStatus.TEXTED


def _first_text(
    session: Session, clinic: ClinicFile, lead: Lead, conversation: Conversation, now: dt.datetime
) -> int:
    """Queue the first text and note in the dialog state what it asked; returns its id."""
    service = clinic.service(lead.service_id) if lead.service_id else None
    body = copy.lead_first_text(
        clinic.clinic.name, _first_name(lead.name), service.name if service else None
    )
    send_after = None
    if now - lead.created_at > FRESH_FOR:
        zone = recipient_zone(lead.phone, clinic.clinic.timezone)
        send_after = next_allowed(now, zone)
    message = reply_in_conversation(
        session, conversation, body, now=now, kind=LEAD_KIND, send_after=send_after
    )
    state = load_state(session, conversation.id)
    if service is not None:
        state.service_id = service.id
    state.question = Question(asked=Asked.SEARCH if service else Asked.SERVICE)
    state.confirm = None
    save_state(session, conversation.id, state, now)
    return message.id


def _first_name(name: str) -> str | None:
    """The first word of ``name`` when it is a plain name (letters, with ' or -), at most 20
    characters and capitalised; else None (the text then greets without a name)."""
    first = name.split(" ", 1)[0] if name else ""
    if not first or len(first) > 20 or not _PLAIN_NAME.fullmatch(first):
        return None
    return first[:1].upper() + first[1:]


def _tell_staff(
    ctx: AppContext,
    session: Session,
    clinic: ClinicFile,
    lead: Lead,
    conversation: Conversation,
    now: dt.datetime,
) -> None:
    """Staff have the conversation: they are told of the lead instead of an automatic text."""
    service = clinic.service(lead.service_id) if lead.service_id else None
    notify_staff(
        session,
        clinic_id=clinic.clinic.id,
        staff_phone=clinic.clinic.staff_alert_phone,
        clinic_phone=conversation.clinic_phone,
        carrier=ctx.default_carrier(),
        kind="notice",
        reason="web_lead",
        summary=copy.lead_staff_notice(lead.phone, service.name if service else None),
        now=now,
        conversation_id=conversation.id,
    )


def requeue_stale(ctx: AppContext, now: dt.datetime) -> int:
    """Enqueue :func:`text_lead` again for leads still ``received`` :data:`STALE_LEAD` after
    they were stored (the job was lost or its worker died); for the sweeper.

    Returns:
        How many were enqueued.
    """
    with ctx.db.session() as session:
        ids = list(
            session.scalars(
                select(Lead.id).where(
                    Lead.status == LeadStatus.RECEIVED, Lead.created_at <= now - STALE_LEAD
                )
            )
        )
    for lead_id in ids:
        ctx.jobs.enqueue(text_lead, lead_id)
    return len(ids)
