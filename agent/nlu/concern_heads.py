"""The last resort of concern matching: the patient names a concern's *head word* only.

"the lines on my forehead" at a clinic whose services treat "fine lines" but not "forehead
lines", or "my pores are HUGE" where one service treats "large pores" and another "clogged
pores": no ``treats`` phrase is said whole, yet the patient's word is the noun the clinic's
phrases are about. :func:`head_hits` finds the services whose ``treats`` phrases end in a
word of the text (compared by :func:`agent.nlu.similarity.root`), under three guards:

* the head is *distinctive*: it ends phrases of at most :data:`MAX_SERVICES` services ("skin"
  ends phrases of most facial services and so says nothing about which one);
* it is not a body-area word ("cheeks", "lip"): an area alone is not a concern;
* it is not a word patients use for an opening ("any spots thursday?").

When several services share the head, each is returned with the same score so the caller
lists or asks; it never guesses one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from agent.nlu.similarity import content_roots, root
from agent.nlu.text import tokens
from agent.nlu.vocabulary import AREA_WORDS
from knowledge.clinic_file import ServiceInfo

__all__ = ["HEAD_SCORE", "MAX_SERVICES", "head_hits"]

#: A head-word hit's score: just over :func:`agent.nlu.services.match_services`' default bar,
#: under every name, alias or whole-concern match.
HEAD_SCORE = 0.66
#: A head that ends concern phrases of more services than this names none of them.
MAX_SERVICES = 2

# Nouns that stand for an opening in a booking text ("any spots left", "a later time").
_OPENING_NOUNS = frozenset(root(w) for w in ("spot", "slot", "time", "opening", "appointment"))
_AREA_ROOTS = frozenset(root(t) for phrase in AREA_WORDS for t in tokens(phrase))


# A phrase's head noun comes before its first preposition or clause word: "patch test before
# laser" is about a test, "lines between my eyebrows" about lines.
_CUT = frozenset(
    [
        "before",
        "after",
        "between",
        "under",
        "over",
        "on",
        "in",
        "at",
        "for",
        "from",
        "with",
        "without",
        "of",
        "to",
        "when",
        "while",
        "because",
        "if",
        "that",
        "who",
        "which",
        "up",
        "out",
        "off",
    ]
)
#: Phrases longer than this (after the cut) describe rather than name a concern.
_MAX_WORDS = 3


def _head(phrase: str) -> str | None:
    """The root of ``phrase``'s head noun, or None for a one-word or descriptive phrase."""
    words: list[str] = []
    for tok in tokens(phrase):
        if tok in _CUT:
            break
        words.append(tok)
    roots = content_roots(" ".join(words))
    if len(roots) < 2 or len(roots) > _MAX_WORDS or len(roots[-1]) < 3:
        return None
    return roots[-1]


def head_hits(text: str, services: Sequence[ServiceInfo]) -> dict[int, str]:
    """Services whose ``treats`` phrases end in a distinctive word of ``text``.

    Args:
        text: the patient's message, raw.
        services: the clinic's services.

    Returns:
        ``{service index: the treats phrase whose head matched}``; empty when no distinctive
        head word appears. Phrases of one word are left to the whole-phrase matchers.
    """
    said = {root(t) for t in tokens(text)}
    by_head: dict[str, dict[int, str]] = defaultdict(dict)
    for idx, service in enumerate(services):
        for phrase in service.treats:
            head = _head(phrase)
            if head is not None:
                by_head[head].setdefault(idx, phrase)
    out: dict[int, str] = {}
    for head, owners in by_head.items():
        if head not in said or head in _AREA_ROOTS or head in _OPENING_NOUNS:
            continue
        if len(owners) > MAX_SERVICES:
            continue
        for idx, phrase in owners.items():
            out.setdefault(idx, phrase)
    return out
