"""Field terms in a patient's words, and which category each of a clinic's services is in.

Uses the field vocabulary of :mod:`agent.nlu.vocabulary`. A clinic service's category comes
from its own name, aliases, description and ``treats``; a term the patient uses ("botox",
"coolsculpting", "laser tattoo removal") is found in the message with its category, so that
the service matcher can refuse to reach a service of another category through a shared word
and the assistant can say plainly what the clinic does and does not offer.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from agent.nlu._lexicon import COMMON_WORDS
from agent.nlu._phrase import Phrase, full_match, words
from agent.nlu.vocabulary import CATEGORIES, Term, category
from knowledge.clinic_file import ServiceInfo

__all__ = ["TermHit", "alternatives", "category_of", "find_terms", "names_term"]

# A field term of fewer letters than this matches only exactly ("rha", "iv", "prp"); longer
# names tolerate one typo ("botx", "coolsculting"), two from 11 letters on. Stricter than the
# clinic's own names: a field term must not turn an everyday word into a treatment
# ("pictures" is not "PicoSure").
_TYPO_MIN_LETTERS = 5
_TERM_FLOOR = 0.85


@dataclass(frozen=True)
class TermHit:
    """A field term found in a message: the term, its category id and the message word
    positions it covers (see :func:`agent.nlu._phrase.words`)."""

    term: Term
    category_id: str
    span: range


@functools.lru_cache(maxsize=1)
def _term_phrases() -> tuple[tuple[Phrase, Term, str], ...]:
    out = []
    for cat in CATEGORIES:
        for term in cat.terms:
            out.append((Phrase(term.text, tuple(words(term.text))), term, cat.id))
    return tuple(out)


def find_terms(msg: Sequence[str]) -> list[TermHit]:
    """The field terms in the message words ``msg``, longest first, never overlapping.

    Args:
        msg: the message as :func:`agent.nlu._phrase.words`.

    Returns:
        Hits sorted by span length (longest first), then position.
    """
    found: list[tuple[int, float, TermHit]] = []
    wl = list(msg)
    for phrase, term, cat_id in _term_phrases():
        score, span = full_match(wl, phrase)
        exact = score >= 0.97
        if not span or not (exact or score >= _TERM_FLOOR):
            continue
        if not exact and not _one_typo(phrase.compact, "".join(wl[i] for i in span)):
            continue
        if all(wl[i] in COMMON_WORDS for i in span):
            continue
        found.append((len(phrase.compact), score, TermHit(term, cat_id, span)))
    found.sort(key=lambda f: (-f[0], -f[1], f[2].span.start))
    taken: set[int] = set()
    hits: list[TermHit] = []
    for _, _, hit in found:
        if taken.isdisjoint(hit.span):
            taken.update(hit.span)
            hits.append(hit)
    return hits


def _one_typo(term: str, seen: str) -> bool:
    if len(term) < _TYPO_MIN_LETTERS:
        return False
    allowed = 1 if len(term) <= 10 else 2
    return Levenshtein.distance(term, seen) <= allowed


def category_of(service: ServiceInfo) -> str | None:
    """The category id of ``service`` (None when its words name none).

    Each field term in the service's name counts 3, in an alias 2, in its description or
    ``treats`` 1; the category with the highest total wins (ties: vocabulary order).
    """
    return _category_of(
        service.name, tuple(service.aliases), service.description, tuple(service.treats)
    )


@functools.lru_cache(maxsize=4096)
def _category_of(
    name: str, aliases: tuple[str, ...], description: str, treats: tuple[str, ...]
) -> str | None:
    votes: Counter[str] = Counter()
    weighted = [(name, 3), *((a, 2) for a in aliases), (description, 1), *((t, 1) for t in treats)]
    for text, weight in weighted:
        for hit in find_terms(words(text)):
            votes[hit.category_id] += weight
    if not votes:
        return None
    order = {c.id: i for i, c in enumerate(CATEGORIES)}
    return min(votes, key=lambda c: (-votes[c], order[c]))


def names_term(service: ServiceInfo, term: Term) -> bool:
    """Does the clinic's own text for ``service`` (name, aliases, description, treats) name
    ``term``? ("RHA Kiss or Restylane filler" names Restylane.)"""
    texts = [service.name, *service.aliases, service.description, *service.treats]
    return any(hit.term == term for t in texts for hit in find_terms(words(t)))


def alternatives(
    category_id: str, services: Sequence[ServiceInfo], *, limit: int = 4
) -> tuple[list[ServiceInfo], bool]:
    """The clinic's closest offered services to a category.

    Returns:
        ``(services, same)``: the bookable services of ``category_id`` itself with
        ``same=True``; else those of its related categories (closest first, at most
        ``limit``) with ``same=False``; empty when nothing is related.
    """
    bookable = [s for s in services if s.bookable]
    own = [s for s in bookable if category_of(s) == category_id]
    if own:
        return own[:limit], True
    out: list[ServiceInfo] = []
    for rel in category(category_id).related:
        out += [s for s in bookable if category_of(s) == rel and s not in out]
    return out[:limit], False
