"""What the offline model says: every sentence built from clinic records or tool results.

Kept apart from the policy in :mod:`agent.offline` so the wording can change without
touching decisions. Two phrases double as markers the policy reads back from the history
(the model keeps no memory): :attr:`Replies.ASK_SERVICE_MARK` and
:attr:`Replies.OFFER_SEARCH_MARK`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from agent.nlu._lexicon import COMMON_WORDS, FILLER_WORDS
from knowledge.clinic_file import WEEKDAYS, ClinicFile, ServiceInfo
from knowledge.retrieval import content_stems
from payments.money import format_money

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "do",
        "does",
        "i",
        "my",
        "me",
        "you",
        "your",
        "we",
        "our",
        "can",
        "to",
        "for",
        "of",
        "in",
        "on",
        "at",
        "it",
        "and",
        "or",
        "with",
        "what",
        "how",
        "when",
        "where",
        "who",
        "u",
        "ur",
        "be",
        "have",
        "has",
        "any",
        "there",
        "this",
        "that",
    ]
)


def _clock(t: str) -> str:
    time = dt.time.fromisoformat(t)
    suffix = "AM" if time.hour < 12 else "PM"
    hour = time.hour % 12 or 12
    return f"{hour}:{time.minute:02d} {suffix}" if time.minute else f"{hour} {suffix}"


class Replies:
    """Reply builder for one clinic at one moment (``now_local`` in the clinic's zone)."""

    ASK_SERVICE_MARK = "Which service would you like"
    OFFER_SEARCH_MARK = "Want me to check openings"

    def __init__(self, clinic: ClinicFile, now_local: dt.datetime) -> None:
        self.clinic = clinic
        self.now_local = now_local

    # --- services ------------------------------------------------------------------------
    def price(self, service: ServiceInfo) -> str:
        """The service's price in the clinic's own words, plus the deposit, then an offer."""
        price = service.price or "Pricing depends on your treatment plan"
        deposit = self.clinic.deposit_cents(service)
        dep = f" A {format_money(deposit)} deposit holds your spot." if deposit else ""
        return f"{service.name}: {price}.{dep} {self.OFFER_SEARCH_MARK} for you?"

    def service_info(self, service: ServiceInfo) -> str:
        """A short description of the service with duration and price."""
        parts = [f"{service.name} takes about {service.duration_minutes} min"]
        if service.price:
            parts.append(f"pricing: {service.price}")
        desc = f" {service.description.strip()}" if service.description else ""
        return f"{'; '.join(parts)}.{desc} {self.OFFER_SEARCH_MARK} for you?"

    def which_of(self, names: list[str]) -> str:
        """Ask which of several similar services the patient means."""
        listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        return f"Happy to help! Did you mean {listed}?"

    def ask_service(self) -> str:
        """Ask which service to book, naming a few from the menu."""
        names = [s.name for s in self.clinic.services if s.bookable][:6]
        return f"{self.ASK_SERVICE_MARK} to book? We offer {', '.join(names)} and more."

    def menu(self) -> str:
        """The bookable menu by name."""
        names = [s.name for s in self.clinic.services if s.bookable]
        return f"We offer {', '.join(names)}. {self.OFFER_SEARCH_MARK} for any of these?"

    # --- booking ---------------------------------------------------------------------------
    def describe(self, args: dict[str, Any]) -> str:
        """The day/time filters of ``find_slots`` arguments in words ("Friday after 2 PM")."""
        bits = []
        days = args.get("weekdays") or []
        if days:
            bits.append(" or ".join(WEEKDAYS_FULL[WEEKDAYS.index(d)] for d in days))
        if args.get("date_from") and args.get("date_to") and not days:
            start = dt.date.fromisoformat(args["date_from"])
            end = dt.date.fromisoformat(args["date_to"])
            bits.append(
                start.strftime("%a %b ") + str(start.day)
                if start == end
                else f"{start.strftime('%b')} {start.day}-{end.strftime('%b')} {end.day}"
            )
        if args.get("after") and args.get("before"):
            bits.append(f"between {_clock(args['after'])} and {_clock(args['before'])}")
        elif args.get("after"):
            bits.append(f"after {_clock(args['after'])}")
        elif args.get("before"):
            bits.append(f"before {_clock(args['before'])}")
        return " ".join(bits)

    def slots(
        self,
        result: dict[str, Any],
        args: dict[str, Any],
        clinic: ClinicFile,
        *,
        with_price: bool,
    ) -> str:
        """Numbered openings from a ``find_slots`` result (or that there are none)."""
        name = result.get("service", "that")
        wanted = self.describe(args)
        slots = result.get("slots") or []
        prefix = ""
        if with_price:
            service = clinic.service(result["service_id"])
            if service.price:
                prefix = f"{service.name}: {service.price}. "
        if not slots:
            return (
                f"{prefix}I'm sorry, I don't see any openings for {name} in the next "
                f"{clinic.clinic.booking.max_days_ahead} days. Want me to have the team "
                "reach out about the waitlist?"
            )
        lines = [f"{s['option']}) {s['when']} with {s['provider']}" for s in slots]
        if result.get("matched_preferences", True):
            head = f"Here are openings for {name}" + (f" {wanted}" if wanted else "") + ":"
        else:
            head = f"I don't have {name} openings {wanted or 'then'}, but the nearest are:"
        deposit = result.get("deposit")
        tail = "Reply with the number that works"
        tail += f" (a {deposit} deposit holds it)." if deposit else "."
        return f"{prefix}{head}\n" + "\n".join(lines) + f"\n{tail}"

    def taken(self, result: dict[str, Any]) -> str:
        """That the chosen time was just taken, with the alternatives offered instead."""
        alts = result.get("alternatives") or []
        if not alts:
            return (
                "Sorry, that time was just taken and I don't see other openings soon. "
                "Want me to have the team reach out?"
            )
        lines = [f"{s['option']}) {s['when']} with {s['provider']}" for s in alts]
        return (
            "Sorry, that time was just taken by someone else. Here are the closest "
            "openings:\n" + "\n".join(lines) + "\nReply with the number that works."
        )

    def deposit(self, result: dict[str, Any]) -> str:
        """The deposit link (or the booking, when none is needed)."""
        who = f" with {result['provider']}" if result.get("provider") else ""
        if result.get("booked"):
            return (
                f"You're booked: {result['service']}{who} on {result['when']}. "
                f"See you then! - {self.clinic.clinic.name}"
            )
        return (
            f"I'm holding {result['service']}{who} on {result['when']} for "
            f"{result['hold_minutes']} min. To confirm, pay the {result['amount']} deposit "
            f"here: {result['link']}"
        )

    def other_times(self) -> str:
        """Invite a different day or time after the patient declined the offers."""
        return "No problem! What day or time works better for you?"

    # --- knowledge -------------------------------------------------------------------------
    def knowledge(self, result: dict[str, Any], question: str) -> str:
        """Answer from the best passage, or promise to check with the team."""
        passages = result.get("passages") or []
        if not self.answerable(result, question):
            return (
                "Good question! I don't want to guess, so I'll check with the team and "
                "get back to you. Anything else I can help with, like booking?"
            )
        text = passages[0]["text"]
        if "\nA:" in text:
            return text.split("\nA:", 1)[1].strip()[:450]
        return _best_sentences(text, question)

    def answerable(self, result: dict[str, Any], question: str) -> bool:
        """True when retrieval is confident and every topic word of the question appears
        in the retrieved passages or the clinic's profile ("wifi" in a clinic that never wrote
        about wifi means the records cannot answer, whatever passage scored best)."""
        passages = result.get("passages") or []
        if not passages:
            return False
        # the retrieved passages and the clinic's profile must cover the question's topic
        topic = set(content_stems(question)) - _GENERAL
        top = passages[0]
        covered = topic <= set(content_stems(f"{top.get('title', '')} {top.get('text', '')}"))
        if not result.get("confident") and not (len(topic) >= 2 and covered):
            return False
        extra = [f"{p.get('title', '')} {p.get('text', '')}" for p in result["passages"]]
        return not unknown_words(self.clinic, question, extra)

    def hours(self, days: set[int] | None = None) -> str:
        """The clinic's opening hours from its records (only ``days``, 0=Monday, if given)."""
        hours = self.clinic.clinic.hours
        parts, closed = [], []
        for i, day in enumerate(WEEKDAYS):
            if days and i not in days:
                continue
            spans = hours.get(day)
            if spans:
                span = ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in spans)
                parts.append(f"{WEEKDAYS_FULL[i][:3]} {span}")
            else:
                closed.append(WEEKDAYS_FULL[i])
        if days and closed:
            shut = f"We're closed on {' and '.join(closed)}."
            return f"{shut} We're open {'; '.join(parts)}." if parts else f"{shut} {self.hours()}"
        if not parts:
            return "Please call us for our hours."
        return f"We're open {'; '.join(parts)}."

    # --- manners ---------------------------------------------------------------------------
    def greeting(self) -> str:
        """Hello, with what the assistant can do."""
        return (
            f"Hi! Thanks for texting {self.clinic.clinic.name}. I can answer questions "
            "or book you in. What are you interested in?"
        )

    def thanks(self) -> str:
        """You're welcome."""
        return "You're welcome! Text anytime if you need anything else."

    def empty(self) -> str:
        """Reply to a blank message."""
        return f"Hi! This is {self.clinic.clinic.name}. How can I help you today?"

    def fallback(self) -> str:
        """When nothing was understood."""
        return (
            "Sorry, I didn't quite catch that. I can answer questions about our services "
            "or book an appointment. What would you like to do?"
        )

    def handoff(self, reason: str) -> str:
        """What the patient is told when staff take over."""
        if reason == "emergency":
            return (
                "This could be serious. Please call 911 or go to the nearest ER now. "
                "I've also alerted our team."
            )
        if reason == "medical":
            return (
                "That's a question for one of our providers. I've passed it to the team "
                "and someone will text you shortly. If it's urgent, call 911."
            )
        return "I've let our team know, and someone will text you back shortly."

    def tool_error(self, name: str, error: str) -> str:
        """A safe reply when a tool failed."""
        if "no option" in error:
            return "Sorry, which option number would you like?"
        return (
            "Sorry, I couldn't complete that just now. A team member will follow up "
            "with you shortly."
        )


