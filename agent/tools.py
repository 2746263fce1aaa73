"""The agent's tools: typed functions the model calls; results go back to it as JSON text.

Each tool validates its arguments with a pydantic model (the same model generates the JSON
schema the GPT backend sees) and never raises into the turn: a failure is returned to the
model as ``{"error": "..."}`` text, in the style of openai-agents-python's tool errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import structlog
from pydantic import BaseModel

from agent.dialog import Hold
from agent.models.toolspec import ToolArgumentError, parse_arguments, tool_spec
from agent.tool_args import (
    CancelAppointmentArgs,
    FindSlotsArgs,
    HandoffArgs,
    HoldSlotArgs,
    MyAppointmentsArgs,
    RescheduleAppointmentArgs,
    SearchKnowledgeArgs,
    SendDepositLinkArgs,
)
from agent.tool_base import AgentDeps, service_terms, wanted_filter
from agent.tool_base import offer_view as _offer_view
from agent.tools_group import GROUP_TOOLS
from booking.changes import cancel_by_patient, cancels_late, reschedule, upcoming
from booking.deposits import book_without_deposit, expire_due_holds, hold_replacing, request_deposit
from booking.holds import HoldFailed
from booking.models import Appointment, SlotOffer
from booking.ports import EMRError, PaymentError, format_money
from booking.slots import latest_offers, offer_slots
from booking.terms import SlotFilter, format_when
from knowledge.embeddings import EmbeddingError

log = structlog.get_logger(__name__)


def search_knowledge(deps: AgentDeps, args: SearchKnowledgeArgs) -> dict[str, Any]:
    """Passages from the clinic's documents and FAQs, best first, with their titles."""
    from knowledge.retrieval import best_answer, search

    with deps.db.session() as session:
        try:
            passages = search(
                session, deps.terms.clinic_id, args.query, k=3, embedder=deps.embedder
            )
        except EmbeddingError:  # the embeddings service is down: keyword search still works
            log.warning("embedding_failed_lexical_fallback")
            passages = search(session, deps.terms.clinic_id, args.query, k=3)
    best = best_answer(passages, args.query)
    return {
        "passages": [
            {"title": p.title, "text": p.text, "score": round(p.score, 3)} for p in passages
        ],
        "confident": best is not None,
    }


def find_slots(deps: AgentDeps, args: FindSlotsArgs) -> dict[str, Any]:
    """Openings for a service matching the patient's preferences, recorded as numbered offers.

    Lapsed unpaid holds are released first (the embedded default has no sweeper). When nothing
    matches, the nearest openings regardless of day and time (from the first day asked
    for, when that is a later day) are offered instead
    (``matched_preferences`` false), unless ``exact`` (then none are)."""
    try:
        service = deps.clinic.service(args.service_id)
    except KeyError:
        return {"error": f"unknown service_id {args.service_id!r}"}
    if not service.bookable:
        return {"error": f"{service.name} is not booked by text; offer a call with the team"}
    if args.provider_id and args.provider_id not in service.provider_ids:
        names = ", ".join(deps.clinic.provider(p).name for p in service.provider_ids)
        return {"error": f"that provider does not perform {service.name}; who does: {names}"}
    wanted = wanted_filter(args)
    terms = service_terms(deps.clinic, service)
    expire_due_holds(deps.db, deps.emr, deps.deposits, clinic=deps.terms, now=deps.now)

    def offer(filters: SlotFilter) -> list[SlotOffer]:
        return offer_slots(
            deps.db,
            deps.emr,
            clinic=deps.terms,
            conversation_id=deps.conversation_id,
            service=terms,
            wanted=filters,
            now=deps.now,
            max_days_ahead=deps.clinic.clinic.booking.max_days_ahead,
        )

    away = _away(deps, args.provider_id, wanted)
    if away is not None:
        # the provider asked for is off for every day asked: whoever else performs it then
        wanted = replace(wanted, provider_ids=())
    offers = offer(wanted)
    matched = bool(offers)
    if not offers and not args.exact and wanted.weekdays and _all_closed(deps, wanted):
        # "friday?" when that Friday is a holiday: the same weekdays and hours in the weeks
        # after come first (a day the clinic is open but full goes to the nearest days below)
        offers = offer(replace(wanted, date_to=None))
    if not offers and not args.exact and wanted.date_from and wanted.date_from > deps.now.date():
        # nothing on a later day asked for ("next monday"): the nearest are from that day on
        offers = offer(SlotFilter(date_from=wanted.date_from, provider_ids=wanted.provider_ids))
    if not offers and not args.exact:
        offers = offer(SlotFilter(provider_ids=wanted.provider_ids))
    views = [_offer_view(deps, o) for o in offers]
    deps.state.offered(service.id, views)
    return {
        "service_id": service.id,
        "service": service.name,
        "deposit": format_money(terms.deposit_cents) if terms.deposit_cents else None,
        "matched_preferences": matched,
        "slots": views,
        **({"provider_away": away} if away else {}),
    }


