"""The offline model's answers about what the clinic offers and who does it.

Called by :class:`agent.offline.policy.Policy` before its booking steps. Answers:

* a brand or treatment the clinic does not offer ("botox" where the clinic injects other
  neurotoxins, "coolsculpting", "laser tattoo removal"): said plainly, with the closest
  offered services and their prices (:func:`agent.nlu.services.unmet_terms`);
* a concern several services treat ("acne scars"): those services with prices;
* provider questions ("does she do lips too?", "which injector is in on the weekend?",
  "who does laser?", "is dr X in on friday?") from providers' hours, time off and the
  services' ``provider_ids``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from agent import copy_services as say_
from agent.dialog import Asked
from agent.models.base import ChatResponse
from agent.nlu.asked import unoffered_treatment
from agent.nlu.catalog import alternatives, category_of
from agent.nlu.intents import detect_intents
from agent.nlu.providers import ProviderQuestion, match_provider, provider_question
from agent.nlu.services import ServiceMatch, unmet_terms
from agent.nlu.vocabulary import category
from agent.nlu.when import TimePreference
from agent.offline.state import DialogState, asks
from agent.offline.steps import say
from knowledge.clinic_file import WEEKDAYS, ClinicFile, ProviderInfo, ServiceInfo

__all__ = ["services_step"]

_CONCERN = ("treats", "similar")
_ROLE_LABEL = {
    "injector": "injectors",
    "esthetician": "estheticians",
    "nurse": "nurses",
    "doctor": "doctors",
}


def services_step(
    clinic: ClinicFile,
    state: DialogState,
    text: str,
    matches: Sequence[ServiceMatch],
    when: TimePreference | None,
) -> ChatResponse | None:
    """The reply for a text about offerings or providers, or None to let booking go on.

    Args:
        clinic: the clinic's records.
        state: the dialog so far (``provider_id``, ``offers``).
        text: the patient's text.
        matches: :func:`agent.nlu.services.match_services` of ``text``.
        when: the text's day/time wish, if any.
    """
    ask = provider_question(text)
    if ask is not None:
        step = _provider_answer(clinic, state, ask, matches, when)
        if step is not None:
            return step
    unmet = unmet_terms(text, clinic.services)
    if unmet:
        first = unmet[0]
        named = [clinic.service(m.service_id) for m in matches if m.via in ("name", "brand")]
        reply = _unmet_answer(clinic, first.term.text, first.term.kind, first.category_id)
        return say(say_.also_offered(reply, named), asks(Asked.SERVICE))
    # "do u do teeth whitening", "how much is a brazilian butt lift": a named treatment no
    # service offers is said plainly, never priced as one that shares a word with it
    missing = unoffered_treatment(text, clinic.services, clinic.faqs)
    if missing is not None and match_provider(missing, clinic.providers) is None:
        menu = [s for s in clinic.services if s.bookable][:6]
        return say(say_.not_offered_menu(missing, "treatment", menu), asks(Asked.SERVICE))
    concern = [m for m in matches if m.via in _CONCERN]
    if len(concern) > 1 and len(concern) == len([m for m in matches if m.via not in ("area",)]):
        services = [clinic.service(m.service_id) for m in concern[:4]]
        return say(say_.for_concern(concern[0].matched, services), asks(Asked.SERVICE))
    if len(concern) == 1 and len(matches) == 1 and when is None:
        return _one_for_concern(clinic, text, concern[0])
    return None


def _one_for_concern(clinic: ClinicFile, text: str, match: ServiceMatch) -> ChatResponse | None:
    """ "what do u have for sun spots": the one service that treats the concern, priced, and
    an offer to look for openings (it becomes the conversation's service); None when the text
    already asks to book, so booking goes on with that service."""
    intents = detect_intents(text)
    if intents.wants_booking or intents.wants_cancel or intents.wants_reschedule:
        return None
    service = clinic.service(match.service_id)
    offer = asks(Asked.SEARCH)
    offer.service_id = service.id
    return say(say_.one_for_concern(match.matched, service), offer)


def _unmet_answer(clinic: ClinicFile, term: str, kind: str, category_id: str) -> str:
    alts, same = alternatives(category_id, clinic.services)
    if same and kind == "common":
        return say_.category_choice(category(category_id).label, alts)
    if kind == "concern":
        label = category(category_id).label
        return say_.for_concern(term, alts) if same else say_.no_treatment_for(term, label, alts)
    if alts:
        return say_.not_carried(term, kind, alts, same)
    menu = [s for s in clinic.services if s.bookable][:6]
    return say_.not_offered_menu(term, kind, menu)


def _days(when: TimePreference | None) -> list[tuple[int, dt.date | None]]:
    """The asked weekdays (0=Monday), each with its date when the wish names dates."""
    if when is None:
        return []
    if when.date_from and when.date_to and (when.date_to - when.date_from).days < 7:
        out: list[tuple[int, dt.date | None]] = []
        day = when.date_from
        while day <= when.date_to:
            if not when.weekdays or day.weekday() in when.weekdays:
                out.append((day.weekday(), day))
            day += dt.timedelta(days=1)
        return out
    return [(d, None) for d in sorted(when.weekdays)]


def _off(
    clinic: ClinicFile, provider: ProviderInfo, days: list[tuple[int, dt.date | None]]
) -> list[int]:
    """The asked weekdays whose date is the provider's time off or a day the clinic is
    closed all day."""
    closed = {c.date for c in clinic.clinic.closures if c.hours is None}
    return [
        d
        for d, date in days
        if date is not None
        and (date in closed or any(t.start <= date <= t.end for t in provider.time_off))
    ]


def _the_provider(clinic: ClinicFile, state: DialogState, ask: ProviderQuestion) -> str | None:
    """The provider the question is about: named in its own words ("is dr reyes in"), or the
    one named earlier for a pronoun ("does she do lips"); None when unclear."""
    if not ask.pronoun:
        return match_provider(ask.who, clinic.providers)
    if state.provider_id:
        return state.provider_id
    offered = {o.get("provider_id") for o in state.offers}
    return offered.pop() if len(offered) == 1 and None not in offered else None


def _provider_answer(
    clinic: ClinicFile,
    state: DialogState,
    ask: ProviderQuestion,
    matches: Sequence[ServiceMatch],
    when: TimePreference | None,
) -> ChatResponse | None:
    services = [
        clinic.service(m.service_id) for m in matches if m.via != "area" or len(matches) == 1
    ]
    days = _days(when)
    if ask.kind == "who":
        return _who(clinic, ask, services, days)
    pid = _the_provider(clinic, state, ask)
    if pid is None:
        return None
    provider = clinic.provider(pid)
    if ask.kind == "does" and services:
        service = services[0]
        others = [clinic.provider(p).name for p in service.provider_ids]
        if provider.id not in service.provider_ids:
            return say(say_.provider_does(provider, service, others))
        offer = asks(Asked.SEARCH)  # "want me to check openings with them?"
        offer.service_id, offer.provider_id = service.id, provider.id
        return say(say_.provider_does(provider, service, others), offer)
    if ask.kind == "in" or days:
        if not days:
            return say(say_.usual_days(provider))
        return say(
            say_.provider_hours(provider, [d for d, _ in days], _off(clinic, provider, days))
        )
    return None


def _who(
    clinic: ClinicFile,
    ask: ProviderQuestion,
    services: list[ServiceInfo],
    days: list[tuple[int, dt.date | None]],
) -> ChatResponse | None:
    if services:
        people = [clinic.provider(p) for p in services[0].provider_ids]
        what = f"providers for {services[0].name}"
    elif ask.role is not None:
        people = [p for p in clinic.providers if _has_role(clinic, p, ask.role)]
        what = _ROLE_LABEL[ask.role]
    elif days:
        people, what = list(clinic.providers), "providers"
    else:
        return None
    if not days:
        if services:
            offer = asks(Asked.SEARCH)  # "want me to check openings for you?"
            offer.service_id = services[0].id
            return say(say_.who_does(services[0], people), offer)
        return say(say_.role_days(what, people))
    working = []
    for p in people:
        off = _off(clinic, p, days)
        ds = [d for d, _ in days if p.hours.get(WEEKDAYS[d]) and d not in off]
        if ds:
            working.append((p, ds))
    return say(say_.who_is_in(working, what, sorted({d for d, _ in days})))


def _has_role(clinic: ClinicFile, provider: ProviderInfo, role: str) -> bool:
    """Does ``provider`` fill ``role``? Injectors give an injectable service; the others are
    read from the provider's title."""
    if role == "injector":
        return any(
            provider.id in s.provider_ids
            and (c := category_of(s)) is not None
            and category(c).injectable
            for s in clinic.services
        )
    title = f"{provider.title} {provider.name}".lower()
    keys = {
        "esthetician": ("esthetician", "aesthetician"),
        "nurse": ("rn", "np", "nurse", "lpn"),
        "doctor": ("md", "do", "dr.", "doctor"),
    }[role]
    words = set(title.replace(",", " ").split())
    return any(k in words or (k.endswith(".") and k in title) for k in keys)
