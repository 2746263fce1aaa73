"""Offering an opening to one waiting patient at a time, and what their answer does
(DESIGN.md §2, Waitlist).

:func:`offer_next` gives an opening to the first waiting patient in fair order
(:func:`booking.waitlist.candidates`) who may be texted now, with an exclusive claim
window; opted-out numbers are never texted, and a patient inside quiet hours is skipped for
now (their place is kept: the opening is tried again when quiet hours end, if still free).
:func:`lapse_due` ends offers whose window passed; the patient stays ``waiting``.
:func:`claim` and :func:`decline` record the patient's answer; :func:`late_answer` finds an
offer that lapsed before the patient said yes.

Two processes offering one opening at once are serialised by its row lock (Postgres
``FOR UPDATE``; SQLite serialises writers) and, as a last guard, by the partial unique
indexes of :class:`~booking.waitlist_models.WaitlistOffer`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking import copy_waitlist
from booking.funnel import WAITLIST_CLAIMED, WAITLIST_OFFERED, record_step
from booking.models import SlotOffer
from booking.slots import record_offers
from booking.terms import ClinicTerms, ServiceTerms, format_when
from booking.waitlist import PENDING_KEY, candidates, slot_free
from booking.waitlist_models import (
    EntryStatus,
    OfferStatus,
    OpeningStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
)
from emr.base import Slot
from messaging.inbound import get_or_create_conversation
from messaging.outbound import is_opted_out, reply_in_conversation
from messaging.phones import mask
from messaging.quiet_hours import defer_until

log = structlog.get_logger(__name__)

#: How long after its window a "yes" is still answered as a late yes to that offer.
LATE_ANSWER_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class OfferRules:
    """The clinic's ``clinic.waitlist`` settings: claim window (minutes) and the most
    patients one opening is offered to."""

    claim_minutes: int = 10
    max_offers_per_opening: int = 3


def offer_next(
    session: Session, clinic: ClinicTerms, opening_id: int, rules: OfferRules, now: dt.datetime
) -> WaitlistOffer | None:
    """Offer opening ``opening_id`` to the next waiting patient, in the caller's transaction.

    Nothing happens when the opening is not open or already has a pending offer. An opening
    whose time is taken or past becomes ``gone``; one offered ``max_offers_per_opening``
    times, starting before a claim window could end, or with nobody left to offer it to,
    ``unfilled``; one whose next patients are all
    inside quiet hours stays ``open`` with ``retry_at`` at the earliest end of them.

    Returns:
        The new pending offer (its text queued to the patient), or None.
    """
    opening = session.get(WaitlistOpening, opening_id, with_for_update=True)
    if opening is None or opening.status != OpeningStatus.OPEN:
        return None
    offers = session.execute(
        select(WaitlistOffer.status).where(WaitlistOffer.opening_id == opening_id)
    ).scalars()
    statuses = list(offers)
    if OfferStatus.PENDING in statuses:
        return None
    opening.updated_at = now
    if opening.start_at <= now or not slot_free(session, opening):
        opening.status = OpeningStatus.GONE
        return None
    too_soon = opening.start_at <= now + dt.timedelta(minutes=rules.claim_minutes)
    if too_soon or len(statuses) >= rules.max_offers_per_opening:
        opening.status = OpeningStatus.UNFILLED  # no time left to offer it, or offered enough
        return None
    retry: list[dt.datetime] = []
    for waiting in candidates(session, opening, clinic.zone):
        if is_opted_out(session, clinic.clinic_id, waiting.patient_phone):
            continue  # never texted; the entry stays for staff to see
        later = defer_until("waitlist", waiting.patient_phone, now, clinic.timezone)
        if later is not None:
            retry.append(later)  # skipped for now, place kept
            continue
        entry = session.get(WaitlistEntry, waiting.entry_id)
        made = _offer(session, clinic, opening, entry, rules, now) if entry else None
        if made is not None:
            return made
        # another opening's offer took this patient a moment ago: the next in line
    opening.retry_at = min(retry) if retry else None
    if not retry:
        opening.status = OpeningStatus.UNFILLED
    return None


def _offer(
    session: Session,
    clinic: ClinicTerms,
    opening: WaitlistOpening,
    entry: WaitlistEntry,
    rules: OfferRules,
    now: dt.datetime,
) -> WaitlistOffer | None:
    """Save the pending offer of ``opening`` to ``entry`` and queue its text."""
    offer = WaitlistOffer(
        clinic_id=clinic.clinic_id,
        entry_id=entry.id,
        opening_id=opening.id,
        patient_phone=entry.patient_phone,
        sent_at=now,
        expires_at=now + dt.timedelta(minutes=rules.claim_minutes),
        status=OfferStatus.PENDING,
    )
    try:
        with session.begin_nested():
            session.add(offer)
    except IntegrityError:  # another process offered this patient another opening first
        log.info("waitlist_offer_raced", opening_id=opening.id)
        return None
    entry.status, entry.updated_at = EntryStatus.OFFERED, now
    opening.retry_at = None
    conversation = get_or_create_conversation(
        session,
        clinic_id=clinic.clinic_id,
        patient_phone=entry.patient_phone,
        clinic_phone=clinic.phone,
        carrier=clinic.sms_carrier,
        now=now,
    )
    body = copy_waitlist.opening_offer(
        clinic.name,
        opening.service_name or opening.service_id,
        format_when(opening.start_at, clinic.timezone),
        opening.provider_name,
        rules.claim_minutes,
    )
    reply_in_conversation(session, conversation, body, now=now, kind="waitlist")
    record_step(session, clinic.clinic_id, WAITLIST_OFFERED, f"waitlist_offer:{offer.id}", now)
    log.info("waitlist_offered", opening_id=opening.id, to=mask(entry.patient_phone))
    return offer


def lapse_due(session: Session, now: dt.datetime) -> list[int]:
    """End every pending offer whose claim window passed: the patient stays ``waiting``.

    Returns:
        The ids of the openings whose offer lapsed (to be offered to the next patient).
    """
    due = session.execute(
        select(WaitlistOffer)
        .where(WaitlistOffer.status == OfferStatus.PENDING, WaitlistOffer.expires_at <= now)
        .with_for_update(skip_locked=True)
    ).scalars()
    openings = []
    for offer in due:
        _release(session, offer, OfferStatus.LAPSED, now)
        openings.append(offer.opening_id)
    return openings


def _release(session: Session, offer: WaitlistOffer, status: OfferStatus, now: dt.datetime) -> None:
    """End ``offer`` with ``status``; its patient goes back to ``waiting``, and its opening is
    noted on the session (:data:`booking.waitlist.PENDING_KEY`) to be offered to the next
    patient once the session commits."""
    offer.status = status
    session.info.setdefault(PENDING_KEY, []).append(offer.opening_id)
    entry = session.get(WaitlistEntry, offer.entry_id)
    if entry is not None and entry.status == EntryStatus.OFFERED:
        entry.status, entry.updated_at = EntryStatus.WAITING, now


def pending_offer(session: Session, clinic_id: str, patient_phone: str) -> WaitlistOffer | None:
    """The patient's pending offer (lapsed or not), if any."""
    return session.execute(
        select(WaitlistOffer).where(
            WaitlistOffer.clinic_id == clinic_id,
            WaitlistOffer.patient_phone == patient_phone,
            WaitlistOffer.status == OfferStatus.PENDING,
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Claimed:
    """A won claim: the opening to hold for the patient (detached values)."""

    offer_id: int
    entry_id: int
    opening_id: int
    service_id: str
    provider_id: str
    start_at: dt.datetime
    end_at: dt.datetime
    slot_token: str | None


def claim(session: Session, offer_id: int, now: dt.datetime) -> Claimed | None:
    """The patient said yes to offer ``offer_id``: claim it if it is still theirs.

    The offer row is locked while read, so of two claims at once exactly one wins.

    Returns:
        :class:`Claimed` for the winner; None when the offer is no longer pending or its
        window passed (it is then marked ``late`` and its patient is back to ``waiting``).
    """
    offer = session.get(WaitlistOffer, offer_id, with_for_update=True)
    if offer is None or offer.status != OfferStatus.PENDING:
        return None
    offer.answered_at = now
    if offer.expires_at <= now:
        _release(session, offer, OfferStatus.LATE, now)
        return None
    offer.status = OfferStatus.CLAIMED
    opening = session.get(WaitlistOpening, offer.opening_id, with_for_update=True)
    if opening is None:
        return None
    opening.status, opening.updated_at = OpeningStatus.CLAIMED, now
    record_step(session, offer.clinic_id, WAITLIST_CLAIMED, f"waitlist_offer:{offer.id}", now)
    return Claimed(
        offer.id,
        offer.entry_id,
        opening.id,
        opening.service_id,
        opening.provider_id,
        opening.start_at,
        opening.end_at,
        opening.slot_token,
    )


def offer_claimed(
    session: Session,
    claimed: Claimed,
    *,
    conversation_id: int,
    clinic: ClinicTerms,
    service: ServiceTerms,
    now: dt.datetime,
) -> SlotOffer:
    """Save the claimed opening as the conversation's next offer batch (its only option, 1),
    so the normal hold (:func:`booking.deposits.hold_replacing`) books it with its token."""
    slot = Slot(
        claimed.service_id,
        claimed.provider_id,
        claimed.start_at,
        claimed.end_at,
        claimed.slot_token or "",
    )
    (offer,) = record_offers(session, conversation_id, clinic, service, [(1, slot)], now)
    return offer


def settle_claim(session: Session, claimed: Claimed, *, held: bool, now: dt.datetime) -> None:
    """After the hold of a claim: the entry is ``booked``, or, when the time was taken
    meanwhile, back to ``waiting`` with the opening ``gone``."""
    entry = session.get(WaitlistEntry, claimed.entry_id)
    opening = session.get(WaitlistOpening, claimed.opening_id)
    if entry is not None:
        entry.status = EntryStatus.BOOKED if held else EntryStatus.WAITING
        entry.updated_at = now
    if opening is not None and not held:
        opening.status, opening.updated_at = OpeningStatus.GONE, now


def decline(session: Session, offer_id: int, now: dt.datetime) -> int | None:
    """The patient passed on offer ``offer_id``: they stay ``waiting``.

    Returns:
        The opening id to offer to the next patient, or None when the offer was not pending.
    """
    offer = session.get(WaitlistOffer, offer_id, with_for_update=True)
    if offer is None or offer.status != OfferStatus.PENDING:
        return None
    offer.answered_at = now
    _release(session, offer, OfferStatus.DECLINED, now)
    return offer.opening_id


def late_answer(
    session: Session, clinic_id: str, patient_phone: str, now: dt.datetime
) -> WaitlistOffer | None:
    """The patient's offer that lapsed within :data:`LATE_ANSWER_WINDOW` and was not
    answered, marked ``late`` (a "yes" to it is told the opening is gone), or None."""
    offer = (
        session.execute(
            select(WaitlistOffer)
            .where(
                WaitlistOffer.clinic_id == clinic_id,
                WaitlistOffer.patient_phone == patient_phone,
                WaitlistOffer.status == OfferStatus.LAPSED,
                WaitlistOffer.answered_at.is_(None),
                WaitlistOffer.expires_at > now - LATE_ANSWER_WINDOW,
            )
            .order_by(WaitlistOffer.expires_at.desc())
        )
        .scalars()
        .first()
    )
    if offer is not None:
        offer.status, offer.answered_at = OfferStatus.LATE, now
    return offer


def open_openings(session: Session, now: dt.datetime) -> list[tuple[str, int]]:
    """``(clinic_id, opening_id)`` of every open opening with no pending offer whose retry
    time (if any) has come: what the sweeper offers again."""
    pending = select(WaitlistOffer.opening_id).where(WaitlistOffer.status == OfferStatus.PENDING)
    rows = session.execute(
        select(WaitlistOpening.clinic_id, WaitlistOpening.id).where(
            WaitlistOpening.status == OpeningStatus.OPEN,
            WaitlistOpening.id.not_in(pending),
            (WaitlistOpening.retry_at.is_(None)) | (WaitlistOpening.retry_at <= now),
        )
    ).all()
    return [(c, i) for c, i in rows]


def next_due(session: Session, after: dt.datetime) -> dt.datetime | None:
    """The earliest instant after ``after`` when waitlist work falls due: a pending offer's
    window ending, or an open opening's retry after quiet hours."""
    expires = session.execute(
        select(func.min(WaitlistOffer.expires_at)).where(
            WaitlistOffer.status == OfferStatus.PENDING, WaitlistOffer.expires_at > after
        )
    ).scalar()
    retry = session.execute(
        select(func.min(WaitlistOpening.retry_at)).where(
            WaitlistOpening.status == OpeningStatus.OPEN, WaitlistOpening.retry_at > after
        )
    ).scalar()
    found = [t for t in (expires, retry) if t is not None]
    return min(found) if found else None
