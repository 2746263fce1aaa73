"""Private word lists and small helpers shared by the :mod:`agent.nlu` modules.

These are general English/calendar vocabularies (weekday and month names, number words,
common SMS words), never a particular clinic's vocabulary.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein


def _w(words: str) -> list[str]:
    return words.split()


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_LABELS = tuple(n.capitalize() for n in WEEKDAY_NAMES)
_WEEKDAY_EXTRA = {"weds": 2, "wensday": 2, "wendsday": 2, "thrs": 3, "thr": 3, "tues": 1}

MONTH_NAMES = tuple(
    _w("january february march april may june july august september october november december")
)
MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_EXTRA = {"sept": 9}

NUMBER_WORDS = dict(
    zip(
        _w("a an one two three four five six seven eight nine ten eleven twelve couple few"),
        (1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2, 3),
        strict=True,
    )
)

ORDINAL_WORDS = {
    w: i + 1
    for i, w in enumerate(_w("first second third fourth fifth sixth seventh eighth ninth tenth"))
}

# Frequent words of patient texts. Never fuzzy-matched against a clinic's names, so that a
# one-letter typo distance ("later" ~ "laser", "feel" ~ "peel") cannot invent a service.
COMMON_WORDS = frozenset(
    _w(
        "a about above after again against all also am an and any anyone anything anytime are "
        "around as ask at available away back bad be because been before being best better between "
        "big book booked booking both but by call came can cancel cant care change cheap check "
        "close come coming cost could day days deal did do does doing done dont down during each "
        "early earlier either else even evening ever every face feel feeling few fill find fine "
        "first for free friday from full get getting give go going good got great had has have "
        "having he hello help her here hey hi him his hold home hour hours how i id if ill im in "
        "info into is it its just keep kind know last late later least left less let lets like "
        "little long look looking lot love made make many may maybe me mean meant mine month more "
        "morning most much my name near need new next nice night no none noon not now number of off "
        "ok okay on once one only open or other our out over pay people per perhaps pick place "
        "please plus price quick rather ready real really right same saturday say see seen she "
        "should show since size slot so some someone something soon sooner sorry start still sunday "
        "sure take talk tell than thank thanks that the their them then there these they thing "
        "things think this those thursday time times to today tomorrow tonight too tuesday two up "
        "us use very wait want was way we wednesday week weekend well went were what when where "
        "which while who why will wish with work works would yeah yes yet you your line lines skin "
        "body area areas feel real deal heal seal fell fill film fit fix later latest lover lower "
        "liver"
    )
)

# Frequent English verbs, adjectives and texting fillers that carry no topic of their own.
# A question whose remaining words are all known to the clinic's records is on a topic the
# clinic wrote about; see :func:`agent.offline.records.answerable`.
FILLER_WORDS = frozenset(
    _w(
        "said says saying tell told still done doing gonna wanna gotta kinda sorta guys yall "
        "thing things stuff actually anyway honestly literally basically probably definitely "
        "totally super pretty rn tbh btw lol omg idk pls plz thx hey hello also just maybe take "
        "taking took make makes made give gives gave need needs needed know knew think thought "
        "wondering wonder curious question questions asking ask asked quick real okay ok sure "
        "allowed able possible okay fine safe usually normally typically generally still still "
        "able offer offers provide provides accept accepts wait someone anyone everyone people "
        "friend friends sister mom husband wife boyfriend girlfriend coworker happen happens "
        "happened happening"
    )
)

_REPEATS = re.compile(r"(.)\1{2,}")


def squeeze(word: str) -> str:
    """Collapse runs of 3+ identical letters to one pair (``"yesss"`` -> ``"yess"``)."""
    return _REPEATS.sub(r"\1\1", word)


def stem(word: str) -> str:
    """A light plural stemmer: ``facials``->``facial``, ``peels``->``peel``, ``lips``->``lip``.

    Only strips a final ``s`` (or ``es`` after s/x/z/ch/sh, ``ies``->``y``) from words of four
    letters or more that do not end in ``ss``/``us``/``is``; possessive ``'s`` is dropped.
    """
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) < 4 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def close_enough(a: str, b: str) -> float:
    """Similarity of two words in [0, 1], with a length-dependent typo allowance.

    Exact match -> 1.0. Words of 3 letters or fewer must match exactly. Otherwise the allowed
    Levenshtein distance is 1 up to 7 letters, 2 for 8-10 and 3 beyond; words of up to 8
    letters must also share their first letter. Within the allowance the score is
    ``1 - distance / max(len)`` scaled into [0.75, 0.95]; outside it 0.0.
    """
    if a == b:
        return 1.0
    n = max(len(a), len(b))
    if min(len(a), len(b)) <= 3:
        return 0.0
    allowed = 1 if n <= 7 else (2 if n <= 10 else 3)
    if n <= 8 and a[0] != b[0]:
        return 0.0
    dist = Levenshtein.distance(a, b, weights=(1, 1, 1))
    if dist > allowed:
        # a transposition ("thrusday") counts as one edit
        if dist == 2 and allowed == 1 and _one_transposition(a, b):
            dist = 1
        else:
            return 0.0
    return 0.75 + 0.2 * (1.0 - dist / n)


def _one_transposition(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]


def weekday_of(word: str) -> int | None:
    """The weekday (0=Mon) a single token names, typo-tolerant, else None.

    Accepts full names and plurals (``"fridays"``), prefixes of three letters or more
    (``"thu"``, ``"thurs"``, ``"wed"``), a few spelled-out variants (``"weds"``, ``"wensday"``)
    and names within :func:`close_enough` (``"thrusday"``, ``"firday"``).
    """
    w = word[:-1] if len(word) > 6 and word.endswith("s") else word
    if w in _WEEKDAY_EXTRA:
        return _WEEKDAY_EXTRA[w]
    for i, name in enumerate(WEEKDAY_NAMES):
        if len(w) >= 3 and name.startswith(w):
            return i
    if len(w) >= 5:
        for i, name in enumerate(WEEKDAY_NAMES):
            if close_enough(w, name) > 0:
                return i
    return None


def month_of(word: str) -> int | None:
    """The month (1-12) a single token names (``"dec"``, ``"december"``, ``"decmber"``)."""
    if word in _MONTH_EXTRA:
        return _MONTH_EXTRA[word]
    for i, name in enumerate(MONTH_NAMES):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return i + 1
    if len(word) >= 5:
        for i, name in enumerate(MONTH_NAMES):
            if len(name) >= 5 and close_enough(word, name) > 0:
                return i + 1
    return None
