"""Private: a phrase of a clinic's or the field's vocabulary matched against a window of
message words (typo-tolerant, spacing-tolerant). Shared by :mod:`agent.nlu.services` and
:mod:`agent.nlu.catalog`."""

from __future__ import annotations

from dataclasses import dataclass

from agent.nlu._lexicon import COMMON_WORDS, close_enough, squeeze, stem
from agent.nlu.text import tokens

FULL_COMMON_SCORE = 0.6


@dataclass(frozen=True)
class Phrase:
    """A phrase as shown (``display``) and as matched (normalised, stemmed ``toks``)."""

    display: str
    toks: tuple[str, ...]

    @property
    def compact(self) -> str:
        """The phrase's letters without spaces ("hydra facial" -> "hydrafacial")."""
        return "".join(self.toks)


def words(text: str) -> list[str]:
    """``text`` as matching words: normalised tokens, repeats squeezed, plurals stemmed."""
    return [stem(squeeze(t)) for t in tokens(text)]


def token_sim(msg: str, phrase: str) -> float:
    """Similarity of one message word and one phrase word (frequent words only exactly)."""
    if msg == phrase:
        return 1.0
    if msg in COMMON_WORDS or phrase in COMMON_WORDS:
        return 0.0
    return close_enough(msg, phrase)


def full_match(msg: list[str], phrase: Phrase) -> tuple[float, range]:
    """Best score in [0, 1] of ``phrase`` against any window of ``msg`` and that window's
    word positions (``range(0)`` when nothing matched)."""
    n = len(phrase.toks)
    best, span = 0.0, range(0)
    for size in range(max(1, n - 1), n + 2):
        for i in range(0, len(msg) - size + 1):
            window = msg[i : i + size]
            if size == n:
                sims = [token_sim(a, b) for a, b in zip(window, phrase.toks, strict=True)]
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