def _away(deps: AgentDeps, provider_id: str | None, wanted: SlotFilter) -> dict[str, str] | None:
    """The provider's time off when it covers every day of ``wanted``'s bounded date range:
    ``{"provider": name, "from": iso date, "to": iso date}``; else None."""
    if not provider_id or wanted.date_from is None or wanted.date_to is None:
        return None
    off = deps.terms.away(provider_id, wanted.date_from, wanted.date_to)
    if off is None:
        return None
    name = deps.clinic.provider(provider_id).name
    return {"provider": name, "from": off[0].isoformat(), "to": off[1].isoformat()}


def _all_closed(deps: AgentDeps, wanted: SlotFilter) -> bool:
    """True when every day of ``wanted``'s bounded date range is a whole-day closure."""
    if wanted.date_from is None or wanted.date_to is None:
        return False
    days = (wanted.date_to - wanted.date_from).days + 1
    return 0 < days <= 7 and all(
        deps.terms.closed_all_day(wanted.date_from + dt.timedelta(days=i)) for i in range(days)
    )


def hold_slot(deps: AgentDeps, args: HoldSlotArgs) -> dict[str, Any]:
    """Hold the offered option for ``hold_minutes`` (the conversation's earlier unpaid hold is
    released); if it was just taken, offer the nearest alternatives instead."""
    with deps.db.session() as session:
        offers = latest_offers(session, deps.conversation_id)
    chosen = next((o for o in offers if o.position == args.option), None)
    if chosen is None:
        return {"error": f"there is no option {args.option}; options are 1-{len(offers)}"}
    service = deps.clinic.service(chosen.service_id)
    provider = deps.clinic.provider(chosen.provider_id)
    deposit = deps.clinic.deposit_cents(service)
    try:
        held = hold_replacing(
            deps.db,
            deps.emr,
            deps.deposits,
            clinic=deps.terms,
            offer=chosen,
            patient_phone=deps.patient_phone,
            service_name=service.name,
            provider_name=provider.name,
            deposit_cents=deposit,
            now=deps.now,
        )
    except HoldFailed as exc:
        if exc.reason != "taken":
            return {"error": "the calendar could not be reached; offer to have the team follow up"}
        # Nearest to what the patient chose: that day onwards (find_slots widens if empty).
        local_day = chosen.start_at.astimezone(deps.terms.zone).date()
        alternatives = find_slots(
            deps,
            FindSlotsArgs.model_validate(
                {"service_id": service.id, "date_from": local_day.isoformat()}
            ),
        )
        deps.state.taken(alternatives.get("slots", []))
        return {
            "held": False,
            "reason": "that time was just taken",
            "alternatives": alternatives.get("slots", []),
        }
    when = format_when(chosen.start_at, deps.terms.timezone)
    deps.state.held(
        Hold(
            appointment_id=held.appointment_id,
            service=service.name,
            provider=provider.name,
            when=when,
            expires_at=held.expires_at,
        )
    )
    return {
        "held": True,
        "appointment_id": held.appointment_id,
        "service": service.name,
        "provider": provider.name,
        "when": when,
        "hold_minutes": deps.terms.hold_minutes,
        "deposit": format_money(deposit) if deposit else None,
    }


