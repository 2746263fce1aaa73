"""What every tool module shares: the turn's dependencies, the slot-search filter and the
views of offered slots (so a tool module beside :mod:`agent.tools`, such as
:mod:`agent.tools_group`, needs nothing from it and no import circle forms). The tools'
argument models are in :mod:`agent.tool_args`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.dialog import ConversationState
from agent.tool_args import FindSlotsArgs
from app.db import Database
from booking.models import SlotOffer
from booking.ports import DepositProvider, EMRClient
from booking.terms import ClinicTerms, ServiceTerms, SlotFilter, format_when
from knowledge.clinic_file import WEEKDAYS, ClinicFile, ServiceInfo
from knowledge.retrieval import Embedder


@dataclass
class AgentDeps:
    """What tools work with during one turn.

    Attributes:
        db, clinic (records), terms (booking view), emr, deposits: live dependencies.
        conversation_id, patient_phone: whose turn this is.
        now: the turn's instant (aware).
        handoff: callback ``(reason, summary) -> None`` that pauses the AI and alerts staff
            (set by the app).
        alert: callback ``(reason, summary) -> None`` that alerts staff and leaves the AI on
            (a medical question); None falls back to ``handoff``.
        state: the conversation's dialog state during the turn; each tool that succeeds
            writes its facts here (the engine loads it and stores it, :mod:`agent.dialog`).
    """

    db: Database
    clinic: ClinicFile
    terms: ClinicTerms
    emr: EMRClient
    deposits: DepositProvider
    conversation_id: int
    patient_phone: str
    now: dt.datetime
    handoff: Callable[[str, str], None]
    embedder: Embedder | None = None
    alert: Callable[[str, str], None] | None = None
    state: ConversationState = field(default_factory=ConversationState)

    def notify(self, reason: str, summary: str, *, pause: bool) -> None:
        """Alert staff; pause the AI too when ``pause`` (or when no ``alert`` is wired)."""
        if pause or self.alert is None:
            self.handoff(reason, summary)
        else:
            self.alert(reason, summary)


def hhmm(value: str | None) -> dt.time | None:
    """A local ``HH:MM`` argument as a time (None or empty: None)."""
    if not value:
        return None
    return dt.time.fromisoformat(value)


def service_terms(clinic: ClinicFile, service: ServiceInfo) -> ServiceTerms:
    """The booking package's view of ``service``."""
    return ServiceTerms(
        service_id=service.id,
        name=service.name,
        duration_minutes=service.duration_minutes,
        provider_ids=tuple(service.provider_ids),
        deposit_cents=clinic.deposit_cents(service),
        buffer_minutes=service.buffer_minutes,
    )


def offer_view(deps: AgentDeps, offer: SlotOffer) -> dict[str, Any]:
    provider = deps.clinic.provider(offer.provider_id)
    return {
        "option": offer.position,
        "when": format_when(offer.start_at, deps.terms.timezone),
        "start": offer.start_at.astimezone(deps.terms.zone).isoformat(),
        "provider_id": provider.id,
        "provider": provider.name,
    }


def wanted_filter(args: FindSlotsArgs) -> SlotFilter:
    """The :class:`~booking.terms.SlotFilter` of a slot search's arguments."""
    return SlotFilter(
        date_from=args.date_from,
        date_to=args.date_to,
        weekdays=frozenset(WEEKDAYS.index(d) for d in args.weekdays),
        after=hhmm(args.after),
        before=hhmm(args.before),
        provider_ids=(args.provider_id,) if args.provider_id else (),
    )
