"""Private: the thing a patient asks about by name ("do u do X", "how much is a X") and
whether the clinic's own service words offer it by its head word. See
:mod:`agent.nlu.asked` for the rules; shared with :mod:`agent.nlu.services` so that a
modifier word of an unoffered thing never selects a service ("brazilian" in "brazilian butt
lift")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from agent.nlu._lexicon import COMMON_WORDS, _w, close_enough
from agent.nlu._phrase import words
from agent.nlu.text import tokens
from knowledge.clinic_file import ServiceInfo

__all__ = ["unoffered", "unoffered_span"]

_TAIL = r"([^?.!,;:\n+&]+)"
_ASKS = re.compile(
    r"\b(?:do|does|can|will)\s+(?:you|u|ya|yall|y'all)(?:\s+(?:guys|all|ladies))?\s+"
    r"(?:do|offer|have|carry|provide|perform|sell)\s+"
    + _TAIL
    + r"|\bhow\s+much\s+(?:is|are|for|does|do|r)\s+"
    + _TAIL
    + r"|\bhow\s+much's\s+"
    + _TAIL
    + r"|\b(?:price|prices|cost|pricing)\s+(?:of|for|on)\s+"
    + _TAIL
    + r"|\bcan\s+i\s+(?:book|get|schedule)\s+"
    + _TAIL,
    re.IGNORECASE,
)
# Words that end the asked thing: a day, time, provider, place or a second clause.
_STOP = frozenset(
    _w(
        "for on with at this next tomorrow tmrw tmr today tonight and or how what if in by before "
        "after please pls plz cost costs run price prices be there too also near from when "
        "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs "
        "fri sat sun weekend week morning afternoon evening am pm asap sometime btw lol tho though "
        "again still now rn here rq"
    )
)
_LEAD = frozenset(_w("a an the any some ur your yalls that those these"))
# Heads that are about the visit, the booking or money, never a treatment.
NOT_TREATMENT = frozenset(
    _w(
        "anything something stuff thing it that this one them appointment appt opening "
        "availability available time slot spot space room deposit parking payment plan financing "
        "insurance card gift discount special deal membership package consult consultation "
        "session visit treatment service procedure more less same kind type option openings "
        "everything services treatments procedures lot"
    )
)


def asked_phrase(text: str) -> tuple[list[str], str] | None:
    """The asked thing's words (stemmed) and as written, leading articles dropped; None when
    the text asks about no named thing."""
    m = _ASKS.search(text)
    if m is None:
        return None
    raw = next(g for g in m.groups() if g)
    out: list[str] = []
    shown: list[str] = []
    for tok, plain in zip(words(raw), tokens(raw), strict=False):
        if tok in _STOP:
            break
        if not out and tok in _LEAD:
            continue
        out.append(tok)
        shown.append(plain)
    return (out, " ".join(shown)) if out else None


def distinct(tok: str) -> bool:
    """A word that can tell one treatment from another (not frequent, not a bare number)."""
    return len(tok) >= 3 and tok not in COMMON_WORDS and not tok.isdigit()


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) >= 4 and close_enough(a, b) > 0:
        return True
    # one half of a compound word: "facial" in "hydrafacial"
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 5 and (long_.endswith(short) or long_.startswith(short))


def _phrases(services: Sequence[ServiceInfo]) -> Iterable[list[str]]:
    for s in services:
        for text in [s.name, *s.aliases, *s.treats]:
            for part in re.split(r"[/|,;()&]|\s-\s", text):
                toks = [t for t in words(part) if distinct(t)]
                if toks:
                    yield toks


def head_offered(asked: list[str], services: Sequence[ServiceInfo]) -> bool:
    """True when a service offers ``asked`` (distinctive stemmed words): one of its names,
    aliases or ``treats`` phrases shares two distinctive words with it, or its words hold the
    head word and, when ``asked`` has modifiers, one of them too ("underarm laser": "laser"
    in the name, "underarms" in what it treats; "brazilian butt lift" is not lash lift)."""
    head, mods = asked[-1], asked[:-1]
    for service in services:
        phrases = list(_phrases([service]))
        for toks in phrases:
            if len([a for a in asked if any(_same(a, t) for t in toks)]) >= 2:
                return True
        pool = [t for toks in phrases for t in toks]
        if not any(_same(head, t) for t in pool):
            continue
        others = [t for t in pool if not _same(head, t)]
        if not mods or not others or any(_same(m, t) for m in mods for t in others):
            return True
    return False


def unoffered(text: str, services: Sequence[ServiceInfo]) -> tuple[list[str], str] | None:
    """The thing ``text`` asks about by name, as (stemmed words, words as written), when no
    service offers it by its head word; None when the text asks about no named treatment
    (a visit, booking or money word, more than four words) or a service offers it."""
    found = asked_phrase(text)
    if found is None:
        return None
    content = [t for t in found[0] if distinct(t)]
    if not content or len(found[0]) > 4 or any(t in NOT_TREATMENT for t in found[0]):
        return None
    return None if head_offered(content, services) else found


def unoffered_span(msg: list[str], services: Sequence[ServiceInfo], text: str) -> set[int]:
    """Positions in ``msg`` (the words of ``text``) of an asked thing no service offers by
    its head word (:func:`unoffered`); empty when there is none."""
    found = unoffered(text, services)
    if found is None:
        return set()
    toks, n = found[0], len(found[0])
    for i in range(len(msg) - n + 1):
        if msg[i : i + n] == toks:
            return set(range(i, i + n))
    return set()