def _current_hold(deps: AgentDeps) -> Appointment | None:
    from sqlalchemy import select

    with deps.db.session() as session:
        return (
            session.execute(
                select(Appointment)
                .where(
                    Appointment.conversation_id == deps.conversation_id,
                    Appointment.status.in_(("held", "awaiting_deposit")),
                )
                .order_by(Appointment.id.desc())
            )
            .scalars()
            .first()
        )


def send_deposit_link(deps: AgentDeps, args: SendDepositLinkArgs) -> dict[str, Any]:
    """The deposit link for the current hold, or the booking itself when no deposit applies."""
    appt = _current_hold(deps)
    if appt is None:
        return {"error": "nothing is being held; offer openings first"}
    when = format_when(appt.start_at, appt.timezone)
    if appt.deposit_cents <= 0:
        booked = book_without_deposit(
            deps.db,
            deps.emr,
            clinic=deps.terms,
            appointment_id=appt.id,
            now=deps.now,
            tell_patient_too=False,
        )
        deps.state.booked(appt.id)
        return {
            "booked": True,
            "service": booked.service_name,
            "provider": booked.provider_name,
            "when": when,
        }
    try:
        link = request_deposit(
            deps.db, deps.deposits, clinic=deps.terms, appointment_id=appt.id, now=deps.now
        )
    except PaymentError:
        deps.handoff("other", "The deposit link could not be created; please follow up.")
        return {"error": "the payment system is down; staff were asked to follow up"}
    minutes = max(1, int(((appt.hold_expires_at or deps.now) - deps.now).total_seconds() // 60))
    deps.state.link_sent(appt.id)
    return {
        "link": link.url,
        "amount": format_money(link.amount_cents),
        "service": appt.service_name,
        "provider": appt.provider_name,
        "when": when,
        "hold_minutes": minutes,
    }


def my_appointments(deps: AgentDeps, args: MyAppointmentsArgs) -> dict[str, Any]:
    """The patient's upcoming appointments with ids, times and deposit status."""
    rows = upcoming(deps.db, deps.patient_phone, deps.terms.clinic_id, deps.now)
    notice = deps.terms.cancellation_notice_hours
    listed: dict[str, Any] = {
        "appointments": [
            {
                "appointment_id": r.appointment_id,
                "service_id": r.service_id,
                "service": r.service,
                "provider": r.provider,
                "when": r.when,
                "start": r.start.astimezone(deps.terms.zone).isoformat(),
                "status": r.status,
                "deposit_paid": format_money(r.deposit_paid_cents)
                if r.deposit_paid_cents
                else None,
                "inside_notice_window": cancels_late(
                    r.start, moved_late=r.moved_late, now=deps.now, notice_hours=notice
                ),
                "moved_late": r.moved_late,
            }
            for r in rows
        ],
        "cancellation_notice_hours": notice,
    }
    deps.state.listed(listed["appointments"], notice)
    return listed


def _own(deps: AgentDeps, appointment_id: int) -> bool:
    return any(
        r.appointment_id == appointment_id
        for r in upcoming(deps.db, deps.patient_phone, deps.terms.clinic_id, deps.now)
    )


def cancel_appointment(deps: AgentDeps, args: CancelAppointmentArgs) -> dict[str, Any]:
    """Cancel the patient's appointment; refund or keep the deposit by the notice policy."""
    if not _own(deps, args.appointment_id):
        return {"error": "no such upcoming appointment for this patient; call my_appointments"}
    done = cancel_by_patient(
        deps.db,
        deps.emr,
        deps.deposits,
        clinic=deps.terms,
        appointment_id=args.appointment_id,
        now=deps.now,
    )
    deps.state.cancelled(args.appointment_id)
    return {
        "cancelled": True,
        "service": done.service,
        "when": done.when,
        "deposit": done.deposit,
        "amount": format_money(done.amount_cents),
        "late": done.late,
        "moved_late": done.moved_late,
        "cancellation_notice_hours": deps.terms.cancellation_notice_hours,
    }


def reschedule_appointment(deps: AgentDeps, args: RescheduleAppointmentArgs) -> dict[str, Any]:
    """Move the patient's appointment to an offered option (new time booked before the old
    one is cancelled)."""
    if not _own(deps, args.appointment_id):
        return {"error": "no such upcoming appointment for this patient; call my_appointments"}
    with deps.db.session() as session:
        offers = latest_offers(session, deps.conversation_id)
    chosen = next((o for o in offers if o.position == args.option), None)
    if chosen is None:
        return {"error": f"there is no option {args.option}; options are 1-{len(offers)}"}
    try:
        moved = reschedule(
            deps.db,
            deps.emr,
            clinic=deps.terms,
            appointment_id=args.appointment_id,
            offer=chosen,
            provider_name=deps.clinic.provider(chosen.provider_id).name,
            now=deps.now,
        )
    except HoldFailed:
        return {"rescheduled": False, "reason": "that time was just taken"}
    except ValueError as exc:
        return {"error": str(exc)}
    deps.state.rescheduled()
    return {
        "rescheduled": True,
        "deposit_paid": format_money(moved.deposit_paid_cents)
        if moved.deposit_paid_cents
        else None,
        "service": moved.service,
        "provider": moved.provider,
        "old_when": moved.old_when,
        "when": moved.new_when,
        "status": moved.status,
        "late_change": moved.late_change,
        "cancellation_notice_hours": deps.terms.cancellation_notice_hours,
    }


def handoff_to_staff(deps: AgentDeps, args: HandoffArgs) -> dict[str, Any]:
    """Alert staff with ``summary``; the assistant pauses on this conversation, except for a
    medical question or an arrival note, after which it stays on for booking (DESIGN.md §2)."""
    deps.notify(args.reason, args.summary, pause=args.reason not in ("medical", "arrival"))
    return {"handed_off": True}


@dataclass(frozen=True)
class Tool:
    """A tool: its name, argument model, implementation and description."""

    name: str
    args: type[BaseModel]
    run: Callable[[AgentDeps, Any], dict[str, Any]]

    @property
    def description(self) -> str:
        """The argument model's docstring, shown to the model."""
        return (self.args.__doc__ or self.name).strip()


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool("search_knowledge", SearchKnowledgeArgs, search_knowledge),
        Tool("find_slots", FindSlotsArgs, find_slots),
        Tool("hold_slot", HoldSlotArgs, hold_slot),
        Tool("send_deposit_link", SendDepositLinkArgs, send_deposit_link),
        Tool("my_appointments", MyAppointmentsArgs, my_appointments),
        Tool("cancel_appointment", CancelAppointmentArgs, cancel_appointment),
        Tool("reschedule_appointment", RescheduleAppointmentArgs, reschedule_appointment),
        Tool("handoff_to_staff", HandoffArgs, handoff_to_staff),
        *(Tool(name, args, run) for name, args, run in GROUP_TOOLS),
    )
}


