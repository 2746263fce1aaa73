"""Every sentence about what the clinic offers and who does it (issue 12, item 3).

Kept beside :mod:`agent.copy` (at its size limit) and written the same way: names, prices
and hours come from the clinic's records, never from here. Replies that list services ask
which one to book; :mod:`agent.offline.services` records that question in the stored dialog
state (never in this wording), so the patient's next text naming one of them searches
openings for it with any day already asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.copy import WEEKDAYS_FULL, clock
from knowledge.clinic_file import WEEKDAYS, Interval, ProviderInfo, ServiceInfo

_ASK = "Which service would you like to book?"
_OFFER = "Want me to check openings"


def _listed(items: Sequence[str]) -> str:
    """``["a"]`` -> ``"a"``; ``["a", "b", "c"]`` -> ``"a, b and c"``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _priced(services: Sequence[ServiceInfo]) -> str:
    """Services by name with the clinic's own price wording: ``"A ($1), B ($2)"``."""
    return _listed([f"{s.name} ({s.price})" if s.price else s.name for s in services])


def not_carried(term: str, kind: str, alternatives: Sequence[ServiceInfo], same: bool) -> str:
    """A brand or treatment the clinic does not offer, said plainly, with the closest
    offered services (``same``: of the same kind) and their prices.

    Args:
        term: the name as the vocabulary shows it ("Botox", "laser tattoo removal").
        kind: the term's kind (``"brand"`` is *carried*, anything else *offered*).
        alternatives: the closest offered services, closest first (may be empty).
        same: True when the alternatives are of the same kind as the term.
    """
    verb = "carry" if kind == "brand" else "offer"
    if not alternatives:
        return f"Sorry, we don't {verb} {term}."
    if same:
        return f"We don't {verb} {term}, but we offer {_priced(alternatives)}. {_ASK}"
    return f"Sorry, we don't {verb} {term}. The closest we offer: {_priced(alternatives)}. {_ASK}"


def not_offered_menu(term: str, kind: str, menu: Sequence[ServiceInfo]) -> str:
    """A treatment the clinic does not offer and nothing close to it: say so, name the menu."""
    verb = "carry" if kind == "brand" else "offer"
    names = _listed([s.name for s in menu])
    return f"Sorry, we don't {verb} {term}. We offer {names}. {_ASK}"


def category_choice(label: str, services: Sequence[ServiceInfo]) -> str:
    """The clinic's services of one kind ("wrinkle relaxers") with prices, asking which."""
    return f"For {label} we offer {_priced(services)}. {_ASK}"


def for_concern(concern: str, services: Sequence[ServiceInfo]) -> str:
    """The services the clinic lists for a concern ("acne scars"), with prices."""
    return f"For {concern} we offer {_priced(services)}. {_ASK}"


def one_for_concern(concern: str, service: ServiceInfo) -> str:
    """The one service the clinic lists for a concern, priced, with an offer to search."""
    return f"For {concern} we offer {_priced([service])}. {_OFFER} for you?"


def no_treatment_for(concern: str, label: str, alternatives: Sequence[ServiceInfo]) -> str:
    """No service of the clinic treats ``concern`` (of the kind ``label``: "tattoo
    removal"); the closest ones, if any."""
    if not alternatives:
        return f"Sorry, we don't offer {label}."
    return (
        f"We don't have a treatment made for {concern}; the closest we offer: "
        f"{_priced(alternatives)}. {_ASK}"
    )


def also_offered(reply: str, services: Sequence[ServiceInfo]) -> str:
    """``reply`` about what the clinic lacks, plus the services the patient also named that
    the clinic does offer ("botox and lip filler")."""
    if not services:
        return reply
    also = f"We do offer {_priced(services)}."
    if reply.endswith(_ASK):
        return f"{reply[: -len(_ASK)]}{also} {_ASK}"
    return f"{reply} {also}"


def provider_does(provider: ProviderInfo, service: ServiceInfo, others: list[str]) -> str:
    """Whether ``provider`` does ``service``; ``others`` are the names of those who do."""
    if others and provider.name not in others:
        return f"{provider.name} doesn't do {service.name}; that's with {_listed(others)}."
    return f"Yes, {provider.name} does {service.name}. {_OFFER} with them?"


def _spans(intervals: Sequence[Interval]) -> str:
    return _listed([f"{clock(a)}-{clock(b)}" for a, b in intervals])


def working_days(provider: ProviderInfo) -> str:
    """``"Monday, Wednesday and Friday"`` from the provider's weekly hours."""
    days = [WEEKDAYS_FULL[i] for i, d in enumerate(WEEKDAYS) if provider.hours.get(d)]
    return _listed(days) if days else "no regular days"


def usual_days(provider: ProviderInfo) -> str:
    """When ``provider`` usually works ("Bo Chen usually works Monday and Friday.")."""
    return f"{provider.name} usually works {working_days(provider)}."


def provider_hours(provider: ProviderInfo, days: Sequence[int], off: Sequence[int]) -> str:
    """Whether ``provider`` is in on the weekdays ``days`` (0=Monday), and when.

    ``off`` lists the asked days on which the provider has time off.
    """
    parts, missing = [], []
    for d in days:
        spans = provider.hours.get(WEEKDAYS[d]) or []
        if spans and d not in off:
            parts.append(f"{WEEKDAYS_FULL[d]} {_spans(spans)}")
        else:
            missing.append(WEEKDAYS_FULL[d])
    if parts and not missing:
        return f"Yes, {provider.name} is in {_listed(parts)}."
    if parts:
        return f"{provider.name} is in {_listed(parts)}, not {_listed(missing)}."
    away = " (a day off)" if off else ""
    return (
        f"{provider.name} isn't in on {_listed(missing)}{away}; "
        f"{provider.name} usually works {working_days(provider)}."
    )


def who_is_in(
    people: Sequence[tuple[ProviderInfo, list[int]]], what: str, days: Sequence[int]
) -> str:
    """Who (of ``what``: "injectors", "providers for Botox") is in on ``days``, with hours.

    ``people`` pairs each provider with the asked weekdays they work.
    """
    if not people:
        return f"None of our {what} are in on {_listed([WEEKDAYS_FULL[d] for d in days])}."
    lines = [
        f"{p.name}: {_listed([f'{WEEKDAYS_FULL[d]} {_spans(p.hours[WEEKDAYS[d]])}' for d in ds])}"
        for p, ds in people
    ]
    return f"Our {what} in then: " + "; ".join(lines) + "."


def who_does(service: ServiceInfo, people: Sequence[ProviderInfo]) -> str:
    """Who does ``service``, with their usual days."""
    lines = [f"{p.name} ({working_days(p)})" for p in people]
    return f"{service.name} is with {_listed(lines)}. {_OFFER} for you?"


def role_days(what: str, people: Sequence[ProviderInfo]) -> str:
    """Our ``what`` ("injectors") and their usual days."""
    lines = [f"{p.name} ({working_days(p)})" for p in people]
    return f"Our {what}: {_listed(lines)}."
