"""Which provider does the patient ask for? ("dr reyes", "ann", "with reyes", "nurse amy")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.nlu._lexicon import COMMON_WORDS, _w, close_enough
from agent.nlu.text import normalize, tokens
from knowledge.clinic_file import ProviderInfo

__all__ = ["ProviderQuestion", "match_provider", "provider_question"]

_HONORIFICS = frozenset(
    _w(
        "dr doctor doc nurse np rn md do pa pac ms mrs mr miss mx lpn bsn aprn fnp cns esthetician "
        "aesthetician injector provider practitioner"
    )
)
_DOCTOR = frozenset({"dr", "doctor", "doc"})
_NURSE = frozenset({"nurse", "rn", "np"})
_CONTEXT = _HONORIFICS | {"with", "see", "prefer", "want", "by", "for", "book", "and"}
_ANY = re.compile(
    r"\b(?:any ?one|any ?body|any provider|any of (?:them|you)|whoever|who ?ever|either|"
    r"doesn'?t matter|does not matter|no preference|don'?t care|dont mind|first available)\b"
)


def _name_tokens(name: str) -> list[str]:
    return [t for t in tokens(name) if t not in _HONORIFICS and len(t) > 1]


def provider_scores(text: str, people: Sequence[tuple[str, str, str]]) -> dict[str, float]:
    """Score each ``(id, name, title)`` against ``text`` (0 = not mentioned).

    A name word (first or last, honorifics such as "Dr." dropped) scores 1.0 exact or its
    :func:`close_enough` similarity (words of 4+ letters; never against a frequent English
    word). A name word that is itself a frequent word ("Will", "Grace") only counts exactly,
    and only after "dr"/"with"/"see"... or when the message is just the name. Each further
    matched name word adds 0.1 (so "ann reyes" beats "ann" alone). With no name matched,
    "the doctor" / "the nurse" picks the only provider with such a title.
    """
    msg = tokens(text)
    scores: dict[str, float] = {}
    for pid, name, _title in people:
        hits: list[float] = []
        for ntok in _name_tokens(name):
            best = 0.0
            for i, mtok in enumerate(msg):
                prev = msg[i - 1] if i else ""
                if ntok in COMMON_WORDS:
                    ok = mtok == ntok and (prev in _CONTEXT or len(msg) <= 2)
                    sim = 1.0 if ok else 0.0
                elif mtok == ntok:
                    sim = 1.0
                elif len(ntok) >= 4 and mtok not in COMMON_WORDS:
                    sim = close_enough(mtok, ntok)
                else:
                    sim = 0.0
                best = max(best, sim)
            if best:
                hits.append(best)
        if hits:
            scores[pid] = max(hits) + 0.1 * (len(hits) - 1)
    if not scores:
        words = set(msg)
        for group in (_DOCTOR, _NURSE):
            if words & group:
                titled = [
                    pid
                    for pid, name, title in people
                    if set(tokens(f"{name} {title}")) & group
                    or (group is _DOCTOR and set(tokens(title)) & {"md", "do"})
                ]
                if len(titled) == 1:
                    scores[titled[0]] = 0.8
    return scores


def best_unique(
    scores: dict[str, float], *, floor: float = 0.75, margin: float = 0.05
) -> str | None:
    """The single top-scoring id at or above ``floor``, unless another is within ``margin``."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < floor:
        return None
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1] - margin:
        return None
    return ranked[0][0]


def match_provider(text: str, providers: Sequence[ProviderInfo]) -> str | None:
    """Return the id of the one provider ``text`` asks for, else None.

    Typo-tolerant on first and last names ("dr reyes", "ann", "with reyes", "nurse amy",
    "dr reyse"). Returns None when no provider clearly matches, when two match about equally
    (two "Amy"s), or when the patient says any provider will do ("anyone", "any provider",
    "no preference").
    """
    if _ANY.search(normalize(text)):
        return None
    people = [(p.id, p.name, p.title) for p in providers]
    return best_unique(provider_scores(text, people))


_NOT_A_PERSON = r"(?!(?:you|u|ya|yall|y'all|ya'll|your|ur|you guys|u guys|we|i|it|this|that)\b)"
_DOES = re.compile(
    r"\b(?:does|do|can|will|would|is)\s+(?P<who>she|he|they|" + _NOT_A_PERSON + r"[a-z.]+"
    r"(?:\s[a-z]+){0,2}?)\s+(?:also\s+|even\s+)?(?:do|does|doing|offer|perform|inject|handle|"
    r"know how to do)\b"
)
_WHO = re.compile(
    r"\b(?:who(?:'s|s| is| does| do| can| works?| would| should i see)|which (?:provider|injector|"
    r"nurse|doctor|dr|esthetician|aesthetician|of (?:you|them|your \w+))s?)\b"
)
_IS_IN = re.compile(
    r"\b(?:is|are|will|does)\s+(?P<who>she|he|" + _NOT_A_PERSON + r"[a-z.]+(?:\s[a-z]+)?)"
    r"\s+(?:be\s+)?(?:in|working|work|there|around|on|at the (?:clinic|office|spa))\b|"
    r"\b(?:when|what days?|which days?)\s+(?:is|does)\s+(?P<who2>she|he|[a-z.]+(?:\s[a-z]+)?)"
    r"\s+(?:in|work|working|there)\b"
)
_PRONOUN = re.compile(r"\b(?:she|he|her|him)\b")
_ROLE_NAMES = {
    "injector": "injector",
    "injectors": "injector",
    "esthetician": "esthetician",
    "aesthetician": "esthetician",
    "estheticians": "esthetician",
    "nurse": "nurse",
    "nurses": "nurse",
    "doctor": "doctor",
    "dr": "doctor",
}


@dataclass(frozen=True)
class ProviderQuestion:
    """A question about who does what or who is in when.

    ``kind``: ``"does"`` ("does she do lips too?"), ``"who"`` ("who does laser?", "which
    injector is in on the weekend?") or ``"in"`` ("is dr reyes in on friday?").
    ``pronoun``: the person is a pronoun, meaning the provider named earlier.
    ``role``: ``"injector"``, ``"esthetician"``, ``"nurse"``, ``"doctor"`` or None.
    ``who``: the words standing for the person ("she", "dr reyes"; empty for ``"who"``); the
    caller checks that they name a provider.
    """

    kind: str
    pronoun: bool
    role: str | None
    who: str = ""


def provider_question(text: str) -> ProviderQuestion | None:
    """Read a question about providers from ``text`` (None when it is not one).

    Only the shape is read here; which provider, service and day it names is matched by the
    caller (:func:`match_provider`, the service matcher, the time parser).
    """
    s = normalize(text)
    role = next((_ROLE_NAMES[t] for t in tokens(s) if t in _ROLE_NAMES and t != "dr"), None)
    does, who, is_in = _DOES.search(s), _WHO.search(s), _IS_IN.search(s)
    if who:
        return ProviderQuestion("who", False, role)
    if does:
        return ProviderQuestion("does", bool(_PRONOUN.fullmatch(does["who"])), role, does["who"])
    if is_in:
        name = is_in["who"] or is_in["who2"] or ""
        return ProviderQuestion("in", bool(_PRONOUN.fullmatch(name)), role, name)
    return None