_GENERAL = frozenset(content_stems(" ".join(COMMON_WORDS | FILLER_WORDS)))


def clinic_vocabulary(clinic: ClinicFile, extra: list[str] | None = None) -> frozenset[str]:
    """Every content stem of the clinic's profile, providers and services, plus ``extra``
    texts (retrieved passages)."""
    c = clinic.clinic
    texts = [c.name, c.address, c.website, c.greeting]
    texts += [f"{p.name} {p.title} {p.bio}" for p in clinic.providers]
    texts += [f"{s.name} {' '.join(s.aliases)} {s.description} {s.price}" for s in clinic.services]
    texts += [f"{d.title} {d.content}" for d in clinic.documents]
    texts += [f"{f.question} {f.answer}" for f in clinic.faqs]
    texts += extra or []
    return frozenset(content_stems(" ".join(texts)))


def unknown_words(clinic: ClinicFile, question: str, extra: list[str] | None = None) -> list[str]:
    """Topic words of ``question`` (4+ letters) that neither the clinic's records nor the
    ``extra`` texts use."""
    vocab = clinic_vocabulary(clinic, extra)
    return [
        w
        for w in content_stems(question)
        if len(w) >= 4 and w not in vocab and w not in _GENERAL and not w.isdigit()
    ]


WEEKDAYS_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _best_sentences(text: str, question: str, limit: int = 320) -> str:
    """The one or two sentences of ``text`` sharing most words with ``question``."""
    body = re.sub(r"^#+\s*", "", text, flags=re.M)
    sentences = [s.strip() for s in _SENTENCE.split(body.replace("\n", " ")) if s.strip()]
    if not sentences:
        return body[:limit]
    words = set(content_stems(question)) or {
        w for w in _WORD.findall(question.lower()) if w not in _STOP
    }
    scored = [(len(words & set(content_stems(x))), -i, i) for i, x in enumerate(sentences)]
    _, _, best = max(scored)
    answer = sentences[best]
    if best + 1 < len(sentences) and len(answer) + len(sentences[best + 1]) < limit:
        answer += " " + sentences[best + 1]
    return answer[:limit]
