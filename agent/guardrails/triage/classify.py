"""Label a patient text ``emergency``, ``medical`` or ``none`` (DESIGN.md §4.6).

:func:`triage` reads the text as sentences (:mod:`.text`), finds every red flag
(:mod:`.lexicon`) and medical concern (:mod:`.medical`), and weighs each in its frame
(:mod:`.context`): a red flag reported as happening now is an emergency; negated, asked
about, past or resolved it is a medical question; said figuratively it is nothing. When in
doubt the text is an emergency: a missed emergency is the worse failure.

It needs no database and no model, and runs in well under a millisecond, so it runs on every
inbound text of every burst.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from agent.guardrails.triage.context import (
    TREATMENT,
    figurative,
    figurative_self_harm,
    historical,
    hypothetical,
    negated,
    resolved,
    trivial_cause,
)
from agent.guardrails.triage.lexicon import RED_FLAGS
from agent.guardrails.triage.medical import CONCERNS, SKIN_ALLERGY, SYSTEMIC
from agent.guardrails.triage.redflag import BRUISE_COLORS, RedFlag
from agent.guardrails.triage.text import Sentence, prepare

__all__ = ["Label", "Triage", "triage"]


class Label(StrEnum):
    """The triage labels (DESIGN.md §4.6)."""

    EMERGENCY = "emergency"
    MEDICAL = "medical"
    NONE = "none"


@dataclass(frozen=True)
class Triage:
    """What :func:`triage` found.

    Attributes:
        label: emergency, medical or none.
        category: for an emergency, the red flag's family (``anaphylaxis``, ``vascular``,
            ``toxin_spread``, ``stroke``, ``cardiac``, ``iv_reaction``, ``self_harm``,
            ``other``); else None.
        topic: a short phrase naming what the patient described or asked about
            (``"trouble breathing"``, ``"bruising"``, ``"medications"``); None for ``none``.
        symptom: the patient reports something they feel or see now (as opposed to asking a
            question about a medicine, a condition, a risk or a rule).
    """

    label: Label
    category: str | None = None
    topic: str | None = None
    symptom: bool = False


@dataclass
class _Reading:
    """What the sentences of one text hold, gathered before the label is decided."""

    treated: bool
    emergencies: list[RedFlag] = field(default_factory=list)
    waiting: list[RedFlag] = field(default_factory=list)  # need support to count
    medical_topics: list[str] = field(default_factory=list)
    symptom: bool = False


def triage(text: str) -> Triage:
    """Label ``text`` (one patient text, or a burst joined by newlines).

    Returns:
        A :class:`Triage`. Never raises on any string.
    """
    sentences = prepare(text)
    reading = _Reading(treated=any(TREATMENT.search(s.text) for s in sentences))
    for sentence in sentences:
        found = [(f, m) for f in RED_FLAGS for m in f.pattern.finditer(sentence.text)]
        symptomatic = len({f.name for f, _ in found}) > 1 or _has_symptom(sentence)
        for flag, match in found:
            _weigh(reading, flag, sentence, match, symptomatic=symptomatic)
        _concerns(reading, sentence)
    for flag in reading.waiting:
        supported = reading.treated if flag.needs == "treatment" else reading.symptom
        if supported or len(reading.waiting) + len(reading.emergencies) > 1:
            reading.emergencies.append(flag)
        else:
            reading.medical_topics.insert(0, flag.topic)
    if not reading.emergencies and _allergic_reaction(sentences, reading.treated):
        return Triage(Label.EMERGENCY, "anaphylaxis", "an allergic reaction", True)
    if reading.emergencies:
        first = reading.emergencies[0]
        return Triage(Label.EMERGENCY, first.category, first.topic, True)
    if reading.medical_topics:
        return Triage(Label.MEDICAL, None, reading.medical_topics[0], reading.symptom)
    return Triage(Label.NONE)


def _has_symptom(sentence: Sentence) -> bool:
    """The sentence names a symptom (swelling, hives, redness...) besides any red flag."""
    return any(c.symptom and c.pattern.search(sentence.text) for c in CONCERNS if c.topic != "pain")


def _weigh(
    reading: _Reading, flag: RedFlag, sentence: Sentence, match: re.Match[str], *, symptomatic: bool
) -> None:
    """Place one red-flag match: emergency, waiting for support, medical, or nothing."""
    start = sentence.token_at(match.start())
    end = sentence.token_at(match.end() - 1) + 1
    if flag.category == "self_harm":
        if not figurative_self_harm(sentence):
            reading.symptom = True
            reading.emergencies.append(flag)
        return
    if figurative(sentence, start, end, idiomatic=flag.idiomatic, symptomatic=symptomatic):
        return
    if (
        negated(sentence, start, end)
        or hypothetical(sentence, start, end)
        or historical(sentence, start, end)
        or (resolved(sentence, end) and not flag.lasts)
        or (flag.name == "skin_color" and _bruise(sentence, match))
    ):
        reading.medical_topics.append(flag.topic)
        return
    reading.symptom = True
    if flag.needs is None:
        reading.emergencies.append(flag)
    else:
        reading.waiting.append(flag)


_ASKS_BRUISE = re.compile(
    r"\b(?:is|if|or|not|isnt) (?:that|this|it)? ?(?:just |only |really )?(?:a |an )?bruis"
)
_NOT_BRUISE_COLOR = re.compile(
    r"\b(?:white|whit\w*|pale|gr[ae]y\w*|mottled|lacy|chalky|ashen|cold)\b"
)


def _bruise(sentence: Sentence, match: re.Match[str]) -> bool:
    """A purple or blue mark the patient calls a bruise is the bruise; one they ask about
    ("is that just bruising?") or that is also white, gray or cold is not."""
    return (
        "bruis" in sentence.text
        and not _ASKS_BRUISE.search(sentence.text)
        and bool(BRUISE_COLORS.search(match.group(0)))
        and not _NOT_BRUISE_COLOR.search(match.group(0))
    )


_SERVICE_TARGET = re.compile(
    r"\b(?:help with|helps with|get rid of|treat|treats|treating|fix|fixes|reduce|reduces|"
    r"minimi[sz]e|improve|good for|best for|work on|works on|target|targets|"
    r"something for|anything for|do you do|for (?:my|the) (?:acne|rosacea|melasma|scars?|"
    r"redness|wrinkles|lines))\b"
)
#: A question about price or what is included ("do you charge extra for numbing cream?").
_LOGISTICS = re.compile(
    r"\b(?:charge|charges|cost|costs|price|priced|included|extra|fee|fees|billed|bill|pay|"
    r"paying|payment|insurance|hsa|fsa|covered|parking|park)\b"
)
_AFTER_CARE = re.compile(r"\b(?:after|since|post|from (?:my|the)|yesterday|ago|today)\b")


def _concerns(reading: _Reading, sentence: Sentence) -> None:
    """Note the medical concerns a sentence raises (figurative ones and service targets
    such as "does IPL help with redness?" excluded)."""
    if figurative(sentence, 0, 0, idiomatic=False):
        return
    symptoms_count = not trivial_cause(sentence) and not (
        _SERVICE_TARGET.search(sentence.text) and not _AFTER_CARE.search(sentence.text)
    )
    logistics = bool(_LOGISTICS.search(sentence.text))
    for concern in CONCERNS:
        if (concern.symptom and not symptoms_count) or (not concern.symptom and logistics):
            continue
        match = concern.pattern.search(sentence.text)
        if match is None:
            continue
        if concern.symptom:
            start = sentence.token_at(match.start())
            if not (negated(sentence, start) or hypothetical(sentence, start, start + 1)):
                reading.symptom = True
        reading.medical_topics.append(concern.topic)


def _allergic_reaction(sentences: list[Sentence], treated: bool) -> bool:
    """NIAID/FAAN criterion 2: skin or mucosal signs plus another organ system (dizziness,
    vomiting, cramps, a racing heart) after a likely exposure (a treatment or infusion)."""
    skin = system = False
    for s in sentences:
        for rx, kind in ((SKIN_ALLERGY, "skin"), (SYSTEMIC, "system")):
            m = rx.search(s.text)
            if m is None:
                continue
            start = s.token_at(m.start())
            if (
                negated(s, start)
                or hypothetical(s, start, start + 1)
                or historical(s, start, start + 1)
            ):
                continue
            skin = skin or kind == "skin"
            system = system or kind == "system"
    return skin and system
