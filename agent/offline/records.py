"""Answering from the clinic's records: whether a ``search_knowledge`` result can answer the
patient's question, and which sentences of the best passage do.

A passage is the clinic's own text, so quoting it states nothing the records do not; when
the records cannot answer, the reply is :data:`agent.copy.CHECK_WITH_TEAM`.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from agent import copy
from agent.nlu._lexicon import COMMON_WORDS, FILLER_WORDS
from agent.nlu.intents import without_conditions
from knowledge.clinic_file import ClinicFile
from knowledge.retrieval import content_stems

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
_GENERAL = frozenset(content_stems(" ".join(COMMON_WORDS | FILLER_WORDS)))
#: Stems of everyday words that name no topic of the clinic's records.
GENERAL_STEMS = _GENERAL


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
        if len(w) >= 4
        and w not in vocab
        and w not in _GENERAL
        and not w.isdigit()
        and not _close(w, vocab)
    ]


def _close(word: str, vocab: frozenset[str] | set[str]) -> bool:
    """True when ``word`` is a typo of a stem in ``vocab`` ("parkin" for "park"), by the
    same similarity bar the lexical search uses to match it (:mod:`knowledge.lexical`)."""
    if len(word) < 4 or word.isdigit():
        return False
    cutoff = 74.0 if len(word) <= 5 else 80.0
    return process.extractOne(word, vocab, scorer=fuzz.ratio, score_cutoff=cutoff) is not None


def answerable(clinic: ClinicFile, result: dict[str, Any], question: str) -> bool:
    """True when retrieval is confident and every topic word of the question appears in the
    retrieved passages or the clinic's profile ("wifi" in a clinic that never wrote about
    wifi means the records cannot answer, whatever passage scored best).

    The question is the text, or else the part of it that asks: a sentence ending in "?"
    beside chatter ("do u sell gift cards? want one for my sis bday"), or the text without a
    scene-setting condition ("if i book an appt is there parking").

    Args:
        clinic: the clinic's records.
        result: a ``search_knowledge`` result (``passages``, ``confident``).
        question: the patient's text.
    """
    whole, *narrower = asked_parts(question)
    # retrieval judged its confidence on the whole text; a narrower question is judged by
    # whether the top passage covers every one of its topic words
    return _answers(clinic, result, whole) or any(
        _answers(clinic, {**result, "confident": True}, asked, need_cover=True)
        for asked in narrower
    )


def asked_parts(question: str) -> list[str]:
    """``question`` first, then the narrower questions inside it (see :func:`answerable`)."""
    parts = [question]
    core = without_conditions(question)
    if core != question:
        parts.append(core)
    # "is there parking near u or do i have to pay": the first alternative names the topic,
    # the other is its yes-or-no contrast, answered by the same passage ("free parking")
    first, *others = re.split(r"\s+or\s+(?=(?:do|does|did|is|are|can|will|should|would)\b)", core)
    if others:
        parts.append(first)
    sentences = [s.strip() for s in re.split(r"(?<=\?)\s+", question) if s.strip()]
    if len(sentences) > 1:
        parts += [s for s in sentences if s.endswith("?")]
    return parts


def _answers(
    clinic: ClinicFile, result: dict[str, Any], question: str, *, need_cover: bool = False
) -> bool:
    """:func:`answerable` for one reading of the question; ``need_cover`` also asks that
    the top passage covers every topic word (at least one)."""
    passages = result.get("passages") or []
    if not passages:
        return False
    topic = _topic(question)
    top = passages[0]
    top_stems = set(content_stems(f"{top.get('title', '')} {top.get('text', '')}"))
    top_stems |= _named_service_stems(clinic, top_stems)
    covered = all(w in top_stems or _close(w, top_stems) for w in topic)
    if need_cover and not (topic and covered):
        return False
    if not result.get("confident") and not (len(topic) >= 2 and covered):
        return False
    extra = [f"{p.get('title', '')} {p.get('text', '')}" for p in passages]
    return not unknown_words(clinic, question, extra)


def _topic(question: str) -> set[str]:
    """The topic stems of ``question``: no everyday words, no bare numbers ("20 wks")."""
    return {w for w in content_stems(question) if w not in _GENERAL and not w.isdigit()}


def covering_first(clinic: ClinicFile, result: dict[str, Any], question: str) -> dict[str, Any]:
    """``result`` with the first retrieved passage that speaks of every topic word of
    ``question`` moved to the top, when the top one does not ("pregnant, ok to laser my lip":
    the pregnancy policy, not the passage on how many laser sessions); else ``result``."""
    passages = list(result.get("passages") or [])
    topic = _topic(question)
    if len(passages) < 2 or len(topic) < 2:
        return result
    for i, passage in enumerate(passages):
        stems = _passage_stems(clinic, passage)
        if all(w in stems or _close(w, stems) for w in topic):
            if i == 0:
                return result
            return {**result, "passages": [passage, *passages[:i], *passages[i + 1 :]]}
    return result


def _named_service_stems(clinic: ClinicFile, stems: set[str]) -> set[str]:
    """The words of the records of every service a passage (its ``stems``) names: a passage
    on "hair removal" speaks of the areas that service's record lists ("underarms")."""
    found: set[str] = set()
    for service in clinic.services:
        name = set(content_stems(service.name)) - _GENERAL
        if name and name <= stems:
            record = [service.name, *service.aliases, service.description, service.price]
            found |= set(content_stems(" ".join([*record, *service.treats])))
    return found


