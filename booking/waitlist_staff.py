"""The waitlist as staff see it: who waits for what, and where their latest offer stands
(``frontdesk staff waitlist`` and ``GET /staff/<clinic>/waitlist``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.waitlist_models import ACTIVE_ENTRY, WaitlistEntry, WaitlistOffer


def waitlist_rows(
    session: Session, clinic_id: str, zone: ZoneInfo, *, everyone: bool = False
) -> list[dict[str, Any]]:
    """The clinic's waitlist in join order: patients still waiting or offered (``everyone``:
    booked and removed too), each with their window and latest offer.

    Returns:
        JSON-ready dicts: ``id``, ``patient_phone`` (in full: staff call back), ``service_id``,
        ``window``, ``weekdays``, ``after``, ``before``, ``status``, ``joined_at``
        (clinic-local ISO 8601), ``offer`` (``{status, sent_at, expires_at}`` or None).
    """
    query = select(WaitlistEntry).where(WaitlistEntry.clinic_id == clinic_id)
    if not everyone:
        query = query.where(WaitlistEntry.status.in_(ACTIVE_ENTRY))
    entries = list(session.scalars(query.order_by(WaitlistEntry.created_at, WaitlistEntry.id)))
    latest: dict[int, WaitlistOffer] = {}
    if entries:
        offers = session.scalars(
            select(WaitlistOffer)
            .where(WaitlistOffer.entry_id.in_([e.id for e in entries]))
            .order_by(WaitlistOffer.id)
        )
        latest = {o.entry_id: o for o in offers}
    return [_row(e, latest.get(e.id), zone) for e in entries]


def _row(entry: WaitlistEntry, offer: WaitlistOffer | None, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": entry.id,
        "patient_phone": entry.patient_phone,
        "service_id": entry.service_id,
        "window": entry.window_text or "any time",
        "weekdays": [int(d) for d in entry.weekdays],
        "after": entry.after,
        "before": entry.before,
        "status": str(entry.status),
        "joined_at": entry.created_at.astimezone(zone).isoformat(),
        "offer": None
        if offer is None
        else {
            "status": str(offer.status),
            "sent_at": offer.sent_at.astimezone(zone).isoformat(),
            "expires_at": offer.expires_at.astimezone(zone).isoformat(),
        },
    }
