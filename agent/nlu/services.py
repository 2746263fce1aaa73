"""Which of the clinic's services does a patient's message mention?

Everything is matched against the clinic's own names and aliases (no built-in service
vocabulary), typo-tolerant, and guarded so that ordinary words never turn into a service.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.nlu._lexicon import COMMON_WORDS, _w, close_enough, squeeze, stem
from agent.nlu.text import tokens
from knowledge.clinic_file import ServiceInfo

__all__ = ["ServiceMatch", "match_services"]

# Words that describe *kinds of visit* rather than a treatment; they alone never select a
# service by partial (category) matching.
_VISIT = frozenset(
    ["treatment", "session", "package", "service", "appointment", "appt", "visit", "procedure"]
)
_GENERIC = _VISIT | frozenset(
    _w(
        "therapy special membership unit area full half mini deluxe signature classic express "
        "premium advanced add new patient syringe vial per and with for the of in on to"
    )
)
_SPLIT = re.compile(r"\s*(?:/|\||,|;|\s-\s|\s+or\s+)\s*", re.IGNORECASE)
_PAREN = re.compile(r"[(\[]([^)\]]*)[)\]]")

FULL_COMMON_SCORE = 0.6
PARTIAL_BASE = 0.55
PARTIAL_SPAN = 0.3


@dataclass(frozen=True)
class ServiceMatch:
    """One service a message mentions.

    ``service_id`` is :attr:`ServiceInfo.id`; ``score`` in (0, 1] (see :func:`match_services`);
    ``matched`` is the clinic's own name or alias text that produced the match.
    """

    service_id: str
    score: float
    matched: str


@dataclass(frozen=True)
class _Phrase:
    display: str
    toks: tuple[str, ...]

    @property
    def compact(self) -> str:
        return "".join(self.toks)


def _words(text: str) -> list[str]:
    return [stem(squeeze(t)) for t in tokens(text)]


def _phrases(service: ServiceInfo) -> list[_Phrase]:
    """Name and aliases, each split into its variants (see :func:`_phrases_of`)."""
    return _phrases_of(service.name, tuple(service.aliases))


@functools.lru_cache(maxsize=4096)
def _phrases_of(name: str, aliases: tuple[str, ...]) -> list[_Phrase]:
    """Name and aliases, each split into its variants (ids are never shown to patients).

    Cached per (name, aliases): every turn matches the patient's words against every service,
    and the variants of a clinic's services change only when it re-seeds.

    ``"Neurotoxin (Botox/Dysport)"`` yields ``neurotoxin``, ``botox``, ``dysport`` and the whole
    name; ``"Lip Filler - 1 syringe"`` yields the whole name, ``lip filler`` and ``1 syringe``.
    """
    raw = [name, *aliases]
    out: list[_Phrase] = []
    seen: set[tuple[str, ...]] = set()
    for text in raw:
        variants = [text, _PAREN.sub(" ", text)]
        variants += _PAREN.findall(text)
        for v in list(variants):
            variants += _SPLIT.split(v)
        for v in variants:
            toks = tuple(_words(v))
            bare = tuple(t for t in toks if t not in _VISIT)
            for cand in (toks, bare):
                if cand and cand not in seen:
                    seen.add(cand)
                    out.append(_Phrase(text.strip(), cand))
    return out


def _token_sim(msg: str, phrase: str) -> float:
    if msg == phrase:
        return 1.0
    if msg in COMMON_WORDS or phrase in COMMON_WORDS:
        return 0.0
    return close_enough(msg, phrase)


def _full_match(msg: list[str], phrase: _Phrase) -> tuple[float, range]:
    """Best score of ``phrase`` against any window of ``msg`` and the window's token span."""
    n = len(phrase.toks)
    best, span = 0.0, range(0)
    for size in range(max(1, n - 1), n + 2):
        for i in range(0, len(msg) - size + 1):
            window = msg[i : i + size]
            if size == n:
                sims = [_token_sim(a, b) for a, b in zip(window, phrase.toks, strict=True)]
                score = min(sims)
            else:
                score = 0.0
            compact = "".join(window)
            if compact == phrase.compact:
                score = max(score, 0.97)
            elif (
                size != n
                and compact[:2] == phrase.compact[:2]
                and not all(w in COMMON_WORDS for w in window)
            ):
                # spacing differs and there is a typo: "hydra facail", "lipfiler"
                score = max(score, close_enough(compact, phrase.compact) * 0.98)
            if score > best:
                best, span = score, range(i, i + size)
    if best and len(phrase.toks) == 1 and phrase.toks[0] in COMMON_WORDS:
        best = min(best, FULL_COMMON_SCORE)
    return best, span


def _content(tok: str) -> bool:
    return len(tok) >= 2 and tok not in COMMON_WORDS and tok not in _GENERIC