def specs() -> list[Any]:
    """Tool specs (JSON schemas) for every tool, in a stable order (built once per process:
    the tools are constant)."""
    return list(_specs())


@functools.cache
def _specs() -> tuple[Any, ...]:
    return tuple(tool_spec(t.name, t.description, t.args) for t in TOOLS.values())


def execute(deps: AgentDeps, name: str, arguments: dict[str, Any]) -> str:
    """Run tool ``name`` and return its result as JSON text; errors come back as text too."""
    tool = TOOLS.get(name)
    if tool is None:
        return json.dumps({"error": f"unknown tool {name!r}; tools: {', '.join(TOOLS)}"})
    try:
        args = parse_arguments(tool.args, arguments)
        result = tool.run(deps, args)
    except ToolArgumentError as exc:
        result = {"error": str(exc)}
    except EMRError as exc:
        log.warning("tool_emr_error", tool=name, error=type(exc).__name__)
        result = {"error": "the calendar could not be reached right now"}
    except Exception as exc:  # noqa: BLE001 - a broken tool is told to the model, as text
        # (a service removed by a re-seed while its offers stood raised KeyError here and the
        # whole turn failed); the model says so or hands off, and nothing is lost.
        log.warning("tool_failed", tool=name, error=type(exc).__name__)
        result = {"error": f"{name} failed ({type(exc).__name__}); apologise and hand off to staff"}
    return json.dumps(result, default=str)
