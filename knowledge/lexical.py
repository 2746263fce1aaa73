"""Lexical ranking for patient texts: normalisation, stemming, BM25F, typo and alias expansion.

Patients text in lower case, with typos, shorthand and no punctuation ("do u validate parkng").
A query is normalised (texting shorthand, apostrophes), stop words are dropped and the rest
Snowball-stemmed. Each remaining word is a *concept* with alternatives:

* the word's stem, when the clinic's own vocabulary has it;
* otherwise close words from that vocabulary (rapidfuzz), or the two halves of a run-together
  compound ("hydrafacial" / "hydra facial");
* the names and aliases of any service the query names (from the clinic file), at a lower
  weight, so "tox" also finds passages that only say "Botox".

Passages are scored with BM25F over three fields (title, heading, body); FAQ chunks get a boost
for how well their question and the query cover each other. ``coverage`` (how much of the
query's IDF mass a passage contains) is the calibrated signal behind ``best_answer``.
Nothing here knows any particular clinic: all vocabulary comes from the clinic's own rows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

# Field weights and length normalisation for BM25F; FAQ question-match boost.
FIELD_WEIGHTS = {"title": 2.5, "heading": 1.5, "body": 1.0}
FIELD_B = {"title": 0.5, "heading": 0.5, "body": 0.75}
K1 = 1.2
FAQ_BOOST = 0.6
ALIAS_WEIGHT = 0.4
COMPOUND_WEIGHT = 0.8
MAX_FUZZY = 3

# General English stop words plus texting filler; never clinic vocabulary.
STOP_WORDS = frozenset(
    """a about above after again all am an and any anything are aren as at be because been
    before being below between both but by can cant could did didnt do does doesnt doing dont
    each few for from further had has have having he her here hers herself him himself his how
    i id if ill im in into is isnt it its itself ive just let lets me might more most must my
    myself no nor not now of off on once only or other our ours ourselves out over own same
    shall she should so some such than that thats the their theirs them themselves then there
    these they this those through to too under until up very was we were what whats when where
    which while who whom why will with wont would you your yours yourself yourselves yall ya
    wheres hows whos whens whys theres heres
    hi hey hello hiya thanks thank please ok okay yes yeah yep guys gonna wanna gotta also
    really actually maybe kinda sorta get got getting like one thing things know need want
    wondering question quick anyone someone much many still ever even tho though lot lots
    able sure go going""".split()  # noqa: SIM905
)

# Texting shorthand -> the word it stands for (general SMS usage, not clinic vocabulary).
SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "yr": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thanks",
    "b4": "before",
    "bc": "because",
    "cuz": "because",
    "abt": "about",
    "appt": "appointment",
    "appts": "appointments",
    "hr": "hour",
    "hrs": "hours",
    "min": "minutes",
    "mins": "minutes",
    "wk": "week",
    "wks": "weeks",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "2day": "today",
    "txt": "text",
    "msg": "message",
    "ppl": "people",
    "info": "information",
    "w": "with",
    "wo": "without",
    "rn": "now",
    "idk": "know",
    "bday": "birthday",
    "pic": "photo",
    "pics": "photos",
}

_APOSTROPHE = re.compile(r"['\u2019\u2018`]")
_TOKEN = re.compile(r"[a-z0-9]+")
_STEMMER = snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case ASCII word tokens of ``text`` with apostrophes dropped ("don't" -> "dont")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _TOKEN.findall(_APOSTROPHE.sub("", text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (English) stem of a lower-case word."""
    return str(_STEMMER.stemWord(word))


def content_stems(text: str) -> list[str]:
    """Stems of ``text``'s non-stop words, in order (shorthand expanded first)."""
    out = []
    for w in words(text):
        w = SHORTHAND.get(w, w)
        if w not in STOP_WORDS:
            out.append(stem(w))
    return out


@dataclass(frozen=True)
class Concept:
    """One query word and the weighted stems that count as matching it."""

    word: str
    alternatives: dict[str, float]


