"""How many people a booking text is for: "me and my friend", "3 of us", "my mom wants one too".

A group request is read with a small grammar, not a list of phrases:

* a **total** counts the texter in: a number with a word for people ("3 of us", "2 ppl",
  "party of 4", "we're 2", "the two of us", "2 at the same time"), or "both" ("we both", "my sister and I both");
* **companions** do not: each relation noun ("my friend", "a coworker", "my mom and sister")
  is one person, a number before a people noun ("2 friends", "3 girls") is that many, and a
  plural without a number ("my friends and I") is "several, count not said";
* companions count only when joined to the texter in the same phrase ("me and my friend",
  "my sister and I", "my mom wants one too", "can my bf come too", "bringing 2 friends"): "my
  mom wants botox" books for mom alone, and a story that mentions a sister, a husband and
  the kids books for the texter.

"just me" / "only one of us" is a party of one (it ends a group). A number is a quantity
here only beside a people word, so "2" alone stays a pick or a time for the other readers.
The relation nouns are field vocabulary (who patients bring), kept in this one module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.nlu.text import normalize

__all__ = ["Party", "count_word", "party_of"]

_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple": 2,
    "pair": 2,
}
_NUM = r"(?P<n>\d{1,2}|" + "|".join(_NUMBERS) + r")"
#: People a patient brings, singular (each counts as one companion).
_RELATIONS = (
    "friend|bff|bestie|bestfriend|bf|gf|boyfriend|girlfriend|husband|hubby|wife|wifey|partner|"
    "fiance|fiancee|spouse|sister|sis|brother|bro|mom|mum|mother|mommy|momma|dad|father|"
    "daughter|son|aunt|auntie|uncle|niece|nephew|cousin|grandma|grandmother|granddaughter|"
    "coworker|colleague|roommate|roomie|neighbor|bride|bridesmaid|maid of honor|"
    "mother in law|mil|sister in law|sil|daughter in law|stepmom|stepdaughter|twin|buddy|pal|"
    "client|guest|plus one"
)
#: People brought along, plural: a count before them says how many, none means "several".
_PLURALS = (
    r"friends|frens|girls|ladies|gals|guys|sisters|brothers|cousins|coworkers|bridesmaids|"
    r"besties|kids|daughters|sons|family|parents|people|ppl|others|girlfriends|boys"
)
_COUNT = r"(?:\d{1,2}|" + "|".join(_NUMBERS) + r")"
_DET = r"(?:my|a|an|our|the|her|his)"
#: One companion phrase: "my mom", "a friend", "2 friends", "my best friend", "the girls".
_NP = (
    rf"(?:(?:{_DET}\s+)?(?:{_COUNT}\s+(?:of\s+(?:my|our)\s+)?)?"
    rf"(?:(?:best|other|older|younger|little|big|step)\s+)?"
    rf"(?:(?:{_RELATIONS})s?|{_PLURALS}))\b"
)
_ONE_NP = re.compile(
    rf"(?:(?P<det>{_DET})\s+)?(?:(?P<n>{_COUNT})\s+(?:of\s+(?:my|our)\s+)?)?"
    rf"(?:(?:best|other|older|younger|little|big|"
    rf"step)\s+)?(?:(?P<rel>{_RELATIONS})(?P<s>s?)|(?P<plural>{_PLURALS}))\b"
)
_LIST = rf"(?P<list>{_NP}(?:\s+and\s+{_NP})*)"
#: Companions joined to the texter: "me and my friend", "my sister and i", "my mom wants one
#: too", "can my bf come too", "plus 2 friends".
_JOINED = (
    re.compile(rf"\b(?:me|i|myself)\s+and\s+{_LIST}"),
    re.compile(rf"\b{_LIST}\s+and\s+(?:i|me|myself)\b"),
    re.compile(rf"\b{_LIST}\s+(?:\w+\s+){{0,4}}?(?:too|also|as well)\b"),
    re.compile(rf"\b(?:plus|bring|bringing|brings)\s+{_LIST}"),
)
_BOTH = re.compile(r"\b(?:both of us|we both|us both|the two of us|us two|we two|both)\b")
#: A total that counts the texter in ("3 of us", "party of 4", "we're 2", "2 ppl").
_TOTAL = re.compile(
    r"\b(?:(?:the\s+)?" + _NUM + r"\s+of\s+(?:us|we)"
    r"|(?:party|group|table)\s+of\s+" + _NUM.replace("P<n>", "P<n2>") + r"|"
    r"(?:we\s*(?:re|are|r)|there\s*(?:re|are)|us)\s+" + _NUM.replace("P<n>", "P<n3>") + r"\b"
    r"|(?<!\band\s)(?<!\bme\s)(?<!\bplus\s)(?<!\bwith\s)(?<!\bbring\s)(?<!\bbringing\s)"
    r"\b" + _NUM.replace("P<n>", "P<n4>") + r"\s+(?:people|ppl|persons|peeps|guests|adults)\b"
    # a count with togetherness: "can you do 2 at the same time", "3 back to back"
    r"|\b" + _NUM.replace("P<n>", "P<n5>") + r"\s+(?:at\s+(?:the\s+)?same\s+time|together|"
    r"side\s+by\s+side|back\s+to\s+back)\b)"
)
#: Texting forms of "and" ("me n my bff").
_JOIN = re.compile(r"\s+(?:n|an|nd|und)\s+")
#: "me, my mom and my sister" (the comma is gone after normalising): "me" joins a list.
_LISTED = re.compile(r"\b(me)\s+(?=my\s)")
#: The texter describing themself ("im the bride", "i'm a nurse"): not a companion.
_SELF = re.compile(r"\b(?:im|i'm|i am|am)\s+(?:the|a|an|her|his)\s+\w+(?:\s+of\s+honor)?")
_SOLO = re.compile(
    r"\b(?:just|only)\s+(?:me|myself|one(?:\s+of\s+us)?|for me|1)\b|\bjust for me\b"
    r"|\b(?:my \w+|she|he) (?:cant|can't|cannot|isnt|isn't|wont|won't) (?:come|make it)\b"
)


@dataclass(frozen=True)
class Party:
    """The people a booking text is for.

    Attributes:
        size: how many, the texter included (1 for "just me"); None when the text says
            several but not how many ("my friends and I").
    """

    size: int | None


def count_word(word: str) -> int | None:
    """``word`` as a count ("3", "three", "couple"), or None."""
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


def party_of(text: str) -> Party | None:
    """The party a text names, or None when it names no group (nor "just me").

    Args:
        text: one patient text, as sent.

    Returns:
        :class:`Party` (``size`` >= 2 for a group, 1 for "just me", None when several but
        uncounted), or None.
    """
    s = normalize(text.replace("+", " and "))
    s = _JOIN.sub(" and ", s)
    s = _LISTED.sub(r"\1 and ", s)
    s = _SELF.sub(" ", s)
    if _SOLO.search(s):
        return Party(1)
    total = _total(s)
    if total is not None:
        return Party(total) if total >= 2 else None
    companions: int | None = 0
    joined = False
    for pattern in _JOINED:
        m = pattern.search(s)
        if m is not None:
            joined = True
            companions = _count(m.group("list"))
            break
    if _BOTH.search(s) and (joined or re.search(r"\b(?:we|us)\b", s)):
        return Party(max(2, (companions or 0) + 1))
    if not joined:
        return None
    return Party(None if companions is None else companions + 1)


def _count(phrase: str) -> int | None:
    """People in a companion list ("my mom and my sister": 2, "2 friends": 2, "the girls":
    None for several uncounted)."""
    total = 0
    for m in _ONE_NP.finditer(phrase):
        if m.group("n"):
            total += count_word(m.group("n")) or 0
        elif m.group("plural") or m.group("s"):
            return None
        else:
            total += 1
    return total or None


def _total(s: str) -> int | None:
    """A count that includes the texter ("3 of us", "party of 4", "we're 2"), or None."""
    m = _TOTAL.search(s)
    if m is None:
        return None
    word = next(g for g in m.group("n", "n2", "n3", "n4", "n5") if g)
    return count_word(word)
