"""No medical advice (DESIGN.md §2, safety triage): a model reply that gives medical advice is
replaced by the medical handoff reply, and staff take over.

Safety triage keeps medical questions from the model, but a patient's text can look ordinary
("anything i should do tonight after my peel?") and a chat model may still answer it with a
dose, a diagnosis or a "that's normal". :class:`MedicalAdviceCheck`, an output guardrail, reads
the reply sentence by sentence for the four kinds of advice of
:mod:`agent.guardrails.advice_phrases` (medication and aftercare orders, reassurance about the
patient's body, diagnoses, treatments for a symptom). A sentence that restates the clinic's own
records (a ``search_knowledge`` passage of the conversation, an FAQ, a document, a service's
description) is the clinic speaking and passes: "Per our policy we don't treat during
pregnancy" or the clinic's written filler aftercare quoted back. So do hedged or declining
sentences ("a provider will tell you whether that's normal") and 911/ER instructions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from agent import copy
from agent.guardrails import advice_phrases as phrases
from agent.guardrails.base import GuardrailContext, OutputGuardrail, OutputVerdict, Replace
from agent.guardrails.triage import quote, triage
from agent.models.base import ChatMessage
from agent.nlu._lexicon import stem
from agent.prompt import clinic_block
from knowledge.clinic_file import ClinicFile

log = structlog.get_logger(__name__)

#: The handoff reason of a replaced reply (the staff alert's ``reason``).
HANDOFF_REASON = "medical"

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+|\s+[-\u2013\u2014]\s+")
_CLAUSE_END = re.compile(r"\s*[,;:()]\s*|\s+(?=(?:and|but|or|then|plus|so)\s)")
_WORD = re.compile(r"[a-z0-9]+(?:[.'\-][a-z0-9]+)*")
#: Words that carry no meaning when comparing a reply sentence with a record sentence.
_STOPWORDS = (
    "a an the and or but so to of for in on at by with from as is are was be been it it's "
    "its this that these those you you're your yours i i'm i'd we we're our us me my just "
    "can could will would should may might must do does don't not no yes if then than there "
    "here also very really some any all about up out into over after before until what which "
    "who how"
)
_STOP = frozenset(_STOPWORDS.split())
#: A sentence restates a record when this share of its words is in one record sentence.
RESTATED_SHARE = 0.75
#: ... and it has at least this many words that count (a bare "ice it" quotes nothing).
RESTATED_MIN_WORDS = 3


@dataclass(frozen=True)
class Advice:
    """The medical advice one sentence of a reply gives.

    Attributes:
        kind: ``medication`` | ``reassurance`` | ``diagnosis`` | ``treatment`` (of the first
            phrase).
        sentence: the reply's sentence.
        phrases: every advice phrase of the sentence (lowercased), first one first.
    """

    kind: str
    sentence: str
    phrases: tuple[str, ...]

    @property
    def phrase(self) -> str:
        """The first advice phrase."""
        return self.phrases[0]


def _clean(text: str) -> str:
    """Lowercase, straight quotes, single spaces."""
    return re.sub(r"[ \t]+", " ", text.translate(_QUOTES).lower()).strip()


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (also at line breaks and spaced dashes), stripped of list
    markers; empty pieces are dropped."""
    out = []
    for piece in _SENTENCE_END.split(text):
        piece = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s+", "", piece).strip()
        if piece:
            out.append(piece)
    return out


def _clauses(sentence: str) -> list[tuple[int, str]]:
    """The clauses of a lowercased ``sentence`` with their start offsets (split at commas,
    semicolons, colons, brackets and before and/but/or/then/plus/so)."""
    out, start = [], 0
    for m in _CLAUSE_END.finditer(sentence):
        out.append((start, sentence[start : m.start()]))
        start = m.end()
    out.append((start, sentence[start:]))
    return [(i, c.strip(" .!?\"'")) for i, c in out if c.strip(" .!?\"'")]


def _clause_at(clauses: list[tuple[int, str]], offset: int) -> str:
    """The clause that contains ``offset``."""
    return next((c for i, c in reversed(clauses) if i <= offset), clauses[0][1] if clauses else "")


def _statements(sentence: str, clauses: list[tuple[int, str]]) -> Iterator[tuple[str, str]]:
    """(kind, phrase) of each sentence-level pattern in ``sentence`` that is not hedged
    ("whether that's normal"), declined ("I can't say if...") or asked ("is that normal?")."""
    question = sentence.rstrip(" \"')").endswith("?")
    for kind, pattern, in_questions in phrases.STATEMENTS:
        if question and not in_questions:
            continue
        for m in pattern.finditer(sentence):
            if phrases.HEDGE.search(sentence[: m.start()]):
                continue
            if phrases.REFUSAL.search(_clause_at(clauses, m.start())):
                continue
            yield kind, m.group(0)


def _instructions(clauses: list[tuple[int, str]]) -> Iterator[tuple[str, str]]:
    """(kind, phrase) of each instruction addressed to the patient in ``clauses``, skipping
    declining clauses ("I can't recommend...") and hedged ones ("...know if you can take")."""
    for _, clause in clauses:
        if phrases.REFUSAL.search(clause):
            continue
        for kind, pattern in phrases.INSTRUCTIONS:
            for m in pattern.finditer(clause):
                if not phrases.HEDGE.search(clause[: m.start()]):
                    yield kind, m.group(0)


