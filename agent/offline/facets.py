"""Several things asked about one service in one text: "how much and how long is a glass
facial", "whats the downtime and the cost" (of the service talked about before).

The price and the duration of a service are in its record, so they are answered together
from it (:func:`agent.copy.service_info` states both); anything else asked in the same breath
("the downtime", "does it hurt") is asked of the clinic's records with the service named, so
"whats the downtime" finds the passage about that service. :func:`facet_questions` rewrites
such a text into the questions the offline policy answers one by one
(:func:`agent.offline.questions.answer_each`).
"""

from __future__ import annotations

import re

from agent.nlu.intents import detect_intents
from agent.nlu.services import match_services
from agent.nlu.text import normalize
from agent.offline.records import GENERAL_STEMS
from knowledge.clinic_file import ClinicFile, ServiceInfo
from knowledge.lexical import content_stems

__all__ = ["asks_records", "carry_service", "facet_questions"]

_PRICE = re.compile(
    r"\b(?:how much|hw much|how mch)\b(?! (?:time|longer|notice|downtime|does it hurt|pain))|"
    r"\b(?:price|prices|pricing|priced|cost|costs|charge|what do (?:you|u) charge)\b|\$"
)
_DURATION = re.compile(
    r"\bhow long (?:is|are|does|will|would|should)(?: (?:it|they|the|a|an|my|\w+))*? "
    r"(?:take|takes|taking|last(?:s)? for the (?:appt|appointment|visit))\b|"
    r"\bhow long (?:is|are) (?:it|a|an|the|my)\b|\bhow long (?:is|are) (?!\w+ (?:open|there))\w+"
    r"(?: \w+)?$|\bhow many (?:min|mins|minutes|hours|hrs)\b|\b(?:duration|length of)\b|"
    r"\b(?:takes?|take) how long\b|"
    # "how much for underarm laser and how long": a bare "how long" ends the text
    r"\bhow long\s*$"
)
#: A "how long" that is about something else than the visit's length.
_NOT_DURATION = re.compile(
    r"\b(?:last|lasts|lasting|heal|healing|results?|wait|waiting|until|after|before|open|"
    r"notice|kick in|see)\b"
)
#: Money topics of their own, priced in the records apart from the treatment ("how much is
#: the deposit", "the membership price"): not the service's price.
_OTHER_MONEY = re.compile(
    r"\b(?:deposit|fee|fees|membership|member|gift|package|packages|financing|payment|payments|"
    r"insurance|hsa|fsa|discount|discounts|special|specials|deal|deals|promo|tip|tipping)\b"
)
#: Joining words and question openers left once the asked facets are taken out.
_FILLER = re.compile(
    r"\b(?:and|n|also|plus|or|the|a|an|is|are|it|its|that|this|for|of|to|do|does|you|u|ur|"
    r"your|whats|what|how|much|long|take|takes|about|roughly|approx|approximately|typically|"
    r"usually|session|appt|apt|appointment|visit|one|hey+|hi+|hello+|ok|so|um|pls|please|thanks|thx)\b"
)


_CLAUSE = re.compile(r"[,.;:!?\n]+")


def _has_facet(text: str) -> bool:
    """True when ``text`` asks a price or how long the visit takes."""
    lowered = normalize(text).replace("'", "")
    return bool(_PRICE.search(lowered)) or _asks_duration(lowered)


def _asks_duration(lowered: str) -> bool:
    """True when a normalized text asks how long the visit takes ("how long is a glass
    facial", "how long does it take"), not how long results last or a wait is."""
    return bool(_DURATION.search(lowered)) and not _NOT_DURATION.search(lowered)


def _service_words(service: ServiceInfo) -> set[str]:
    names = " ".join([service.name, service.id.replace("-", " "), *service.aliases])
    return set(content_stems(normalize(names)))


def _remainder(text: str, service: ServiceInfo) -> str:
    """``text`` without the price and duration asks, the service's own words and fillers;
    "" when nothing else is asked."""
    lowered = normalize(text).replace("'", "")
    rest = _PRICE.sub(" ", _DURATION.sub(" ", lowered) if _asks_duration(lowered) else lowered)
    rest = _FILLER.sub(" ", rest)
    own = _service_words(service)
    kept = [w for w in rest.split() if not (set(content_stems(w)) and set(content_stems(w)) <= own)]
    return " ".join(w for w in kept if any(c.isalpha() for c in w))


def _topic(clinic: ClinicFile, text: str, service_id: str | None) -> ServiceInfo | None:
    """The one service ``text`` names, else the one talked about before (``service_id``)."""
    matches = match_services(text, clinic.services)
    if matches:
        named = {m.service_id for m in matches[:2] if matches[0].score - m.score < 0.08}
        return clinic.service(matches[0].service_id) if len(named) == 1 else None
    return clinic.service(service_id) if service_id else None


