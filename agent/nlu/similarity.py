"""How close a patient's words are to a short phrase of the clinic's (a ``treats`` concern).

:class:`Similarity` is the small interface the service matcher uses as its fallback after
exact and typo-tolerant phrase matches, so that a local embedding model can plug in later
(an adapter that embeds the text and the phrases and returns cosine similarities). The
default, :class:`LexicalSimilarity`, needs nothing installed: it asks whether every
content word of the phrase appears in the text, in any order, allowing typos and word
endings ("the lines on my forehead" ~ "forehead lines", "acne scarring" ~ "acne scars").
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

from agent.nlu._lexicon import close_enough, squeeze, stem
from agent.nlu.text import tokens

__all__ = ["LEXICAL", "LexicalSimilarity", "Similarity", "content_roots", "root"]

# Function words never carry a concern; everything else in a ``treats`` phrase does
# (including words such as "lines" or "skin" that are too common to name a service).
_FUNCTION = frozenset(
    [
        "a",
        "an",
        "the",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "its",
        "of",
        "on",
        "in",
        "under",
        "around",
        "near",
        "by",
        "at",
        "to",
        "for",
        "and",
        "or",
        "with",
        "from",
        "between",
        "i",
        "me",
        "we",
        "you",
        "it",
        "is",
        "are",
        "be",
        "this",
        "that",
        "these",
        "those",
        "some",
    ]
)


class Similarity(Protocol):
    """Scores a text against phrases."""

    def scores(self, text: str, phrases: Sequence[str]) -> list[float]:
        """One score in [0, 1] per phrase (1 = the text says what the phrase says).

        Args:
            text: the patient's message, raw.
            phrases: short phrases in patients' words ("double chin", "forehead lines").

        Returns:
            A list as long as ``phrases``.
        """
        ...


def root(word: str) -> str:
    """A word without its inflection, for order-free comparison: ``scarring`` -> ``scar``,
    ``wrinkles`` and ``wrinkly`` -> ``wrinkl``, ``lines`` -> ``line``. Words of 4 letters or
    fewer keep their letters (after the plural is dropped)."""
    w = stem(squeeze(word))
    for suffix in ("ing", "ed", "y", "e"):
        if len(w) > 4 and len(w) - len(suffix) >= 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    if len(w) >= 4 and w[-1] == w[-2]:
        w = w[:-1]  # "scarr" (from "scarring") -> "scar"
    return w


@functools.lru_cache(maxsize=8192)
def content_roots(phrase: str) -> tuple[str, ...]:
    """The :func:`root` of each content word of ``phrase`` (function words dropped), in order:
    ``"the lines on my forehead"`` -> ``("line", "forehead")``."""
    return tuple(root(t) for t in tokens(phrase) if t not in _FUNCTION)


class LexicalSimilarity:
    """Order-free word coverage: the mean, over the phrase's content words, of the best
    typo-tolerant similarity to a word of the text; 0.0 when any content word is missing."""

    def scores(self, text: str, phrases: Sequence[str]) -> list[float]:
        """See :meth:`Similarity.scores`."""
        msg = {root(t) for t in tokens(text) if t not in _FUNCTION}
        out: list[float] = []
        for phrase in phrases:
            want = content_roots(phrase)
            if not want or not msg:
                out.append(0.0)
                continue
            sims = [max((_sim(m, w) for m in msg), default=0.0) for w in want]
            out.append(0.0 if min(sims) == 0.0 else sum(sims) / len(sims))
        return out


def _sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) < 5 or len(b) < 5:
        return 0.0  # short roots ("line", "lip") only exactly
    return close_enough(a, b)


#: The default similarity (lexical; no model needed).
LEXICAL: Similarity = LexicalSimilarity()
