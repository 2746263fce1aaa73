"""Which of the clinic's services does a patient's message mention?

Matched against the clinic's own names and aliases first (typo-tolerant, guarded so that
ordinary words never turn into a service), then its ``treats`` concerns and areas, then a
:class:`agent.nlu.similarity.Similarity` fallback over those concerns. Field vocabulary
(:mod:`agent.nlu.vocabulary`) is used only to keep a treatment the clinic does not offer from
reaching an offered one of another kind through a shared word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.nlu._asked import unoffered_span
from agent.nlu._lexicon import COMMON_WORDS, _w, close_enough
from agent.nlu._phrase import Phrase as _Phrase
from agent.nlu._phrase import full_match as _full_match
from agent.nlu._phrase import words as _words
from agent.nlu.catalog import TermHit, category_of, find_terms, names_term
from agent.nlu.concern_heads import HEAD_SCORE, head_hits
from agent.nlu.similarity import LEXICAL, Similarity
from agent.nlu.vocabulary import AREA_WORDS, ROLE_WORDS
from knowledge.clinic_file import ServiceInfo

__all__ = ["ServiceMatch", "match_services", "unmet_terms"]

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
# A role word ("injector") stands for a person: masked so it never resembles a service word
# ("injection").
_ROLE = "\x00"
_ROLES = frozenset(_words(" ".join(ROLE_WORDS)))
_AREAS = frozenset(_words(" ".join(AREA_WORDS)))

PARTIAL_BASE = 0.55
PARTIAL_SPAN = 0.3
#: A concern phrase from ``treats`` scores this times its match quality (under a name match).
TREATS_WEIGHT = 0.9
#: A name or alias made only of area words ("cheeks") scores at most this.
AREA_SCORE = 0.7
#: A similarity-fallback hit scores this times its similarity.
SIMILAR_WEIGHT = 0.8
#: A brand the clinic names only in a service's description or ``treats``.
NAMED_BRAND_SCORE = 0.85


@dataclass(frozen=True)
class ServiceMatch:
    """One service a message mentions.

    ``service_id`` is :attr:`ServiceInfo.id`; ``score`` in (0, 1] (see :func:`match_services`);
    ``matched`` is the clinic's own text that produced the match; ``via`` says which:
    ``"name"`` (name or alias), ``"treats"`` (a concern of its ``treats``), ``"similar"`` (the
    similarity fallback over ``treats``) or ``"brand"`` (a brand its description names).
    """

    service_id: str
    score: float
    matched: str
    via: str = "name"


@dataclass
class _Hit:
    score: float
    matched: str
    span: set[int]
    via: str
    full: bool


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


@functools.lru_cache(maxsize=4096)
def _treat_phrases(treats: tuple[str, ...]) -> list[_Phrase]:
    return [_Phrase(t.strip(), tuple(_words(t))) for t in treats if _words(t)]


def _common(tok: str) -> bool:
    """A frequent word, also after plural stemming turned it into a non-word ("does" ->
    "doe")."""
    return tok in COMMON_WORDS or f"{tok}s" in COMMON_WORDS


def _content(tok: str) -> bool:
    return (
        len(tok) >= 2
        and not _common(tok)
        and tok not in _GENERIC
        and tok != _ROLE
        and not any(ch.isdigit() for ch in tok)
    )


def _partial_match(msg: list[str], used: set[int], phrase: _Phrase) -> tuple[float, set[int]]:
    """Category score: some distinctive words of the phrase (or of one compound word) appear,
    with the message positions they cover.

    Rejected when the matched words are modified by a distinctive message word the phrase
    lacks: "tattoo removal" names another thing than "peach fuzz removal", and "lip filler"
    another than "cheek filler" (while "filler" alone may mean either); and when they modify
    one: "light rail" is not "intense pulsed light".
    """
    content = [t for t in phrase.toks if _content(t)]
    if not content:
        return 0.0, set()
    total, span = 0.0, set()
    for ptok in content:
        best, at = 0.0, -1
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
            if sim > best:
                best, at = sim, i
        total += best
        if at >= 0:
            span.add(at)
    if total == 0.0:
        return 0.0, set()
    if len(phrase.toks) == 1 and total >= 1.0:
        return 0.0, set()  # a single-word phrase matched whole is a full match, not a partial one
    first, last = min(span), max(span)
    if first > 0 and _content(msg[first - 1]) and (first - 1) not in span:
        return 0.0, set()
    if last + 1 < len(msg) and _content(msg[last + 1]) and (last + 1) not in span:
        return 0.0, set()  # "light rail": the matched word modifies a noun of the message
    return PARTIAL_BASE + PARTIAL_SPAN * total / len(content), span


def _subsumed(hits: dict[int, _Hit]) -> list[int]:
    """Services whose only evidence is words inside a longer name another service matched:
    "tox touch up" names the touch-up, not every service with the alias "tox"."""
    out = []
    for idx, hit in hits.items():
        if not hit.full or not hit.span:
            continue
        for other, o in hits.items():
            if (
                other != idx
                and o.full
                and o.score >= max(0.9, hit.score - 0.05)
                and hit.span < o.span
            ):
                out.append(idx)
                break
    return out


def match_services(
    text: str,
    services: Sequence[ServiceInfo],
    *,
    min_score: float = 0.65,
    similarity: Similarity = LEXICAL,
) -> list[ServiceMatch]:
    """Return the services ``text`` mentions, best first (ties keep the clinic's order).

    Each service is tried through its *phrases*: its name and aliases, plus the
    parts of each split at ``/``, ``|``, ``,``, `` - ``, `` or `` and parentheses. Message and
    phrase are normalised, plurals stemmed (``facials`` -> ``facial``) and repeated letters
    squeezed. Role words ("injector", "nurse") never match a service.

    Scoring (per service the best evidence wins):

    * **Full match** of a phrase against a window of consecutive message words: 1.0 when all
      words are equal; 0.97 when equal ignoring spaces (``hydra facial`` = ``hydrafacial``);
      otherwise typo similarity in [0.73, 0.95] word by word or on the joined letters. Typo
      allowance grows with length (1 edit up to 7 letters, 2 up to 10, 3 beyond; first letter
      must agree for words of 8 letters or fewer); words of three letters or fewer and
      frequent English words (:data:`COMMON_WORDS`) only match exactly. A single-word phrase
      that is itself a frequent word (alias ``"glow"`` is fine, alias ``"fill"`` is not) scores
      at most 0.6, under the default ``min_score``.
    * **Concern match**: a full match of one of the service's ``treats`` phrases, times 0.9.
    * **Partial (category) match**, tried only on words not used by a full match:
      ``0.55 + 0.3 * (fraction of the phrase's distinctive words present)``, at most 0.85,
      and never when a distinctive message word the phrase lacks modifies the matched words
      ("tattoo removal" is not "peach fuzz removal"). So with *Lip Filler* and *Cheek Filler*,
      ``"filler"`` returns both at 0.70, letting the caller ask which one.
    * A service matched only by words inside a longer phrase that fully matched another
      service is dropped: with *Lip Flip* and alias ``"lips"`` of *Lip Filler*, ``"lip flip"``
      returns Lip Flip alone.
    * **Field terms**: evidence inside a treatment name of the field vocabulary ("laser tattoo
      removal", "lip flip", "coolsculpting") counts only for a service of that term's
      category; a brand the clinic names only in a service's description reaches that
      service at 0.85.
    * **Areas**: a name or alias made only of body-area words ("cheeks") scores at most 0.7.
    * **Unoffered asks**: in "do you do X" / "how much is a X", when no service offers X by
      its head word (:mod:`agent.nlu._asked`), evidence inside X is dropped (unless a full
      name match of 0.9 or more) and the similarity fallback is skipped: "brazilian butt
      lift" is not the laser area "brazilian".
    * **Similarity fallback**, when no name, alias or brand matched: ``similarity`` of
      the text to each ``treats`` phrase, times 0.8 ("the lines on my forehead" ~ "forehead
      lines", "acne scarring on my cheeks" ~ "acne scars").
    * **Head word**, when nothing above reached ``min_score``: services whose concern
      phrases end in a distinctive word of the text score :data:`HEAD_SCORE` each ("the lines on
      my forehead" ~ "fine lines"; see :mod:`agent.nlu.concern_heads`).

    Args:
        text: the patient's message, raw.
        services: the clinic's services.
        min_score: matches below this are dropped (default 0.65).
        similarity: the fallback scorer (default lexical; an embedding model may plug in).

    Returns:
        One :class:`ServiceMatch` per mentioned service, sorted by score descending.
    """
    msg = [_ROLE if w in _ROLES else w for w in _words(text)]
    if not msg:
        return []
    hits = _evidence(msg, services, min_score)
    for idx in _subsumed(hits):
        del hits[idx]
    _apply_terms(hits, find_terms(msg), services)
    unoffered = unoffered_span(msg, services, text)
    _drop_modifiers(hits, unoffered)
    if not unoffered and all(
        h.via in ("area", "treats") for h in hits.values() if h.score >= min_score
    ):
        for idx, hit in _similar(text, services, similarity).items():
            if hit.score > hits.get(idx, hit).score or idx not in hits:
                hits[idx] = hit
        if not any(h.score >= min_score for h in hits.values()):
            for idx, phrase in head_hits(text, services).items():
                hits[idx] = _Hit(HEAD_SCORE, phrase, set(), "similar", False)
    ranked = sorted(hits.items(), key=lambda kv: (-kv[1].score, kv[0]))
    return [
        ServiceMatch(services[idx].id, round(h.score, 4), h.matched, h.via)
        for idx, h in ranked
        if h.score >= min_score
    ]


def _evidence(msg: list[str], services: Sequence[ServiceInfo], min_score: float) -> dict[int, _Hit]:
    """Best full (name, alias or ``treats``) or partial match per service index."""
    hits: dict[int, _Hit] = {}
    used: set[int] = set()
    for idx, service in enumerate(services):
        tries = [(p, 1.0, "name") for p in _phrases(service)]
        tries += [(p, TREATS_WEIGHT, "treats") for p in _treat_phrases(tuple(service.treats))]
        for phrase, weight, via in tries:
            raw, span = _full_match(msg, phrase)
            score = raw * weight
            if via == "name" and all(t in _AREAS for t in phrase.toks):
                score, via = min(score, AREA_SCORE), "area"
            old = hits.get(idx)
            if score and (old is None or score > old.score):
                hits[idx] = _Hit(score, phrase.display, set(span), via, True)
            elif score and old is not None and score == old.score and len(span) > len(old.span):
                old.span = set(span)
            if raw >= max(0.73, min_score):
                used.update(span)
    for idx, service in enumerate(services):
        for phrase in _phrases(service):
            part, where = _partial_match(msg, used, phrase)
            old = hits.get(idx)
            if part and (old is None or part > old.score):
                hits[idx] = _Hit(part, phrase.display, where, "name", False)
    return hits


def _drop_modifiers(hits: dict[int, _Hit], asked: set[int]) -> None:
    """Drop evidence that lies inside a treatment the patient asked about by name and no
    service offers by its head word: "brazilian" of "how much is a brazilian butt lift" is
    not the laser area "brazilian" (a full name match of 0.9 or more stays: "b12 shot")."""
    if not asked:
        return
    for idx in list(hits):
        hit = hits[idx]
        if (
            hit.span
            and hit.span <= asked
            and not (hit.via == "name" and hit.full and hit.score >= 0.9)
        ):
            del hits[idx]


def _apply_terms(
    hits: dict[int, _Hit], terms: list[TermHit], services: Sequence[ServiceInfo]
) -> None:
    """Drop evidence inside a field term of another category; add services whose own text
    names a brand the patient used."""
    for term in terms:
        inside = set(term.span)
        for idx in list(hits):
            hit = hits[idx]
            foreign = hit.span & inside and category_of(services[idx]) != term.category_id
            if foreign and not (hit.full and inside <= hit.span):
                del hits[idx]
        if term.term.kind == "common" or any(h.span & inside for h in hits.values()):
            continue
        for idx, service in enumerate(services):
            if idx not in hits and names_term(service, term.term):
                hits[idx] = _Hit(NAMED_BRAND_SCORE, term.term.text, inside, "brand", False)


def _similar(text: str, services: Sequence[ServiceInfo], similarity: Similarity) -> dict[int, _Hit]:
    """The similarity fallback: each service's best ``treats`` phrase."""
    hits: dict[int, _Hit] = {}
    for idx, service in enumerate(services):
        if not service.treats:
            continue
        scores = similarity.scores(text, service.treats)
        best = max(range(len(scores)), key=lambda i: scores[i])
        if scores[best] > 0:
            hits[idx] = _Hit(
                scores[best] * SIMILAR_WEIGHT, service.treats[best], set(), "similar", False
            )
    return hits


def unmet_terms(text: str, services: Sequence[ServiceInfo]) -> list[TermHit]:
    """Field terms in ``text`` that no matched service answers (in message order).

    ``"do you do coolsculpting"`` at a clinic without it returns the CoolSculpting term;
    ``"botox"`` at a clinic whose services name Botox returns nothing. A generic name or a
    concern is answered by any matched service of its category, and a concern by any
    matched service at all (the clinic's own ``treats`` spoke first).
    """
    msg = [_ROLE if w in _ROLES else w for w in _words(text)]
    matched = {m.service_id for m in match_services(text, services)}
    cats = {category_of(s) for s in services if s.id in matched}
    out = []
    for term in find_terms(msg):
        kind = term.term.kind
        if kind == "concern" and matched:
            continue
        if kind in ("common", "concern") and term.category_id in cats:
            continue
        if any(s.id in matched and names_term(s, term.term) for s in services):
            continue
        out.append(term)
    return sorted(out, key=lambda t: t.span.start)
