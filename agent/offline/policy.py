"""The offline model's main policy: questions, prices, hours, manners and new bookings.

Existing appointments ("when is my appt?", cancel, move) are decided by
:class:`agent.offline.changes.ChangePolicy` first; safety triage (emergencies, medical
questions) happens before any model, in :mod:`agent.guardrails.triage`. Every reply comes
from :mod:`agent.copy` and states only what the clinic records or a tool returned.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from agent import copy, copy_times
from agent.dialog import Asked
from agent.guardrails.triage import Label, quote, triage
from agent.guardrails.triage.cosmetic import cosmetic_request
from agent.models.base import ChatResponse
from agent.nlu.arrival import is_arrival
from agent.nlu.intents import Intents, detect_intents, puts_off, without_conditions, yes_no
from agent.nlu.picks import Option, parse_pick
from agent.nlu.providers import match_provider
from agent.nlu.services import ServiceMatch, match_services
from agent.nlu.when import TimePreference, parse_when
from agent.offline import times
from agent.offline.arrivals import arrival_step
from agent.offline.changes import ChangePolicy
from agent.offline.clinic_policies import AGE, answer_policy, ask_policy, policy_topic
from agent.offline.closed_days import away_note, closure_note
from agent.offline.dated_hours import dated_hours
from agent.offline.facets import asks_records
from agent.offline.parser import ToolResult, option
from agent.offline.records import (
    about_clinic,
    answerable,
    covering_first,
    knowledge_reply,
    unknown_words,
)
from agent.offline.services import services_step
from agent.offline.state import DialogState, asks
from agent.offline.steps import call, refine, say, slot_args
from knowledge.clinic_file import ClinicFile, ServiceInfo

#: Two service matches closer than this are treated as "the patient could mean either".
AMBIGUITY_MARGIN = 0.08


@dataclass(frozen=True)
class _Reading:
    """What one patient text says, read once."""

    text: str
    intents: Intents
    answer: bool | None
    matches: list[ServiceMatch]
    when: TimePreference | None
    named_provider: str | None


class Policy:
    """Decisions for one call of the offline model.

    Args:
        clinic: the clinic's records.
        now_local: the turn's instant in the clinic's zone.
        state: where the booking conversation stands.
        changes: the policy for the patient's existing appointments.
    """

    def __init__(
        self,
        clinic: ClinicFile,
        now_local: dt.datetime,
        state: DialogState,
        changes: ChangePolicy,
    ) -> None:
        self.clinic = clinic
        self.now_local = now_local
        self.state = state
        self.changes = changes

    # --- a new patient text ---------------------------------------------------------------
    def on_text(self, text: str, *, check_changes: bool = True) -> ChatResponse:
        """The next step for a new patient text.

        Args:
            text: the patient's text.
            check_changes: False when the text was already found not to be about an
                existing appointment.
        """
        intents = detect_intents(text)
        if not text.strip():
            return say(copy.empty(self.clinic.clinic.name))
        if intents.wants_human:
            return call(
                "handoff_to_staff",
                reason="patient_request",
                summary="Patient asked to speak with a person.",
            )
        if is_arrival(text):  # "stuck in traffic be there in 10": staff told, AI stays on
            return arrival_step(text, [], self.now_local.date())
        step = self._policy_question(text, intents)
        if step is not None:  # age, late, cancellation, deposit: from the records only
            return step
        medical = triage(text).label == Label.MEDICAL and not cosmetic_request(text, self.clinic)
        if medical and not intents.wants_booking:
            # pregnancy, medications, numbing...: the clinic's written policy if it has one,
            # else staff (a symptom never gets here: the triage guardrail took it)
            return call("search_knowledge", query=text)
        if intents.defers and not intents.is_question and not self._picks_by_number(text):
            # "let me check with my husband", "gotta check my schedule first": not now, and
            # that is fine; a word like "first" there orders the patient's own plans
            return say(copy.NO_RUSH)
        answer = yes_no(text)
        if check_changes:
            step = self.changes.on_text(text, intents, answer)
            if step is not None:
                return step
        reading = _Reading(
            text=text,
            intents=intents,
            answer=answer,
            matches=match_services(text, self.clinic.services),
            when=times.wish(text, self.now_local, self._options()),
            named_provider=match_provider(text, self.clinic.providers),
        )
        return (
            self._offerings(reading)
            or self._pick_or_clarify(reading)
            or self._book(reading)
            or self._converse(reading)
        )

    def _offerings(self, r: _Reading) -> ChatResponse | None:
        """What the clinic offers and who does it (:mod:`agent.offline.services`); not while
        the text picks one of the standing offers."""
        if self.state.offers and parse_pick(r.text, self._options()) is not None:
            return None
        return services_step(self.clinic, self.state, r.text, r.matches, r.when)

    def _policy_question(self, text: str, intents: Intents) -> ChatResponse | None:
        """A question about a policy (age, late arrival, cancellation, deposit), answered
        from the records; None for other texts. An age question ("im 17 can i get the
        glass facial") or a text naming a policy comes before any booking; the others only when
        nothing is being booked or changed (cancelling answers its own fee)."""
        topic = policy_topic(text)
        names_policy = bool(re.search(r"\bpolic(?:y|ies)\b", text.lower()))
        if topic is None or not (intents.is_question or names_policy or topic is AGE):
            return None
        busy = intents.wants_booking or intents.wants_cancel or intents.wants_reschedule
        if topic is not AGE and not names_policy and (busy or self.state.offers):
            return None
        matches = match_services(text, self.clinic.services)
        service_id = matches[0].service_id if matches else self.state.service_id
        return ask_policy(
            self.clinic, text, self.clinic.service(service_id) if service_id else None
        )

    def _picks_by_number(self, text: str) -> bool:
        """True when ``text`` picks a standing offer by its number ("2 works, let me check
        with my husband on the rest"): a deferral with a digit pick still picks."""
        return bool(re.search(r"\d", text)) and parse_pick(text, self._options()) is not None

    def _options(self) -> list[Option]:
        """The standing offers as pick options (empty when none)."""
        return [option(o) for o in self.state.offers]

    def _pick_or_clarify(self, r: _Reading) -> ChatResponse | None:
        """A pick of an offered slot, "which service?", a price, hours, an off-topic day."""
        state, clinic, intents = self.state, self.clinic, r.intents
        if state.offers and not r.matches:
            options = [option(o) for o in state.offers]
            pick = parse_pick(r.text, options)
            if pick is None and r.answer is True and len(options) == 1:
                pick = options[0].position
            if pick is not None:
                return call("hold_slot", option=pick)
        if len(r.matches) > 1 and r.matches[0].score - r.matches[1].score < AMBIGUITY_MARGIN:
            return say(copy.which_of([clinic.service(m.service_id).name for m in r.matches[:4]]))
        service = self._service(r)
        if (
            service is not None
            and intents.asks_price
            and r.when is None
            and not intents.wants_booking
        ):
            return say(copy.price(service, clinic.deposit_cents(service)), asks(Asked.SEARCH))
        in_booking = bool(state.offers or state.asked_service or state.offered_search)
        if service is None and not intents.wants_booking:
            # "open christmas eve?", "are you open on the 24th?": that date's hours, closures
            # included (during an offer a bare date is a booking wish, a holiday is not)
            when = None if in_booking else r.when
            dated = dated_hours(clinic, r.text, when, self.now_local.date())
            if dated is not None:
                return say(dated)
        if service is None and not intents.wants_booking and not in_booking:
            if intents.asks_hours:
                return say(copy.hours(clinic, _days_of(r.when)))
            if r.when is not None and intents.is_question and unknown_words(clinic, r.text):
                # "whats the weather tmrw": a day, but about something other than a visit
                return call("search_knowledge", query=r.text)
        return None

    def _book(self, r: _Reading) -> ChatResponse | None:
        """A slot search when the patient wants openings (or the question which service)."""
        state, service = self.state, self._service(r)
        provider_id = r.named_provider or state.provider_id
        known = service or (self.clinic.service(state.service_id) if state.service_id else None)
        # A price or specials question that mentions "now" or a day asks about money, not a
        # visit ("ok cool, any specials right now?"): a question is not a commitment.
        asks_money_only = r.intents.asks_price and not r.intents.wants_booking and service is None
        # "actually make it a hydrafacial": a correction replaces the service and keeps the
        # patient's day and time wish
        corrects = (
            service is not None
            and service.id != state.service_id
            and bool(state.offers or state.preference)
            and bool(_CORRECTION.search(r.text.lower()))
        )
        # A refusal beats anything that reads like a wish in the same text ("no thanks, I'll
        # text when I know my schedule", "not right now"): only a day or time the patient
        # names, or a changed service, still asks for openings ("no, how about thursday").
        # "later" read against the offers is no wish when it only puts the offer off
        # ("ok maybe later"); "no, anything later?" asks and still searches.
        named = r.when is not None and (
            r.intents.is_question or parse_when(r.text, self.now_local) is not None
        )
        declined = r.answer is False and not named
        wants_slots = corrects or (
            not declined
            and (
                (r.when is not None and not asks_money_only)
                or r.intents.wants_booking
                or (r.answer is True and (state.offered_search or bool(state.offers)))
                or (state.asked_service and service is not None)
                or (provider_id is not None and known is not None and bool(state.offers))
                or (r.named_provider is not None and service is not None)
            )
        )
        if not wants_slots:
            return None
        if known is None:
            return say(copy.ask_service(self.clinic), asks(Asked.SERVICE))
        same_service = service is None or service.id == state.service_id or corrects
        preference = refine(r.when, state.preference if same_service else None) or (
            state.preference if service is None or state.asked_service or corrects else None
        )
        if corrects and provider_id not in known.provider_ids:
            provider_id = None  # the earlier provider may not do the new service
        args = slot_args(known, preference, provider_id)
        # "do you have 11:15 thursday?" after a list: that exact start, held if free
        return call("find_slots", **(times.exact_args(r.text, args, self._options()) or args))

    def _converse(self, r: _Reading) -> ChatResponse:
        """Everything that is not a booking step: service info, hours, menu, manners."""
        intents, clinic, service = r.intents, self.clinic, self._service(r)
        if r.answer is False and (
            (self.state.offered_search and not self.state.offers) or puts_off(r.text)
        ):
            return say(copy.NO_RUSH)  # "not right now thanks" to "want me to check openings?"
        if service is not None:
            if intents.is_question and asks_records(clinic, r.text, service):
                return call("search_knowledge", query=r.text)  # "does resurfacing hurt"
            return say(copy.service_info(service), asks(Asked.SEARCH))
        if self.state.offers and r.answer is False:
            return say(copy.OTHER_TIMES)
        if intents.asks_hours:
            return say(copy.hours(clinic))
        if intents.asks_services:
            return say(copy.menu(clinic), asks(Asked.SEARCH))
        if intents.greeting and not intents.is_question:
            return say(copy.greeting(clinic.clinic.name))
        if intents.thanks and not intents.is_question:
            return say(copy.THANKS)
        if intents.asks_location and _only_where(r.text) and clinic.clinic.address:
            return say(copy.location(clinic))
        if intents.asks_location or intents.is_question or len(r.text.split()) >= 3:
            # the question without its scene ("if i book an appt, is there parking")
            return call("search_knowledge", query=without_conditions(r.text))
        return say(copy.FALLBACK_UNDERSTOOD)

    def _service(self, r: _Reading) -> ServiceInfo | None:
        return self.clinic.service(r.matches[0].service_id) if r.matches else None

    # --- after tool results -------------------------------------------------------------------
    def after_tools(self, text: str, results: list[ToolResult]) -> ChatResponse:
        """The next step after this turn's tool ``results`` (oldest first) for ``text``."""
        name, args, result = results[-1]
        if "error" in result:
            return say(copy.tool_error(str(result["error"])))
        if is_arrival(text):
            return arrival_step(text, results, self.now_local.date())
        step = answer_policy(self.clinic, text, results)
        if step is not None:
            return step
        step = self.changes.after_tools(text, results)
        if step is not None:
            return step
        if name == "my_appointments":  # a loose wish ("another day") and nothing to change
            return self.on_text(text, check_changes=False)
        if name == "find_slots":
            if times.is_probe(args):
                if times.found(result):
                    return call("hold_slot", option=result["slots"][0]["option"])
                return call("find_slots", **times.nearby_args(args))
            missed = times.missed_probe(results)
            if missed is not None:
                return say(copy_times.unavailable(missed, result))
            asks_price = detect_intents(text).asks_price
            reply = copy.slots(result, args, self.clinic, with_price=asks_price)
            note = closure_note(self.clinic, args)  # "We're closed Fri Jan 1 (New Year's Day)."
            note = f"{away_note(result)} {note}".strip()  # "Alex is off Mon Dec 7 to ..."
            return say(f"{note} {reply}" if note else reply)
        if name == "hold_slot":
            return call("send_deposit_link") if result.get("held") else say(copy.taken(result))
        if name == "send_deposit_link":
            return say(copy.deposit(result, self.clinic.clinic.name))
        if name == "search_knowledge":
            return self._answer(text, result)
        if name == "handoff_to_staff":
            reason = args.get("reason", "other")
            if reason == "medical":
                return say(copy.medical(triage(text).topic, self.clinic, self.now_local))
            return say(copy.handoff(reason))
        return say(copy.FALLBACK_UNDERSTOOD)

    def _answer(self, text: str, result: dict[str, Any]) -> ChatResponse:
        """Answer from a ``search_knowledge`` result, or hand a health question to staff."""
        intents = detect_intents(text)
        result = covering_first(self.clinic, result, text)
        can_answer = answerable(self.clinic, result, text)
        if triage(text).label == Label.MEDICAL and not can_answer:
            return call(
                "handoff_to_staff",
                reason="medical",
                summary="A health question the clinic's records do not cover. The patient "
                f'wrote: "{quote(text)}"',
            )
        if not can_answer and intents.asks_location and self.clinic.clinic.address:
            # "which door do i use": the records do not say more than where the clinic is
            return say(copy.location(self.clinic))
        if not can_answer and not intents.is_question:
            return say(copy.FALLBACK_UNDERSTOOD)
        if not can_answer and not about_clinic(self.clinic, text):
            # the weather, the news: nothing for the team to check, so no promise to
            return say(copy.off_topic(self.clinic.clinic.name))
        return say(knowledge_reply(self.clinic, result, text))


_CORRECTION = re.compile(
    r"\b(?:actually|instead|make it|change (?:it |that )?to|switch (?:it |that )?to|rather|"
    r"scratch that|i meant|on second thought|wait no)\b"
)
_WHERE = re.compile(
    r"\b(?:where (?:are|r|is) (?:you|u|yall|the (?:office|clinic|spa))(?: located| at)?|"
    r"wheres (?:the|your|ur) (?:office|clinic|spa|place)|(?:what is|whats) (?:the|your|ur) "
    r"address|address|addy|addr|location|located)\b"
)


def _only_where(text: str) -> bool:
    """The text asks where the clinic is, and nothing narrower (parking, which floor)."""
    lowered = text.lower()
    return bool(_WHERE.search(lowered)) and not re.search(
        r"\b(?:park|parking|floor|suite|building|entrance|elevator|bus|train|garage)\b", lowered
    )


def _days_of(when: TimePreference | None) -> set[int] | None:
    """The weekdays a wish names ("sundays", "tomorrow"), or None."""
    if when is None:
        return None
    if when.weekdays:
        return set(when.weekdays)
    if when.date_from and when.date_from == when.date_to:
        return {when.date_from.weekday()}
    return None