def facet_questions(
    clinic: ClinicFile, text: str, parts: list[str], service_id: str | None
) -> list[str]:
    """The questions to answer for ``text`` (split into ``parts``) when it asks a service's
    price or duration with more; else ``parts`` unchanged.

    Args:
        clinic: the clinic's records.
        text: the patient's whole text.
        parts: ``text`` split into questions (:func:`agent.offline.questions.split_questions`).
        service_id: the service talked about before this text, if any.

    Returns:
        e.g. ``["how long is Glass Facial"]`` for "how much and how long is a glass facial"
        (the service's record answers both), or ``["how much is Resurfacing", "downtime for
        Resurfacing?"]`` for "whats the downtime and the cost" after resurfacing was discussed.
    """
    lowered = normalize(text).replace("'", "")
    price, duration = bool(_PRICE.search(lowered)), _asks_duration(lowered)
    intents = detect_intents(text)
    if not (price or duration) or _OTHER_MONEY.search(lowered):
        return parts
    if intents.wants_booking or intents.wants_cancel or intents.wants_reschedule:
        return parts
    service = _topic(clinic, text, service_id)
    if service is None:
        return parts
    named = bool(match_services(text, clinic.services))
    asked = [f"how long is {service.name}" if duration else f"how much is {service.name}"]
    for part in parts:
        clauses = [c for c in _CLAUSE.split(part) if c.strip()]
        asking = [c for c in clauses if _has_facet(c)]
        if not asking:
            if _remainder(part, service):
                asked.append(part)  # a question of its own ("are you open saturdays")
            continue
        # only the clause that asks the price says what else is asked with it ("whats the
        # downtime and the cost"); chatter beside it ("lol i saw my last bill,") asks nothing
        rest = " ".join(_remainder(c, service) for c in asking).strip()
        if rest and _beyond_record(service, rest):
            asked.append(f"{rest} for {service.name}?")  # "whats the downtime" of that service
        # else the leftover details the price ("for my jawline"): its answer covers them
    if len(asked) == 1 and named and not duration:
        return parts  # a plain price question, answered as before
    return asked


def asks_records(clinic: ClinicFile, text: str, service: ServiceInfo) -> bool:
    """True when ``text``, about ``service``, asks something its record does not hold
    ("does resurfacing hurt", "downtime for resurfacing"): the clinic's documents may answer
    it, the service's description does not. (The documents themselves are not at hand here:
    they live in the knowledge index, searched by ``search_knowledge``.)"""
    return _beyond_record(service, _remainder(text, service))


def _beyond_record(service: ServiceInfo, rest: str) -> bool:
    """True when ``rest`` has a topic word the service's record does not use ("downtime",
    "hurt"): the clinic's documents may answer it; a word of the record details the price
    ("jawline" in "most jawlines 2-3 syringes")."""
    own = f"{service.name} {' '.join(service.aliases)} {service.description} {service.price}"
    return bool(set(content_stems(rest)) - GENERAL_STEMS - set(content_stems(own)))


_PRONOUN = re.compile(r"\b(?:it|that|one|them|this)\b")
_PRONOUN_STRICT = re.compile(r"\b(?:it|that|them|this)\b")


def _about_current(part: str, service: ServiceInfo) -> str:
    """A question with a pronoun and no service of its own ("is it cheaper if i buy 6"),
    about the conversation's service; anything else (a pick, a booking, a change) as it is."""
    intents = detect_intents(part)
    lowered = normalize(part)
    if not intents.is_question or not _PRONOUN_STRICT.search(lowered):
        return part
    if intents.wants_booking or intents.wants_cancel or intents.wants_reschedule:
        return part
    return _PRONOUN_STRICT.sub(service.name, lowered, count=1)


def carry_service(clinic: ClinicFile, parts: list[str], current: str | None = None) -> list[str]:
    """``parts`` with the service an earlier part names carried into a later one that
    refers to it ("how much is a peel" + "can i get it saturday" -> "can i get Chemical Peel
    saturday"), as a later text of the same conversation would; a part that names its own
    service, or asks nothing of one ("where do i park"), is kept as it is.

    Args:
        clinic: the clinic's records.
        parts: the questions of one text, in order (:func:`facet_questions`).
        current: the service the conversation is about (the dialog state's), which a
            pronoun in a question refers to before any part names one ("is it cheaper if i
            buy 6 sessions" after laser hair openings were shown).

    Returns:
        A list as long as ``parts``.
    """
    named: ServiceInfo | None = None
    out: list[str] = []
    for part in parts:
        service = _topic(clinic, part, None) if match_services(part, clinic.services) else None
        if service is not None:
            named = service
        elif named is None and current:
            part = _about_current(part, clinic.service(current))
        elif named is not None:
            lowered = normalize(part)
            if _PRONOUN.search(lowered):
                part = _PRONOUN.sub(named.name, lowered, count=1)
            elif detect_intents(part).wants_booking or _has_facet(part):
                part = f"{part} for {named.name}"  # "... how much": the price of that one
        out.append(part)
    return out
