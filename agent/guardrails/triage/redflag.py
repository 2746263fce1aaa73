"""The shape of a red flag and the phrase pieces the lexicon's patterns share.

See :mod:`agent.guardrails.triage.lexicon` for the flags themselves and their sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["BRUISE_COLORS", "FACE", "RedFlag", "rx"]

Needs = Literal["treatment", "symptom"] | None

_POSS = r"(?:my|her|his|their|the|your|our|this|that|a|one|both)"
_W = r"(?:\w+ )"  # one filler word
_CANT = (
    r"(?:cant|can not|cannot|couldnt|could not|unable to|not able to|struggling to|struggle to|"
    r"struggling|hard to|harder to|hard time|having a hard time|trouble|troubles|difficult to|"
    r"difficulty|difficulties|problems?|issues?|fighting to|barely|can barely|can hardly|hardly)"
)
FACE = (
    r"(?:lips?|upper lip|lower lip|mouth|nose|nostrils?|tip of " + _POSS + r" nose|cheeks?|chin|"
    r"jaw|jawline|forehead|temples?|brows?|eyebrows?|glabella|tear troughs?|under eyes?|"
    r"face|area|spot|patch|under (?:my|her|his) (?:left |right )?eyes?|beneath (?:my|her|his) "
    r"(?:left |right )?eyes?|injection (?:site|spot|area|point)s?|smile lines?|"
    r"nasolabial(?: folds?)?|marionette lines?|eyelids?|arm|hand|fingers?|fingertips?|toes?|"
    r"corner|edge|border|tip|bridge|cupids bow|vermilion|part|side|bit)"
)
#: Colors of a skin starved of blood (FDA 2015: blanching, dusky or mottled discoloration).
_COLOR = (
    r"(?:white|whiteish|whitish|pale|paler|blanch\w*|gr[ae]y|gr[ae]yish|dusky|blue|bluish|"
    r"chalky|ashen|ashy|waxy|ghostly|colou?rless|"
    r"blueish|purple|purplish|purply|violet|mottled|blotchy|marbled|lacy|cold|ice cold|"
    r"freezing|(?:turn\w*|went|gone|going|getting|gotten|became|becoming|changed|changing|"
    r"spreading|growing|keeps getting|and) "
    r"(?:\w+ )?(?:dark|darker|black|blackish|dark red|brown))(?! ?(?:heads?|sores?|bumps?|"
    r"dots?|pimples?|circles?|friday|shirt|top|dress|light|led|teeth))"
)
_CHANGE = (
    r"(?:turn\w*|went|gone|going|getting|gotten|changed|changing|became|become|becoming|"
    r"look\w*)"
)
#: Colors that are also a bruise's: with "bruise" in the sentence they are the bruise's.
BRUISE_COLORS = re.compile(r"\b(?:purple|purplish|purply|blue|bluish|blueish|violet|dark|black)\b")


@dataclass(frozen=True)
class RedFlag:
    """One family of emergency signs.

    Attributes:
        name: short id (``"breathing"``, ``"vascular_color"``, ...).
        category: the emergency's family reported to staff (``anaphylaxis``, ``vascular``,
            ``toxin_spread``, ``stroke``, ``cardiac``, ``iv_reaction``, ``self_harm``, ``other``).
        pattern: alternatives over a prepared sentence.
        idiomatic: also said figuratively; laughter or a trivial cause in the sentence makes it
            figurative.
        needs: support required before it is an emergency (see the module docstring).
        topic: what the patient is told they described.
    """

    name: str
    category: str
    pattern: re.Pattern[str]
    idiomatic: bool = False
    needs: Needs = None
    topic: str = "these symptoms"
    #: Still an emergency when it has passed (a vision loss or stroke sign that came and
    #: went is a warning: AHA/ASA, "TIA").
    lasts: bool = False


def rx(*parts: str) -> re.Pattern[str]:
    """One pattern from alternatives (each wrapped in a group)."""
    return re.compile("|".join(rf"(?:{p})" for p in parts))


_BREATH = (
    r"(?:breath|breathe|breathing|breathin|get (?:a |my |her |his )?(?:breath|air)|catch "
    + _POSS
    + r" breath|"
    r"get enough air|take a (?:full |deep |big )?breath)"
)
