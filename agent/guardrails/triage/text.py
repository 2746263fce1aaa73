"""A patient's text as the triage reads it: sentences of clean tokens, typos mended.

Patients in trouble text fast: ``"cant breath"``, ``"my throat is swolen"``, ``"VISON IS
BLURY"``, no punctuation, several texts in one burst. :func:`prepare` lowercases, drops
apostrophes (``"can't"`` reads as ``"cant"``), splits the text into sentences (at ``. ! ?
;``, line breaks and emoji runs) and each sentence into tokens, keeping commas as tokens
because they bound a negation's reach. A token that is not an English word is mended to the
red-flag word it is one typo away from (:func:`mend`), so the lexicon is written once, in
correct spelling.

Which words are English comes from ``pyspellchecker``'s frequency list (a maintained,
pure-Python word list built from OpenSubtitles; https://pyspellchecker.readthedocs.io); a
known word is never "corrected", so ``"write"`` stays ``"write"`` while ``"whte"`` becomes
``"white"``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from agent.nlu._lexicon import COMMON_WORDS, FILLER_WORDS, close_enough, squeeze

__all__ = ["Sentence", "mend", "prepare", "warm", "words"]


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a set."""
    return frozenset(text.split())


#: Laughter and joking markers, read before emoji are dropped.
_LAUGH_EMOJI = re.compile(
    "[\U0001f602\U0001f923\U0001f480\U0001f606\U0001f61c\U0001f92a\U0001f60d\U0001f970\U0001f929]"
)
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'"})
# Sentence ends: . ! ? ; and line breaks; a dot between digits ("2.5") is not one.
_SENTENCE_END = re.compile(r"(?<!\d)[.!?;]+|[.!?;]+(?!\d)|\n+")
_EMOJI_RUN = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]+")
_TOKEN = re.compile(r"[a-z0-9]+(?:[./:][0-9]+)*|,")


@dataclass(frozen=True)
class Sentence:
    """One sentence of the text.

    Attributes:
        tokens: lowercase words (apostrophes dropped, typos mended) and ``","`` marks.
        text: the tokens joined by single spaces, what the lexicon's patterns run over.
        laughing: the sentence carries a laughter marker (``lol``, ``haha``, a crying-laughing
            or skull emoji).
    """

    tokens: tuple[str, ...]
    text: str
    laughing: bool

    def token_at(self, char_index: int) -> int:
        """The index of the token that starts at or contains ``char_index`` of :attr:`text`."""
        return self.text.count(" ", 0, char_index)


_LAUGH_WORD = re.compile(r"^(?:lo+l[ol]*|lmf?a+o+|rofl|ha(?:ha)+h?|he(?:he)+|jk|xd)$")


def prepare(text: str) -> list[Sentence]:
    """Split ``text`` into :class:`Sentence` objects, in order; empty sentences are dropped."""
    flat = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    sentences: list[Sentence] = []
    for chunk in _SENTENCE_END.split(flat):
        for part in _EMOJI_RUN.split(chunk) if not _LAUGH_EMOJI.search(chunk) else [chunk]:
            laughing = bool(_LAUGH_EMOJI.search(part))
            lowered = _spanish(_EMOJI_RUN.sub(" ", part).lower().replace("'", ""))
            words = _TOKEN.findall(lowered.replace("-", " "))
            tokens = tuple(mend(w) if w != "," else w for w in words)
            tokens = _trim_commas(tokens)
            if not tokens:
                continue
            laughing = laughing or any(_LAUGH_WORD.match(t) for t in tokens)
            sentences.append(Sentence(tokens, " ".join(tokens), laughing))
    return sentences


#: Spanish the patients of US clinics often mix in ("mi labio se ve blanco", "no puedo
#: respirar"): read as the English the lexicon is written in. Phrases first, then words.
_SPANISH_PHRASES = (
    (r"\bno (?:puedo|puede|podemos) respirar(?: bien)?\b", "cant breathe"),
    (r"\bme cuesta (?:mucho )?respirar\b|\bfalta de aire\b", "hard to breathe"),
    (r"\bno (?:puedo|puede) tragar\b|\bme cuesta (?:mucho )?tragar\b", "hard to swallow"),
    (r"\bno (?:puedo|puede) hablar(?: bien)?\b", "cant talk right"),
    (r"\bme duele mucho\b|\bduele mucho\b|\bmucho dolor\b", "hurts so bad"),
    (r"\bdolor (?:de|en el) pecho\b", "chest pain"),
    (r"\bveo doble\b", "double vision"),
    (r"\bno (?:veo|puedo ver|puede ver)\b", "cant see out of"),
    (r"\bvista borrosa\b|\bveo borroso\b", "blurry vision"),
    (r"\bse ve\b|\bse puso\b|\bse esta poniendo\b", "looks"),
    (r"\bme quiero morir\b|\bquiero morir(?:me)?\b", "want to die"),
    (r"\bmatarme\b|\bquitarme la vida\b", "kill myself"),
    (r"\bme desmaye\b|\bse desmayo\b", "passed out"),
    (r"\bno (?:puede|puedo) (?:levantar|mover) el brazo\b", "cant lift my arm"),
    (r"\b(?:esta |estoy )?temblando(?: toda| todo)?\b", "shaking all over"),
    (r"\bno responde\b", "not responding"),
    (r"\b(?:ya )?no quiero vivir\b", "dont want to live"),
    (r"\bse puso muy\b", "turned very"),
    (r"\bme duele horrible\b", "hurts so bad"),
)
_SPANISH_WORDS = {
    "mi": "my",
    "labio": "lip",
    "labios": "lips",
    "nariz": "nose",
    "cara": "face",
    "mejilla": "cheek",
    "ojo": "eye",
    "ojos": "eyes",
    "garganta": "throat",
    "lengua": "tongue",
    "pecho": "chest",
    "blanco": "white",
    "blanca": "white",
    "morado": "purple",
    "morada": "purple",
    "azul": "blue",
    "gris": "gray",
    "palido": "pale",
    "palida": "pale",
    "hinchado": "swollen",
    "hinchada": "swollen",
    "ronchas": "hives",
    "mareado": "dizzy",
    "mareada": "dizzy",
    "raro": "weird",
    "rara": "weird",
    "voz": "voice",
    "cerrando": "closing",
    "apretada": "tight",
    "apretado": "tight",
    "hija": "daughter",
    "hijo": "son",
    "brazo": "arm",
    "frio": "cold",
    "fria": "cold",
    "esposo": "husband",
    "esposa": "wife",
    "mama": "mom",
    "suero": "drip",
}
_SPANISH_WORD = re.compile(r"\b(?:" + "|".join(_SPANISH_WORDS) + r")\b")


