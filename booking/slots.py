"""Finding openings for a patient and recording what was offered (DESIGN.md §2, booking).

The EMR answers free ``Slot`` s; we keep those matching the patient's preferences that no
other patient holds, pick a small spread across days, and save them as numbered
:class:`SlotOffer` rows so "the second one" resolves later without searching again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from booking.funnel import OFFER_SHOWN, conversation_subject, record_step
from booking.models import ACTIVE_STATUSES, Appointment, SlotOffer
from booking.terms import ClinicTerms, ServiceTerms, SlotFilter
from booking.waitlist import reserved_slots
from emr.base import EMRClient, Slot, SlotQuery

#: Minimum gap between two offers on one day, so a handful of offers shows real choice.
SPREAD_MINUTES = 90
#: How far the first search looks before widening to the clinic's whole booking horizon.
FIRST_WINDOW_DAYS = 14


def _busy(
    session: Session, clinic_id: str, start: dt.datetime, end: dt.datetime
) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
    rows = session.execute(
        select(Appointment.provider_id, Appointment.start_at, Appointment.end_at).where(
            Appointment.clinic_id == clinic_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
    ).all()
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for provider_id, s, e in rows:
        busy[provider_id].append((s, e))
    # a slot under an exclusive waitlist offer is that patient's until the offer ends
    for provider_id, s, e in reserved_slots(session, clinic_id, start, end):
        busy[provider_id].append((s, e))
    return busy


def _spread(slots: Sequence[Slot], limit: int, timezone: str) -> list[Slot]:
    """Pick up to ``limit`` slots across the earliest days, spaced within a day."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    by_day: dict[dt.date, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_day[slot.start.astimezone(zone).date()].append(slot)
    days = sorted(by_day)[:limit]
    picked: list[Slot] = []
    taken_starts: dict[dt.date, list[dt.datetime]] = defaultdict(list)
    gap = dt.timedelta(minutes=SPREAD_MINUTES)
    progress = True
    while len(picked) < limit and progress:
        progress = False
        for day in days:
            if len(picked) >= limit:
                break
            for slot in by_day[day]:
                if slot in picked:
                    continue
                if all(abs(slot.start - s) >= gap for s in taken_starts[day]):
                    picked.append(slot)
                    taken_starts[day].append(slot.start)
                    progress = True
                    break
    return sorted(picked, key=lambda s: (s.start, s.provider_id))


def search_openings(
    db: Database,
    emr: EMRClient,
    *,
    clinic: ClinicTerms,
    service: ServiceTerms,
    wanted: SlotFilter,
    now: dt.datetime,
    max_days_ahead: int,
) -> list[Slot]:
    """Every free slot for ``service`` matching ``wanted``, earliest first.

    Closed days, short days' closed hours and providers' time off are never offered, whatever
    the EMR answers (a Nextech calendar knows nothing of the clinic file's closures).
    Searches the first two weeks (or the asked-for dates) first and widens to
    ``max_days_ahead`` only when that finds nothing. The EMR is called with no transaction
    open (it may be another process, or on SQLite need the write lock itself).

    Raises:
        EMRError: the EMR failed.
    """
    zone = clinic.zone
    today = now.astimezone(zone).date()
    horizon = today + dt.timedelta(days=max_days_ahead)
    first = wanted.date_from if wanted.date_from and wanted.date_from > today else today
    last = min(wanted.date_to, horizon) if wanted.date_to else horizon
    if first > last:
        return []
    providers = wanted.provider_ids or service.provider_ids
    providers = tuple(p for p in providers if p in service.provider_ids) or ()
    if not providers:
        return []
    windows = [last]
    if not wanted.date_to and (last - first).days > FIRST_WINDOW_DAYS:
        windows = [first + dt.timedelta(days=FIRST_WINDOW_DAYS), last]
    for window_last in windows:
        start = max(now, dt.datetime.combine(first, dt.time(0), zone))
        end = dt.datetime.combine(window_last + dt.timedelta(days=1), dt.time(0), zone)
        found = emr.find_slots(
            SlotQuery(
                service_id=service.service_id,
                duration_minutes=service.duration_minutes + service.buffer_minutes,
                provider_ids=providers,
                start=start,
                end=end,
            )
        )
        with db.session() as session:
            busy = _busy(session, clinic.clinic_id, start, end + dt.timedelta(days=1))
        matching = [
            s
            for s in found
            if wanted.accepts(s.start.astimezone(zone))
            and clinic.open_for(s.provider_id, s.start.astimezone(zone), s.end.astimezone(zone))
            and not any(s.start < e and b < s.end for b, e in busy.get(s.provider_id, ()))
        ]
        if matching:
            return matching
    return []


def offer_slots(
    db: Database,
    emr: EMRClient,
    *,
    clinic: ClinicTerms,
    conversation_id: int,
    service: ServiceTerms,
    wanted: SlotFilter,
    now: dt.datetime,
    max_days_ahead: int = 60,
    limit: int = 3,
) -> list[SlotOffer]:
    """Find openings and save up to ``limit`` of them as a new numbered batch of offers.

    Returns:
        The saved :class:`SlotOffer` rows, positions 1..n, earliest first; empty when nothing
        matches (no batch is recorded then).

    Raises:
        EMRError: the EMR failed.
    """
    slots = search_openings(
        db,
        emr,
        clinic=clinic,
        service=service,
        wanted=wanted,
        now=now,
        max_days_ahead=max_days_ahead,
    )
    chosen = _spread(slots, limit, clinic.timezone)
    if not chosen:
        return []
    with db.session() as session:
        return _record(session, conversation_id, clinic, service, chosen, now)


def _record(
    session: Session,
    conversation_id: int,
    clinic: ClinicTerms,
    service: ServiceTerms,
    chosen: list[Slot],
    now: dt.datetime,
) -> list[SlotOffer]:
    positioned = list(enumerate(chosen, start=1))
    return record_offers(session, conversation_id, clinic, service, positioned, now)


def record_offers(
    session: Session,
    conversation_id: int,
    clinic: ClinicTerms,
    service: ServiceTerms,
    positioned: Sequence[tuple[int, Slot]],
    now: dt.datetime,
) -> list[SlotOffer]:
    """Save ``positioned`` slots (option number, slot) as the conversation's next batch of
    offers; a group option is several slots sharing one number.

    Returns:
        The saved rows, in the order given.
    """
    batch = (
        session.execute(
            select(func.max(SlotOffer.batch)).where(SlotOffer.conversation_id == conversation_id)
        ).scalar()
        or 0
    ) + 1
    offers = [
        SlotOffer(
            conversation_id=conversation_id,
            clinic_id=clinic.clinic_id,
            batch=batch,
            position=position,
            service_id=service.service_id,
            provider_id=slot.provider_id,
            start_at=slot.start,
            end_at=slot.end,
            token=slot.token,
            created_at=now,
        )
        for position, slot in positioned
    ]
    session.add_all(offers)
    session.flush()
    if offers:
        record_step(
            session, clinic.clinic_id, OFFER_SHOWN, conversation_subject(conversation_id), now
        )
    return offers


def latest_offers(session: Session, conversation_id: int) -> list[SlotOffer]:
    """The most recent batch of offers in a conversation, by position (empty if none)."""
    batch = session.execute(
        select(func.max(SlotOffer.batch)).where(SlotOffer.conversation_id == conversation_id)
    ).scalar()
    if batch is None:
        return []
    return list(
        session.execute(
            select(SlotOffer)
            .where(SlotOffer.conversation_id == conversation_id, SlotOffer.batch == batch)
            .order_by(SlotOffer.position)
        ).scalars()
    )