_CLINIC_WORDS = re.compile(
    r"\b(?:you|your|u|ur|yall|you guys|clinic|spa|office|studio|place|there|here|staff|team|"
    r"provider|providers|injector|nurse|doctor|dr|appointment|appt|visit|treatment|session|"
    r"waiting room|lobby|parking|wifi|bathroom|building|suite|website|price|cost|deposit|"
    r"book|booking|gift cards?|membership|insurance|hsa|fsa|payment|pay)\b"
)


def about_clinic(clinic: ClinicFile, question: str) -> bool:
    """True when ``question`` is about the clinic (it addresses the clinic, names a place,
    person, policy or service of it) rather than about the world at large ("what's the
    weather tomorrow?"): only the former is worth a promise to check with the team."""
    lowered = question.lower()
    if _CLINIC_WORDS.search(lowered):
        return True
    return any(s.name.lower() in lowered or s.id.lower() in lowered for s in clinic.services)


def knowledge_reply(clinic: ClinicFile, result: dict[str, Any], question: str) -> str:
    """Answer from the best passage (an FAQ's answer, else its best sentences), or promise
    to check with the team when the records cannot answer."""
    if not answerable(clinic, result, question):
        return copy.CHECK_WITH_TEAM
    passages = result["passages"]
    first = _passage_answer(passages[0]["text"], question)
    other = _covering_rest(clinic, passages, question)
    return f"{first} {_passage_answer(other['text'], question)}" if other else first


def _passage_answer(text: str, question: str) -> str:
    """An FAQ passage's answer, else the passage's sentences closest to ``question``."""
    if "\nA:" in text:
        return str(text.split("\nA:", 1)[1].strip()[:450])
    return best_sentences(text, question)


def _passage_stems(clinic: ClinicFile, passage: dict[str, Any]) -> set[str]:
    stems = set(content_stems(f"{passage.get('title', '')} {passage.get('text', '')}"))
    return stems | _named_service_stems(clinic, stems)


def _covering_rest(
    clinic: ClinicFile, passages: list[dict[str, Any]], question: str
) -> dict[str, Any] | None:
    """The passage that speaks of the topic words the top passage leaves out ("can i finance
    the body contouring package": packages on top, financing second), or None when the top
    passage covers the question or no other passage covers the rest."""
    topic = _topic(question)
    top = _passage_stems(clinic, passages[0])
    missing = {w for w in topic if not (w in top or _close(w, top))}
    if not missing or len(missing) == len(topic):
        return None
    for passage in passages[1:]:
        stems = _passage_stems(clinic, passage)
        if all(w in stems or _close(w, stems) for w in missing):
            return passage
    return None


def best_sentences(text: str, question: str, limit: int = 320) -> str:
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
