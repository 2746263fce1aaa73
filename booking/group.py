"""Group openings: one slot per person, side by side or back to back, held all or none.

A group of ``size`` people fits at a start when ``size`` slots chain from it in *waves*: the
first wave is every provider free at that start (side by side), and each next wave starts
when the one before ends (back to back, on the same provider where possible). Two friends
with one provider get "10:00 and 10:30 with X"; with two providers free at once, "11:00 side
by side with X and Y"; three people with two providers get two side by side and one after.
Every slot must fit the patient's wish (a :class:`~booking.terms.SlotFilter`), because the
EMR search already applies it.

Offers are recorded as ordinary :class:`~booking.models.SlotOffer` rows of one batch, a group
being the rows that share a ``position`` (so "1" picks all of option 1's slots); a batch
whose positions repeat is a group batch. :func:`hold_group` inserts all the group's holds in
one transaction, so the database's no-overlap rule refuses the whole group or none of it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app.db import Database
from booking.deposits import release_replaced
from booking.holds import (
    HeldSlot,
    HoldFailed,
    book_hold_in_emr,
    hold_row,
    insert_holds,
    release_appointment,
)
from booking.models import PENDING_STATUSES, Appointment, AppointmentStatus, SlotOffer
from booking.slots import SPREAD_MINUTES, record_offers, search_openings
from booking.terms import ClinicTerms, ServiceTerms, SlotFilter
from emr.base import EMRClient, Slot
from payments.base import DepositProvider

#: How late a back-to-back start may follow the end of the slot before it (a grid that does
#: not land exactly on the end).
BACK_TO_BACK_SLACK = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class GroupOpening:
    """Slots for a group, one per person, by start then provider."""

    slots: tuple[Slot, ...]

    @property
    def start(self) -> dt.datetime:
        """The first start."""
        return self.slots[0].start

    @property
    def kind(self) -> str:
        """``side_by_side`` (one start), ``back_to_back`` (one provider) or ``mixed``."""
        return group_kind([(s.start, s.provider_id) for s in self.slots])


def group_kind(slots: Sequence[tuple[dt.datetime, str]]) -> str:
    """How a group's (start, provider id) pairs sit: ``side_by_side`` (one start),
    ``back_to_back`` (one provider, one after another) or ``mixed``."""
    if len({start for start, _ in slots}) == 1:
        return "side_by_side"
    if len({provider for _, provider in slots}) == 1:
        return "back_to_back"
    return "mixed"


@dataclass(frozen=True)
class GroupSearch:
    """What a group search found.

    Attributes:
        openings: group openings that fit the wish, earliest first.
        best_partial: when none fits, the earliest chain for the most people that does
            (fewer than asked; None when not even one person fits).
    """

    openings: list[GroupOpening]
    best_partial: GroupOpening | None


def chain_openings(slots: Sequence[Slot], size: int) -> GroupSearch:
    """Group openings for ``size`` people among free ``slots`` (any order).

    Args:
        slots: free slots of one service (each fits the patient's wish).
        size: people in the group (>= 1).

    Returns:
        :class:`GroupSearch`: one opening per start that fits everybody, and the best
        partial chain when none does.
    """
    by_start: dict[dt.datetime, list[Slot]] = defaultdict(list)
    for slot in sorted(slots, key=lambda s: (s.start, s.provider_id)):
        by_start[slot.start].append(slot)
    starts = sorted(by_start)
    full: list[GroupOpening] = []
    partial: GroupOpening | None = None
    for start in starts:
        chain = _chain(by_start, starts, start, size)
        if len(chain) == size:
            full.append(GroupOpening(tuple(chain)))
        elif partial is None or len(chain) > len(partial.slots):
            partial = GroupOpening(tuple(chain))
    return GroupSearch(full, None if full else partial)


def _chain(
    by_start: dict[dt.datetime, list[Slot]],
    starts: list[dt.datetime],
    start: dt.datetime,
    size: int,
) -> list[Slot]:
    """Fill waves from ``start`` until ``size`` people have a slot or no wave follows."""
    chain: list[Slot] = []
    wave_start: dt.datetime | None = start
    previous: set[str] = set()
    while wave_start is not None and len(chain) < size:
        # the providers of the wave before first: back to back with the same person
        free = sorted(by_start[wave_start], key=lambda s: (s.provider_id not in previous,))
        taken = free[: size - len(chain)]
        chain.extend(taken)
        previous = {s.provider_id for s in taken}
        end = max(s.end for s in taken)
        i = bisect.bisect_left(starts, end)
        wave_start = (
            starts[i] if i < len(starts) and starts[i] - end <= BACK_TO_BACK_SLACK else None
        )
    return sorted(chain, key=lambda s: (s.start, s.provider_id))


def spread_openings(
    openings: Sequence[GroupOpening],
    limit: int,
    zone: dt.tzinfo,
    near: dt.time | None = None,
) -> list[GroupOpening]:
    """Up to ``limit`` openings across the earliest days, starts on one day at least
    :data:`~booking.slots.SPREAD_MINUTES` apart, then earliest first.

    Args:
        openings: candidates, earliest first.
        limit: how many to keep.
        zone: the clinic's zone (days are local).
        near: a local time of day to stay close to (the wished time, when the search had
            to widen past it); None picks the earliest of each day first.
    """
    gap = dt.timedelta(minutes=SPREAD_MINUTES)
    by_day: dict[dt.date, list[GroupOpening]] = defaultdict(list)
    for opening in openings:
        by_day[opening.start.astimezone(zone).date()].append(opening)
    if near is not None:
        for day, found in by_day.items():
            wished = dt.datetime.combine(day, near, zone)
            found.sort(key=functools.partial(_distance, wished))
    picked: list[GroupOpening] = []
    progress = True
    while len(picked) < limit and progress:
        progress = False
        for day in sorted(by_day)[:limit]:
            choice = next(
                (
                    o
                    for o in by_day[day]
                    if o not in picked and all(abs(o.start - p.start) >= gap for p in picked)
                ),
                None,
            )
            if choice is not None and len(picked) < limit:
                picked.append(choice)
                progress = True
    return sorted(picked, key=lambda o: o.start)


def _distance(wished: dt.datetime, opening: GroupOpening) -> dt.timedelta:
    """How far ``opening`` starts from the wished instant."""
    return abs(opening.start - wished)


def find_group_openings(
    db: Database,
    emr: EMRClient,
    *,
    clinic: ClinicTerms,
    service: ServiceTerms,
    wanted: SlotFilter,
    size: int,
    now: dt.datetime,
    max_days_ahead: int,
    limit: int = 3,
    near: dt.time | None = None,
) -> GroupSearch:
    """Group openings for ``size`` people matching ``wanted`` (at most ``limit``, spread).

    Searches like :func:`booking.slots.search_openings`; when its first window has openings
    for fewer people only, the whole booking horizon is searched once more. ``near``: as for
    :func:`spread_openings`.

    Raises:
        EMRError: the EMR failed.
    """

    def search(filters: SlotFilter) -> GroupSearch:
        slots = search_openings(
            db,
            emr,
            clinic=clinic,
            service=service,
            wanted=filters,
            now=now,
            max_days_ahead=max_days_ahead,
        )
        return chain_openings(slots, size)

    found = search(wanted)
    if not found.openings and wanted.date_to is None:
        horizon = now.astimezone(clinic.zone).date() + dt.timedelta(days=max_days_ahead)
        wider = search(
            SlotFilter(
                wanted.date_from,
                horizon,
                wanted.weekdays,
                wanted.after,
                wanted.before,
                wanted.provider_ids,
            )
        )
        found = GroupSearch(wider.openings, found.best_partial or wider.best_partial)
    spread = spread_openings(found.openings, limit, clinic.zone, near)
    return GroupSearch(spread, found.best_partial)


def record_group_offers(
    db: Database,
    *,
    conversation_id: int,
    clinic: ClinicTerms,
    service: ServiceTerms,
    openings: Sequence[GroupOpening],
    now: dt.datetime,
) -> list[list[SlotOffer]]:
    """Save ``openings`` as a new batch of offers, option ``i`` being the rows at position ``i``.

    Returns:
        The saved rows, one list per option (option 1 first); empty when ``openings`` is.
    """
    if not openings:
        return []
    positioned = [
        (position, slot)
        for position, opening in enumerate(openings, start=1)
        for slot in opening.slots
    ]
    by_position: dict[int, list[SlotOffer]] = {}
    with db.session() as session:
        rows = record_offers(session, conversation_id, clinic, service, positioned, now)
        for (position, _), row in zip(positioned, rows, strict=True):
            by_position.setdefault(position, []).append(row)
    return [by_position[p] for p in sorted(by_position)]


def group_options(offers: Sequence[SlotOffer]) -> dict[int, list[SlotOffer]]:
    """A batch of offers (``booking.slots.latest_offers``) as {position: its slots}; a group
    batch is one where some position has two or more slots."""
    options: dict[int, list[SlotOffer]] = defaultdict(list)
    for offer in offers:
        options[offer.position].append(offer)
    return dict(options)


@dataclass(frozen=True)
class GroupMember:
    """One slot of a group pick with the words shown for it."""

    offer: SlotOffer
    provider_name: str


def hold_group(
    db: Database,
    emr: EMRClient,
    provider: DepositProvider,
    *,
    clinic: ClinicTerms,
    members: Sequence[GroupMember],
    patient_phone: str,
    service_name: str,
    deposit_cents: int,
    now: dt.datetime,
) -> list[HeldSlot]:
    """Hold every member's slot for ``patient_phone``, all or none, as the conversation's
    holds: its earlier unpaid holds are released (as :func:`booking.deposits.hold_replacing`
    does for one slot), while the group's own holds stand together.

    Args:
        db, emr: our database and the clinic's EMR.
        provider: the payment provider (released holds' links are cancelled).
        clinic: the clinic's booking terms.
        members: the picked option's saved offers (one conversation), one per person.
        patient_phone: the texter, on every hold (the group's contact).
        service_name: the words shown for the service.
        deposit_cents: each hold's deposit (0: none).
        now: the current instant.

    Returns:
        One :class:`~booking.holds.HeldSlot` per member, in order.

    Raises:
        HoldFailed: ``taken`` (any slot overlaps another hold or appointment, or the EMR
        refused one) or ``emr_error``; no hold of the group is left active then.
    """
    offers = [m.offer for m in members]
    clashing, others = _earlier_holds(db, offers)
    release_replaced(db, emr, provider, clashing, now)
    expires = now + dt.timedelta(minutes=clinic.hold_minutes)
    rows = [
        hold_row(
            clinic,
            m.offer,
            patient_phone,
            (service_name, m.provider_name),
            deposit_cents,
            expires,
            now,
        )
        for m in members
    ]
    ids = insert_holds(db, rows)
    try:
        for appointment_id, offer in zip(ids, offers, strict=True):
            slot = Slot(
                offer.service_id, offer.provider_id, offer.start_at, offer.end_at, offer.token
            )
            book_hold_in_emr(db, emr, appointment_id, slot, patient_phone, now)
    except HoldFailed:
        for appointment_id in ids:  # all or none: the failed one is already released
            release_appointment(db, emr, appointment_id, status=AppointmentStatus.RELEASED, now=now)
        raise
    release_replaced(db, emr, provider, others, now)
    return [HeldSlot(appointment_id=i, expires_at=expires) for i in ids]


def _earlier_holds(db: Database, offers: Sequence[SlotOffer]) -> tuple[list[int], list[int]]:
    """The unpaid holds of the offers' conversation: (those overlapping any offer's provider
    and time, the others), appointment ids in order."""
    conversation_id = offers[0].conversation_id
    with db.session() as session:
        rows = session.execute(
            select(
                Appointment.id, Appointment.provider_id, Appointment.start_at, Appointment.end_at
            )
            .where(
                Appointment.conversation_id == conversation_id,
                Appointment.status.in_(PENDING_STATUSES),
            )
            .order_by(Appointment.id)
        ).all()
    clash = [
        r.id
        for r in rows
        if any(
            r.provider_id == o.provider_id and r.start_at < o.end_at and o.start_at < r.end_at
            for o in offers
        )
    ]
    return clash, [r.id for r in rows if r.id not in clash]