def _partial_match(msg: list[str], used: set[int], phrase: _Phrase) -> float:
    """Category score: some distinctive words of the phrase (or of one compound word) appear."""
    content = [t for t in phrase.toks if _content(t)]
    if not content:
        return 0.0
    total = 0.0
    for ptok in content:
        best = 0.0
        for i, mtok in enumerate(msg):
            if i in used or not _content(mtok):
                continue
            sim = 1.0 if mtok == ptok else (close_enough(mtok, ptok) if len(mtok) >= 4 else 0.0)
            # a word that is one half of a compound name: "facial" in "hydrafacial"
            if (
                not sim
                and len(mtok) >= 5
                and len(ptok) >= len(mtok) + 3
                and (ptok.endswith(mtok) or ptok.startswith(mtok))
            ):
                sim = 0.9
            best = max(best, sim)
        total += best
    if total == 0.0:
        return 0.0
    if len(phrase.toks) == 1 and total >= 1.0:
        return 0.0  # a single-word phrase matched whole is a full match, not a partial one
    return PARTIAL_BASE + PARTIAL_SPAN * total / len(content)


def _subsumed(
    full: dict[int, tuple[float, str]],
    spans: dict[int, set[int]],
    results: dict[int, tuple[float, str]],
) -> list[int]:
    """Services whose only evidence is words inside a longer name another service matched:
    "tox touch up" names the touch-up, not every service with the alias "tox"."""
    out = []
    for idx, (score, _) in results.items():
        if full.get(idx, (0.0, ""))[0] != score or not spans.get(idx):
            continue
        for other, (other_score, _) in full.items():
            if (
                other != idx
                and other_score >= max(0.9, score - 0.05)
                and spans[idx] < spans.get(other, set())
            ):
                out.append(idx)
                break
    return out


def match_services(
    text: str, services: Sequence[ServiceInfo], *, min_score: float = 0.65
) -> list[ServiceMatch]:
    """Return the services ``text`` mentions, best first (ties keep the clinic's order).

    Each service is tried through its *phrases*: its name and aliases, plus the
    parts of each split at ``/``, ``|``, ``,``, `` - ``, `` or `` and parentheses. Message and
    phrase are normalised, plurals stemmed (``facials`` -> ``facial``) and repeated letters
    squeezed.

    Scoring (per service the best phrase wins):

    * **Full match** of a phrase against a window of consecutive message words: 1.0 when all
      words are equal; 0.97 when equal ignoring spaces (``hydra facial`` = ``hydrafacial``);
      otherwise typo similarity in [0.73, 0.95] word by word or on the joined letters. Typo
      allowance grows with length (1 edit up to 7 letters, 2 up to 10, 3 beyond; first letter
      must agree for words of 8 letters or fewer); words of three letters or fewer and
      frequent English words (:data:`COMMON_WORDS`) only match exactly. A single-word phrase
      that is itself a frequent word (alias ``"glow"`` is fine, alias ``"fill"`` is not) scores
      at most 0.6, under the default ``min_score``.
    * **Partial (category) match**, tried only on words not used by a full match:
      ``0.55 + 0.3 * (fraction of the phrase's distinctive words present)``, at most 0.85.
      Distinctive words exclude frequent words and visit words (treatment, session...). A
      word that is the head or tail of a compound name (``facial`` in ``HydraFacial``) counts.
      So with *Lip Filler* and *Cheek Filler*, ``"filler"`` returns both at 0.70, letting the
      caller ask which one.
    * A service matched only by words inside a longer phrase that fully matched another
      service is dropped: with *Lip Flip* and alias ``"lips"`` of *Lip Filler*, ``"lip flip"``
      returns Lip Flip alone.

    Args:
        text: the patient's message, raw.
        services: the clinic's services.
        min_score: matches below this are dropped (default 0.65).

    Returns:
        One :class:`ServiceMatch` per mentioned service, sorted by score descending.
    """
    msg = _words(text)
    if not msg:
        return []
    by_service = [(s, _phrases(s)) for s in services]
    full, spans, used = _full_matches(msg, [p for _, p in by_service], min_score)
    results: dict[int, tuple[float, str]] = dict(full)
    for idx, (_, phrases) in enumerate(by_service):
        for phrase in phrases:
            score = _partial_match(msg, used, phrase)
            if score > results.get(idx, (0.0, ""))[0]:
                results[idx] = (score, phrase.display)
    for idx in _subsumed(full, spans, results):
        del results[idx]
    ranked = sorted(results.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [
        ServiceMatch(by_service[idx][0].id, round(score, 4), matched)
        for idx, (score, matched) in ranked
        if score >= min_score
    ]


def _full_matches(
    msg: list[str], phrases_by_service: list[list[_Phrase]], min_score: float
) -> tuple[dict[int, tuple[float, str]], dict[int, set[int]], set[int]]:
    """Best full match per service index: ``(score, phrase)``, the message word positions it
    covers, and every position used by a confident full match."""
    full: dict[int, tuple[float, str]] = {}
    spans: dict[int, set[int]] = {}
    used: set[int] = set()
    for idx, phrases in enumerate(phrases_by_service):
        for phrase in phrases:
            score, span = _full_match(msg, phrase)
            if score > full.get(idx, (0.0, ""))[0]:
                full[idx] = (score, phrase.display)
                spans[idx] = set(span)
            elif score and score == full[idx][0] and len(span) > len(spans[idx]):
                spans[idx] = set(span)
            if score >= max(0.73, min_score):
                used.update(span)
    return full, spans, used