@dataclass
class LexicalIndex:
    """A BM25F inverted index over one clinic's passages.

    Build it with :meth:`build`; ``fields`` is one ``{"title", "heading", "body"}`` mapping
    per passage, ``faq`` marks FAQ passages, ``phrases`` are the clinic's service name/alias
    groups (one tuple per service) used for alias expansion.
    """

    n: int
    postings: dict[str, list[tuple[int, float]]]
    idf: dict[str, float]
    doc_terms: list[frozenset[str]]
    faq_question: dict[int, Counter[str]]
    surface: dict[str, str]  # vocabulary word -> stem
    compounds: dict[str, tuple[str, str]]  # "hydrafacial" -> ("hydra", "facial") stems
    services: list[tuple[tuple[tuple[str, ...], ...], dict[str, float]]]
    _vocab_list: list[str] = field(default_factory=list)
    _fuzzy_cache: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        fields: Sequence[dict[str, str]],
        faq: Sequence[bool],
        phrases: Sequence[Sequence[str]] = (),
    ) -> LexicalIndex:
        """Index passages. ``fields[i]`` maps field name -> text; ``faq[i]`` marks FAQs."""
        n = len(fields)
        surface: dict[str, str] = {}
        compounds: dict[str, tuple[str, str]] = {}
        tfs = [_field_counts(doc, surface, compounds) for doc in fields]
        postings, doc_terms = _postings(tfs)
        idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}
        faq_question = {i: tfs[i]["title"] for i in range(n) if faq[i]}
        services = _service_expansions(phrases, surface)
        # Compounds that are themselves words need no splitting.
        compounds = {k: v for k, v in compounds.items() if k not in surface}
        return cls(
            n=n,
            postings=postings,
            idf=idf,
            doc_terms=doc_terms,
            faq_question=faq_question,
            surface=surface,
            compounds=compounds,
            services=services,
            _vocab_list=sorted(surface),
        )

    @property
    def max_idf(self) -> float:
        """The IDF a term found in no passage would have."""
        return math.log(1 + (self.n + 0.5) / 0.5)

    def _fuzzy(self, word: str) -> list[tuple[str, float]]:
        """Vocabulary stems close to an out-of-vocabulary ``word``, with similarity 0..1."""
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word]
        out: list[tuple[str, float]] = []
        if len(word) >= 4 and not word.isdigit():
            cutoff = 74.0 if len(word) <= 5 else 80.0
            hits = process.extract(
                word, self._vocab_list, scorer=fuzz.ratio, score_cutoff=cutoff, limit=MAX_FUZZY
            )
            best: dict[str, float] = {}
            for cand, score, _ in hits:
                s = self.surface[cand]
                if s in self.idf:
                    best[s] = max(best.get(s, 0.0), score / 100.0)
            out = sorted(best.items(), key=lambda kv: -kv[1])
        self._fuzzy_cache[word] = out
        return out

    def concepts(self, query: str) -> list[Concept]:
        """The query's concepts with their weighted alternative stems (see module doc)."""
        raw = [SHORTHAND.get(w, w) for w in words(query)]
        toks = [w for w in raw if w not in STOP_WORDS]
        concepts: list[Concept] = []
        for i, w in enumerate(toks):
            s = stem(w)
            alts: dict[str, float] = {}
            if s in self.idf:
                alts[s] = 1.0
            elif w in self.compounds:
                for part in self.compounds[w]:
                    if part in self.idf:
                        alts[part] = COMPOUND_WEIGHT
            else:
                for cand, sim in self._fuzzy(w):
                    alts[cand] = sim * sim * 0.9
            # "hydra facial" written apart where the clinic writes "hydrafacial".
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and (w + nxt) in self.surface:
                joined = self.surface[w + nxt]
                if joined in self.idf:
                    alts[joined] = max(alts.get(joined, 0.0), 1.0)
            concepts.append(Concept(w, alts))
        self._expand_services(concepts)
        return concepts

    def _expand_services(self, concepts: list[Concept]) -> None:
        """Add each named service's other names/aliases to the concepts that named it."""
        seq = [
            {stem(c.word), *(a for a, wt in c.alternatives.items() if wt >= 0.5)} for c in concepts
        ]
        for phrases, expansion in self.services:
            for phrase in phrases:
                n = len(phrase)
                for start in range(len(seq) - n + 1):
                    if all(phrase[j] in seq[start + j] for j in range(n)):
                        for j in range(n):
                            alts = concepts[start + j].alternatives
                            for term, wt in expansion.items():
                                if term in self.idf and alts.get(term, 0.0) < wt:
                                    alts[term] = wt

    def score(self, concepts: Sequence[Concept]) -> dict[int, float]:
        """BM25F score of every passage matching any alternative, with the FAQ boost.

        A concept contributes the best of its alternatives in a passage (not their sum), so a
        passage listing many aliases of one service does not outrank one that answers.
        """
        scores: dict[int, float] = {}
        for c in concepts:
            best: dict[int, float] = {}
            for term, wt in c.alternatives.items():
                factor = wt * self.idf[term]
                for doc, sat in self.postings.get(term, ()):
                    value = factor * sat
                    if value > best.get(doc, 0.0):
                        best[doc] = value
            for doc, value in best.items():
                scores[doc] = scores.get(doc, 0.0) + value
        for doc in scores:
            question = self.faq_question.get(doc)
            if question:
                scores[doc] *= 1 + FAQ_BOOST * self._question_match(concepts, question)
        return scores

    def _question_match(self, concepts: Sequence[Concept], question: Counter[str]) -> float:
        """How well an FAQ question and the query cover each other (0..1, product of both)."""
        q_total = sum(self.idf.get(t, 0.0) for t in question)
        if not q_total:
            return 0.0
        hit_terms: set[str] = set()
        for c in concepts:
            hit_terms.update(t for t, wt in c.alternatives.items() if wt >= 0.5 and t in question)
        q_cov = sum(self.idf.get(t, 0.0) for t in hit_terms) / q_total
        return q_cov * self.coverage(concepts, frozenset(question))

    def coverage(self, concepts: Sequence[Concept], terms: Iterable[str]) -> float:
        """The share (0..1) of the query's IDF mass that a passage with ``terms`` matches.

        Each concept weighs the IDF of its own stem (or the highest possible IDF when the
        clinic never uses the word, so an unknown word counts heavily against a match) and is
        credited by its best matching alternative's weight.
        """
        present = terms if isinstance(terms, frozenset) else frozenset(terms)
        total = matched = 0.0
        for c in concepts:
            own = stem(c.word)
            weight = self.idf.get(own, self.max_idf)
            total += weight
            credit = max((wt for t, wt in c.alternatives.items() if t in present), default=0.0)
            matched += weight * min(credit, 1.0)
        return matched / total if total else 0.0


