"""Waitlist flow: a freed slot is texted to one waiting patient at a time (DESIGN.md §2).

1. An appointment ends (cancelled, moved, expired unpaid, cancelled by staff):
   :func:`booking.holds.release_appointment` saves the slot as an opening in the same
   transaction, and once it commits the app enqueues :func:`offer_opening`
   (:func:`app.wiring` reads :data:`booking.waitlist.PENDING_KEY`).
2. :func:`offer_opening` offers it to the first waiting patient in fair order who may be
   texted now (opted-out numbers never; quiet hours: skipped for now, place kept), with an
   exclusive claim window of ``clinic.waitlist.claim_minutes``.
3. The patient's answer is a turn of their conversation (:mod:`agent.waitlist_intent`): a
   yes holds the slot and sends the deposit link; a no passes it on.
4. :func:`sweep` (run by the sweeper's :func:`app.flows.sweeper.run_due`) ends the offers
   whose window lapsed and offers their openings to the next patient, up to
   ``max_offers_per_opening``; it also retries openings held back by quiet hours.
   :func:`booking.waitlist_offers.next_due` (a source of :mod:`app.flows.due`) tells when
   that work next falls due.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select

from app.context import AppContext
from booking.waitlist import expire_past_windows
from booking.waitlist_models import WaitlistOpening
from booking.waitlist_offers import OfferRules, lapse_due, offer_next, open_openings
from knowledge.models import Clinic

log = structlog.get_logger(__name__)


def offer_opening(ctx: AppContext, opening_id: int) -> bool:
    """Job: offer opening ``opening_id`` to the next waiting patient (idempotent: an opening
    with a pending offer, or no longer open, is left as it is).

    Returns:
        True when an offer was made (its text is queued and goes out after the commit).
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        opening = session.get(WaitlistOpening, opening_id)
        clinic_id = opening.clinic_id if opening is not None else None
    clinic = ctx.clinic_cached(clinic_id) if clinic_id else None
    if clinic is None:
        return False
    settings = clinic.clinic.waitlist
    rules = OfferRules(settings.claim_minutes, settings.max_offers_per_opening)
    with ctx.db.session() as session:
        offer = offer_next(session, ctx.clinic_terms(clinic), opening_id, rules, now)
        return offer is not None


def sweep(ctx: AppContext) -> dict[str, int]:
    """End lapsed offers and offer their openings (and openings whose quiet hours ended) to
    the next patient; take off the list the patients whose dates have all passed.

    Returns:
        Counts: ``waitlist_lapsed`` offers ended, ``waitlist_offered`` new offers made,
        ``waitlist_expired`` entries whose date range ended (taken off the list).
    """
    now = ctx.clock.now()
    with ctx.db.session() as session:
        lapsed = lapse_due(session, now)
    with ctx.db.session() as session:
        zones = {
            cid: ZoneInfo(tz) for cid, tz in session.execute(select(Clinic.id, Clinic.timezone))
        }
        expired = expire_past_windows(session, zones, now)
        due = open_openings(session, now)
    offered = sum(1 for _clinic, opening_id in due if offer_opening(ctx, opening_id))
    return {
        "waitlist_lapsed": len(lapsed),
        "waitlist_offered": offered,
        "waitlist_expired": expired,
    }
