"""The agent's group-booking tools: openings for several people, and one pick that holds a
slot per person (DESIGN.md §2, booking; :mod:`booking.group` does the finding and holding).

Registered in :data:`agent.tools.TOOLS` through :data:`GROUP_TOOLS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from agent.dialog import Hold
from agent.tool_args import FindSlotsArgs
from agent.tool_base import AgentDeps, offer_view, service_terms, wanted_filter
from booking.deposits import book_without_deposit, expire_due_holds, request_deposit
from booking.group import (
    GroupMember,
    GroupOpening,
    GroupSearch,
    find_group_openings,
    group_kind,
    group_options,
    hold_group,
    record_group_offers,
)
from booking.holds import HeldSlot, HoldFailed
from booking.models import SlotOffer
from booking.ports import PaymentError, format_money
from booking.slots import latest_offers
from booking.terms import ServiceTerms, SlotFilter, format_when

#: The largest group booked by text; a bigger one is for the team (four holds with a link
#: each is about what one reply carries within the clinic's SMS segment budget).
MAX_PARTY = 4


class FindGroupSlotsArgs(FindSlotsArgs):
    """Find openings for a group (several people, one appointment each, side by side or back
    to back), recorded as numbered options of one slot per person. Hold with hold_group."""

    party_size: int = Field(ge=2, le=MAX_PARTY, description="How many people, the texter included.")


class HoldGroupArgs(BaseModel):
    """Hold every slot of the group option the patient chose (one per person, all or none)
    and get a deposit link per person (or the bookings, when no deposit applies)."""

    option: int = Field(ge=1, description="The group option number the patient chose.")


def _group_view(deps: AgentDeps, position: int, offers: list[SlotOffer]) -> dict[str, Any]:
    kind = group_kind([(o.start_at, o.provider_id) for o in offers])
    end = max(o.end_at for o in offers)
    return {
        "option": position,
        "kind": kind,
        "slots": [offer_view(deps, o) for o in offers],
        "end": end.astimezone(deps.terms.zone).isoformat(),
        "ends": format_when(end, deps.terms.timezone),
    }


def _partial_view(deps: AgentDeps, opening: GroupOpening | None) -> dict[str, Any] | None:
    if opening is None or not opening.slots:
        return None
    return {
        "count": len(opening.slots),
        "when": format_when(opening.start, deps.terms.timezone),
        "start": opening.start.astimezone(deps.terms.zone).isoformat(),
    }


def find_group_slots(deps: AgentDeps, args: FindGroupSlotsArgs) -> dict[str, Any]:
    """Group openings for ``party_size`` people matching the wish, recorded as numbered options
    (and in the dialog state, with the search's arguments).

    When none fits the wish, the same days at any time are tried, then any day
    (``matched_preferences`` false); ``fits_fewer`` then says how many of the group the wish
    could take (``{"count", "when", "start"}``), or is None.
    """
    found = _find_group(deps, args)
    if "groups" in found:
        search = args.model_dump(mode="json", exclude_defaults=True)
        deps.state.group_offered(found["service_id"], search, found["groups"])
    return found


def _find_group(deps: AgentDeps, args: FindGroupSlotsArgs) -> dict[str, Any]:
    """:func:`find_group_slots` without the dialog state's record."""
    try:
        service = deps.clinic.service(args.service_id)
    except KeyError:
        return {"error": f"unknown service_id {args.service_id!r}"}
    if not service.bookable:
        return {"error": f"{service.name} is not booked by text; offer a call with the team"}
    if args.provider_id and args.provider_id not in service.provider_ids:
        return {"error": "that provider does not perform this service; leave provider_id out"}
    terms = service_terms(deps.clinic, service)
    expire_due_holds(deps.db, deps.emr, deps.deposits, clinic=deps.terms, now=deps.now)
    wish = wanted_filter(args)
    first, found, same_days = _search_widening(deps, terms, wish, args.party_size)
    options = record_group_offers(
        deps.db,
        conversation_id=deps.conversation_id,
        clinic=deps.terms,
        service=terms,
        openings=found.openings,
        now=deps.now,
    )
    matched = bool(first.openings)
    return {
        "service_id": service.id,
        "service": service.name,
        "party_size": args.party_size,
        "deposit": format_money(terms.deposit_cents) if terms.deposit_cents else None,
        "matched_preferences": matched,
        "same_days": same_days,
        "fits_fewer": None if matched else _partial_view(deps, first.best_partial),
        "groups": [_group_view(deps, i, rows) for i, rows in enumerate(options, start=1)],
    }


def _search_widening(
    deps: AgentDeps, terms: ServiceTerms, wish: SlotFilter, size: int
) -> tuple[GroupSearch, GroupSearch, bool]:
    """Search the wish, then its days at any time (nearest the wished time first), then any
    day.

    Returns:
        (the wish's own search, the search that found openings or the last one, whether that
        one kept the wish's days and dropped only its time of day).
    """
    tries = [wish]
    if wish.after or wish.before:
        tries.append(
            SlotFilter(wish.date_from, wish.date_to, wish.weekdays, None, None, wish.provider_ids)
        )
    tries.append(SlotFilter(provider_ids=wish.provider_ids))
    searches: list[GroupSearch] = []
    for tried, filters in enumerate(tries):
        found = find_group_openings(
            deps.db,
            deps.emr,
            clinic=deps.terms,
            service=terms,
            wanted=filters,
            size=size,
            now=deps.now,
            max_days_ahead=deps.clinic.clinic.booking.max_days_ahead,
            near=wish.after if filters is not wish else None,
        )
        searches.append(found)
        if found.openings:
            return searches[0], found, tried == 1 and len(tries) == 3
    return searches[0], searches[-1], False


def hold_group_slots(deps: AgentDeps, args: HoldGroupArgs) -> dict[str, Any]:
    """Hold the chosen group option (all its slots or none) and ask each hold's deposit; if a
    slot was just taken, offer the nearest group openings from that day instead."""
    with deps.db.session() as session:
        options = group_options(latest_offers(session, deps.conversation_id))
    chosen = options.get(args.option)
    if not chosen:
        return {"error": f"there is no option {args.option}; options are 1-{len(options)}"}
    if len(chosen) < 2:
        return {"error": "that offer is for one person; use hold_slot"}
    service = deps.clinic.service(chosen[0].service_id)
    deposit = deps.clinic.deposit_cents(service)
    members = [GroupMember(o, deps.clinic.provider(o.provider_id).name) for o in chosen]
    try:
        held = hold_group(
            deps.db,
            deps.emr,
            deps.deposits,
            clinic=deps.terms,
            members=members,
            patient_phone=deps.patient_phone,
            service_name=service.name,
            deposit_cents=deposit,
            now=deps.now,
        )
    except HoldFailed as exc:
        if exc.reason != "taken":
            return {"error": "the calendar could not be reached; offer to have the team follow up"}
        day = chosen[0].start_at.astimezone(deps.terms.zone).date()
        again = _find_group(
            deps,
            FindGroupSlotsArgs(service_id=service.id, date_from=day, party_size=len(chosen)),
        )
        deps.state.group_taken(again.get("groups", []))
        return {"held": False, "reason": "those times were just taken", **again}
    holds = _settle_all(deps, held, members, service.name, deposit)
    if isinstance(holds, dict):
        return holds
    return {
        "held": True,
        "service": service.name,
        "party_size": len(held),
        "deposit": format_money(deposit) if deposit else None,
        "hold_minutes": deps.terms.hold_minutes,
        "holds": holds,
    }


def _settle_all(
    deps: AgentDeps, held: list[HeldSlot], members: list[GroupMember], service: str, deposit: int
) -> list[dict[str, Any]] | dict[str, Any]:
    """Each person's hold view with its deposit link (or its booking), recorded in the dialog
    state as the group's holds; ``{"error"}`` when the payment system failed."""
    holds, facts = [], []
    for h, member in zip(held, members, strict=True):
        when = format_when(member.offer.start_at, deps.terms.timezone)
        view = {
            "appointment_id": h.appointment_id,
            "when": when,
            "start": member.offer.start_at.astimezone(deps.terms.zone).isoformat(),
            "provider": member.provider_name,
        }
        step = _settle(deps, h.appointment_id, deposit)
        if "error" in step:
            return step
        holds.append({**view, **step})
        if "link" in step:  # one booked outright (no deposit) is no hold any more
            facts.append(
                Hold(
                    appointment_id=h.appointment_id,
                    service=service,
                    provider=member.provider_name,
                    when=when,
                    expires_at=h.expires_at,
                    link_sent=True,
                )
            )
    deps.state.group_held(facts)
    return holds


def _settle(deps: AgentDeps, appointment_id: int, deposit: int) -> dict[str, Any]:
    """The deposit link of one hold (``{"link"}``), or its booking when no deposit applies
    (``{"booked": True}``); ``{"error"}`` when the payment system failed (staff alerted)."""
    if deposit <= 0:
        book_without_deposit(
            deps.db,
            deps.emr,
            clinic=deps.terms,
            appointment_id=appointment_id,
            now=deps.now,
            tell_patient_too=False,
        )
        return {"booked": True}
    try:
        link = request_deposit(
            deps.db, deps.deposits, clinic=deps.terms, appointment_id=appointment_id, now=deps.now
        )
    except PaymentError:
        deps.handoff("other", "A group's deposit links could not be created; please follow up.")
        return {"error": "the payment system is down; staff were asked to follow up"}
    return {"link": link.url}


#: (name, argument model, implementation) of each group tool, for :data:`agent.tools.TOOLS`.
GROUP_TOOLS: tuple[tuple[str, type[BaseModel], Callable[[AgentDeps, Any], dict[str, Any]]], ...] = (
    ("find_group_slots", FindGroupSlotsArgs, find_group_slots),
    ("hold_group", HoldGroupArgs, hold_group_slots),
)
