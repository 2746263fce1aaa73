"""Policy questions answered from the clinic's records, never invented: minimum age, late
arrival, cancellation, deposits (DESIGN.md §2: "I'll check with the team" is a real alert).

A service's own record answers first (its ``min_age``, its deposit); otherwise the clinic's
documents and FAQs are searched for the topic and only their sentences on that topic are
quoted. When the records are silent the patient is told so and the question goes to staff:
the reply's promise to check with the team is kept by :func:`agent.engine._keep_promise`
(an alert that leaves the assistant on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent import copy_questions
from agent.models.base import ChatResponse
from agent.nlu.text import normalize
from agent.offline.parser import ToolResult
from agent.offline.steps import call, say
from booking.ports import format_money
from knowledge.clinic_file import ClinicFile, ServiceInfo

__all__ = ["PolicyTopic", "answer_policy", "ask_policy", "policy_topic"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
#: The age of majority: below it the documents' words on minors (consent) apply.
ADULT = 18


@dataclass(frozen=True)
class PolicyTopic:
    """One policy a patient may ask about.

    Attributes:
        name: what the records are silent about, in a sentence ("arriving late").
        asks: matches a text (normalized, apostrophes dropped) that asks about it.
        query: the ``search_knowledge`` query for the clinic's words on it.
        says: matches a sentence of the records that speaks of it.
    """

    name: str
    asks: re.Pattern[str]
    query: str
    says: re.Pattern[str]


AGE = PolicyTopic(
    "age limits",
    re.compile(
        r"\bhow old\b|\bage (?:limit|limits|requirement|minimum|restriction)s?\b|\bminimum age\b|"
        r"\bold enough\b|\b(?:minor|minors|teen|teens|teenager|underage|under 18)\b|"
        r"\b(?:im|i am|shes|she is|hes|he is|theyre|turning|just turned|(?:daughter|son|kid|"
        r"child|niece|nephew|sister|brother) is) (?:1[0-9]|[5-9])\b"
        r"(?! ?(?:am|pm|units?|min|mins|minutes|hours|syringes?|vials?|sessions?|dollars|bucks))|"
        r"\b(?:1[0-9]|[5-9]) ?(?:yo|y/o|yrs? old|years? old)\b|"
        # who must come along or sign for a minor ("do i need my mom there")
        r"\b(?:need|have to|bring|come with|sign|consent)\b[^.?!]{0,20}\b(?:my )?(?:mom|mother|"
        r"dad|father|parent|parents|guardian)\b|\bparental consent\b"
    ),
    "how old minimum age teens parent",
    re.compile(r"\b(?:age|old|older|younger|minor|minors|teens?|under \d+|\d+ or older|\d+\+)\b"),
)
LATE = PolicyTopic(
    "arriving late",
    re.compile(
        r"(?<!how )\b(?:late|lateness|tardy|grace period)\b(?! (?:are|r|do|does|is) (?:you|u|yall))"
    ),
    "running late arrival policy",
    re.compile(r"\b(?:late|lateness|tardy|grace period)\b", re.I),
)
CANCELLATION = PolicyTopic(
    "cancellations",
    re.compile(
        r"\bcancel\w* (?:policy|fee|fees|charge)\b|\bno[ -]?shows?\b|"
        r"\b(?:policy|fee) (?:for|on|if i) cancel\w*\b|\breschedul\w* policy\b"
    ),
    "cancellation policy notice refund",
    re.compile(r"\b(?:cancel\w*|notice|refund\w*|forfeit\w*|no-shows?|reschedul\w*)\b", re.I),
)
DEPOSIT = PolicyTopic(
    "deposits",
    # what a deposit is or costs, not where one stands ("did my deposit go through")
    re.compile(
        r"\b(?:how much|what|whats|is there|are there|any|need|needed|require|required|have to|"
        r"pay|put down|take)\b[^.?!]{0,30}\bdeposits?\b|"
        r"\bdeposits? (?:policy|amount|required|needed|for)\b"
    ),
    "deposit policy",
    re.compile(r"\bdeposits?\b", re.I),
)
#: Checked in this order; the first topic a text asks about is answered.
TOPICS = (AGE, LATE, CANCELLATION, DEPOSIT)


def policy_topic(text: str) -> PolicyTopic | None:
    """The policy ``text`` asks about, or None."""
    lowered = normalize(text).replace("'", "")
    return next((t for t in TOPICS if t.asks.search(lowered)), None)


def ask_policy(clinic: ClinicFile, text: str, service: ServiceInfo | None) -> ChatResponse | None:
    """The first step for a policy question: the service record's answer (its minimum age,
    its deposit) or a search of the clinic's records for the topic; None when ``text`` asks
    no policy.

    Args:
        clinic: the clinic's records.
        text: the patient's text.
        service: the service the text (or the conversation) is about, if any.
    """
    topic = policy_topic(text)
    if topic is None:
        return None
    if topic is DEPOSIT and service is not None and not CANCELLATION.says.search(text):
        cents = clinic.deposit_cents(service)
        return say(copy_questions.deposit(service.name, format_money(cents) if cents else None))
    query = f"{topic.query} {service.name}" if service is not None else topic.query
    return call("search_knowledge", query=query)


def answer_policy(clinic: ClinicFile, text: str, results: list[ToolResult]) -> ChatResponse | None:
    """The reply once the records were searched for the policy ``text`` asks about: their
    sentences on it, or that they are silent (and the team will check); None when ``text``
    asks no policy or the last tool was not that search. An age question about a service
    with a ``min_age`` states that age first, then what the documents add (a parent's
    consent for minors)."""
    topic = policy_topic(text)
    if topic is None or not results:
        return None
    name, args, result = results[-1]
    query = str(args.get("query", ""))
    if name != "search_knowledge" or not query.startswith(topic.query):
        return None
    found = on_topic(result, topic)
    about = query.removeprefix(topic.query).strip()
    service = next((s for s in clinic.services if about and s.name == about), None)
    if topic is AGE and service is not None and service.min_age is not None:
        own = copy_questions.min_age(service.name, service.min_age)
        # what the documents say of minors matters only where minors are treated
        return say(f"{own} {found}".strip() if service.min_age < ADULT else own)
    return say(found if found else copy_questions.records_silent(topic.name))


def on_topic(result: dict[str, Any], topic: PolicyTopic, limit: int = 320) -> str:
    """The first sentences of the best passages that speak of ``topic`` (an FAQ's answer
    whole when its question does), "" when none does."""
    for passage in result.get("passages") or []:
        text = str(passage.get("text", ""))
        if "\nA:" in text:
            question, answer = text.split("\nA:", 1)
            if topic.says.search(question) or topic.says.search(answer):
                return " ".join(answer.split())[:limit]
            continue
        body = re.sub(r"^#+\s*.*$", "", text, flags=re.M)
        flat = " ".join(body.split())
        sentences = [s.strip().lstrip("-*\u2022 ") for s in _SENTENCE.split(flat) if s.strip()]
        hits = [i for i, s in enumerate(sentences) if topic.says.search(s)]
        if hits:
            # the first sentence on the topic and those on it right after (a rule and its
            # cases), as many as fit
            chosen = [sentences[hits[0]]]
            for i in hits[1:]:
                if i > hits[0] + 3 or len(" ".join([*chosen, sentences[i]])) > limit:
                    break
                chosen.append(sentences[i])
            return " ".join(chosen)[:limit]
    return ""