def _field_counts(
    doc: dict[str, str], surface: dict[str, str], compounds: dict[str, tuple[str, str]]
) -> dict[str, Counter[str]]:
    """Stem counts per field of one passage; records each word's stem in ``surface`` and
    adjacent word pairs that may be written as one word in ``compounds``."""
    per: dict[str, Counter[str]] = {}
    for name in FIELD_WEIGHTS:
        toks = [w for w in words(doc.get(name, "")) if w not in STOP_WORDS]
        for a, b in zip(toks, toks[1:], strict=False):
            if len(a) > 1 and len(b) > 1 and not (a.isdigit() or b.isdigit()):
                compounds.setdefault(a + b, (stem(a), stem(b)))
        stems = []
        for w in toks:
            s = stem(w)
            surface.setdefault(w, s)
            stems.append(s)
        per[name] = Counter(stems)
    return per


def _postings(
    tfs: Sequence[dict[str, Counter[str]]],
) -> tuple[dict[str, list[tuple[int, float]]], list[frozenset[str]]]:
    """BM25F postings (term -> [(passage, saturated weighted tf)]) and each passage's terms."""
    n = len(tfs)
    lengths = {name: float(sum(sum(per[name].values()) for per in tfs)) for name in FIELD_WEIGHTS}
    avg = {name: (lengths[name] / n if n else 0.0) or 1.0 for name in FIELD_WEIGHTS}
    postings: dict[str, list[tuple[int, float]]] = {}
    doc_terms: list[frozenset[str]] = []
    for i, per in enumerate(tfs):
        pseudo: dict[str, float] = {}
        for name, counts in per.items():
            size = sum(counts.values())
            norm = 1 - FIELD_B[name] + FIELD_B[name] * size / avg[name]
            for term, count in counts.items():
                pseudo[term] = pseudo.get(term, 0.0) + FIELD_WEIGHTS[name] * count / norm
        for term, tf in pseudo.items():
            postings.setdefault(term, []).append((i, tf / (K1 + tf)))
        doc_terms.append(frozenset(pseudo))
    return postings, doc_terms


def _service_expansions(
    phrases: Sequence[Sequence[str]], surface: dict[str, str]
) -> list[tuple[tuple[tuple[str, ...], ...], dict[str, float]]]:
    """Per service, its names' stem sequences and the query expansion they trigger; their
    words join the vocabulary (``surface``)."""
    services = []
    for group in phrases:
        seqs = tuple(t for t in (tuple(content_stems(p)) for p in group) if t)
        expansion: dict[str, float] = {}
        for seq in seqs:
            for s in seq:
                expansion[s] = ALIAS_WEIGHT
        if seqs:
            services.append((seqs, expansion))
        for p in group:
            for w in words(p):
                if w not in STOP_WORDS:
                    surface.setdefault(w, stem(w))
    return services