def _spanish(text: str) -> str:
    """``text`` with the Spanish of :data:`_SPANISH_PHRASES` and :data:`_SPANISH_WORDS` read
    as English."""
    for pattern, english in _SPANISH_PHRASES:
        text = re.sub(pattern, english, text)
    return _SPANISH_WORD.sub(lambda m: _SPANISH_WORDS[m.group(0)], text)


def _trim_commas(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Drop leading, trailing and repeated commas."""
    out: list[str] = []
    for t in tokens:
        if t == "," and (not out or out[-1] == ","):
            continue
        out.append(t)
    while out and out[-1] == ",":
        out.pop()
    return tuple(out)


#: Words the red-flag lexicon is written in that patients often misspell; a token one typo
#: away from one of these (and not itself English) is read as it.
KEY_WORDS = words("""
    breathe breathing breath breathless throat tongue airway swallow swallowing swallowed
    swelling swollen swell vision blurry blurred blurriness double seeing sight eyesight
    allergic allergy reaction anaphylaxis anaphylactic epipen hives wheezing wheezy dizzy
    lightheaded faint fainted fainting unconscious unresponsive collapsed numbness numb weakness
    drooping droopy slurred slurring speech speaking talking seizure seizing convulsing bleeding
    suicide suicidal myself purple purplish bluish blue mottled blanching blanched dusky pale
    white whitish gray grey greyish grayish chest pressure tightness tight vomiting vomit
    headache excruciating unbearable severe terrible horrible swallow difficulty trouble
    emergency injection injected filler fillers botox dysport xeomin bruising bruise bruised
    infection infected pregnant pregnancy breastfeeding ibuprofen medication tylenol aspirin
    paralyzed paralysis necrosis occlusion discolored discoloration spreading worse worsening
    hurts hurting painful pain burning throbbing tingling itching itchy rash blister blisters
    scab eyelid eyebrow forehead cheek nose lips injector needle swollen closing
    constricted hoarse voice choking gasping heart racing pounding palpitations pressure
    nauseous nausea stomach cramps confused disoriented blindness blind vomited
    """)


@cache
def _english() -> frozenset[str]:
    """Known English words (lowercase), loaded once (about 0.15 s, a few MB)."""
    from spellchecker import SpellChecker

    return frozenset(SpellChecker().word_frequency.dictionary)


def warm() -> None:
    """Load the English word list now (about 0.15 s), so the first text a worker triages is
    not the one that pays for it."""
    _english()


@lru_cache(maxsize=8192)
def mend(word: str) -> str:
    """``word``, or the :data:`KEY_WORDS` entry it misspells.

    Repeated letters are squeezed first (``"throaaat"`` -> ``"throaat"``). A word that is
    English, common in texts, shorter than four letters or not alphabetic is kept. Otherwise
    the closest key word within :func:`agent.nlu._lexicon.close_enough`'s typo allowance is
    returned (ties go to the first in sorted order), else the squeezed word.
    """
    word = squeeze(word)
    if not word.isalpha() or word in KEY_WORDS:
        return word
    if re.search(r"(.)\1", word) and word not in _english():
        single = re.sub(r"(.)\1", r"\1", word)  # "sooo" -> "soo" -> "so", "pleasee"
        if single in _english() or single in COMMON_WORDS:
            return single
    if len(word) < 4:
        return word
    if word in COMMON_WORDS or word in FILLER_WORDS or word in _english():
        return word
    collapsed = re.sub(r"(.)\1", r"\1", word)
    if collapsed in KEY_WORDS:
        return collapsed
    best, score = word, 0.0
    for key in sorted(KEY_WORDS):
        s = close_enough(word, key)
        if s > score:
            best, score = key, s
    return best