def advice_in(sentence: str) -> Advice | None:
    """The medical advice ``sentence`` gives, or None.

    Args:
        sentence: one sentence of a reply (any case).

    Returns:
        :class:`Advice` (kind, the sentence, the matched phrases), or None for a sentence
        that gives none, declines to judge, or tells the patient to call 911 / go to the ER.
    """
    text = _clean(sentence)
    if phrases.EMERGENCY.search(text):
        return None
    clauses = _clauses(text)
    found = [*_instructions(clauses), *_statements(text, clauses)]
    if not found:
        return None
    return Advice(found[0][0], sentence, tuple(p.strip() for _, p in found))


def find_advice(reply: str, records: Iterable[str] = ()) -> list[Advice]:
    """The sentences of ``reply`` that give medical advice and do not restate a record.

    Args:
        reply: the SMS about to be sent.
        records: texts of the clinic's own records the reply may quote (see
            :func:`record_texts`); read only when a sentence looks like advice.

    Returns:
        One :class:`Advice` per offending sentence, in reply order; empty when the reply may
        be sent.
    """
    found = [a for s in sentences(reply) if (a := advice_in(s)) is not None]
    if not found:
        return []
    known = _RecordIndex(records)
    return [a for a in found if not known.restates(a)]


def _words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning, lightly stemmed ("bruises" -> "bruise")."""
    return [stem(w) for w in _WORD.findall(_clean(text)) if w not in _STOP]


class _RecordIndex:
    """The sentences of the clinic's records, as word sets, for "does a reply sentence
    restate one of them?"."""

    def __init__(self, records: Iterable[str]) -> None:
        self._sentences = {
            frozenset(words)
            for record in records
            for s in sentences(record)
            if (words := _words(s))
        }

    def restates(self, advice: Advice) -> bool:
        """True when one record sentence holds the words of every advice phrase of
        ``advice`` and is the sentence word for word ("Stay upright.") or, for a sentence of
        at least :data:`RESTATED_MIN_WORDS` meaningful words, holds :data:`RESTATED_SHARE`
        of them (so "..., and take Advil" added to a quoted record is not a quote)."""
        words = frozenset(_words(advice.sentence))
        if not words:
            return False
        said = frozenset(w for p in advice.phrases for w in _words(p))
        if len(words) < RESTATED_MIN_WORDS:
            return words in self._sentences
        need = RESTATED_SHARE * len(words)
        return any(len(words & known) >= need and said <= known for known in self._sentences)


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _tool_results(messages: Sequence[ChatMessage]) -> Iterator[str]:
    """The text of every tool result in ``messages`` (JSON decoded, so quotes and line breaks
    read as written); the patient's words and the model's own are never included."""
    for message in messages:
        if message.role != "tool" or not message.content:
            continue
        try:
            yield from _strings(json.loads(message.content))
        except ValueError:
            yield message.content


def clinic_records(clinic: ClinicFile) -> Iterator[str]:
    """The clinic's own words: its profile block, services' descriptions, FAQs and
    documents."""
    yield clinic_block(clinic)
    yield from (s.description for s in clinic.services if s.description)
    for faq in clinic.faqs:
        yield faq.answer
    for document in clinic.documents:
        yield document.content


def record_texts(context: GuardrailContext) -> Iterator[str]:
    """What a reply may quote: tool results of this turn and the earlier ones (a
    ``search_knowledge`` passage, most of all), then the clinic's records."""
    yield from _tool_results(context.turn)
    yield from _tool_results(context.history)
    yield from clinic_records(context.clinic)


def staff_summary(found: Sequence[Advice]) -> str:
    """What kind of advice the draft gave (never the model's words; the guardrail adds the
    patient's question)."""
    kinds = sorted({_KIND_WORDS[a.kind] for a in found})
    return (
        "Patient asked something the assistant answered with medical advice ("
        + ", ".join(kinds)
        + "); the draft was withheld and the patient told a provider will reply. "
        "Their question is in the conversation."
    )


_KIND_WORDS = {
    "medication": "medication or aftercare instructions",
    "reassurance": "reassurance about symptoms",
    "diagnosis": "a diagnosis",
    "treatment": "a treatment recommendation",
}


class MedicalAdviceCheck(OutputGuardrail):
    """Output guardrail: a reply that gives medical advice is replaced by the medical reply
    (:func:`agent.copy.medical`: what the patient asked about and when a provider answers),
    and staff get the patient's question (reason ``medical``, turn outcome ``guardrail``);
    the AI stays available, as after any medical question. The advice itself is never sent
    nor kept in the transcript.
    """

    name = "medical_advice"

    def check(self, reply: str, context: GuardrailContext) -> OutputVerdict:
        """Replace ``reply`` when a sentence of it gives medical advice the clinic's records do
        not say, else None."""
        found = find_advice(reply, record_texts(context))
        if not found:
            return None
        log.warning("reply_medical_advice_replaced", kinds=sorted({a.kind for a in found}))
        question = next((m.content for m in context.turn if m.role == "user" and m.content), "")
        reading = triage(question)
        return Replace(
            copy.medical(reading.topic, context.clinic, context.now, reported=reading.symptom),
            outcome="guardrail",
            handoff_reason=HANDOFF_REASON,
            handoff_summary=f'{staff_summary(found)} The patient wrote: "{quote(question)}"',
            pause=False,
        )
