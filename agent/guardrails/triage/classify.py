"""Label one patient text ``emergency``, ``medical`` or ``none`` (placeholder over intents)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from agent.nlu.intents import detect_intents


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
        category: the red flag's family for an emergency (``anaphylaxis``, ``vascular``,
            ``toxin_spread``, ``stroke``, ``cardiac``, ``iv_reaction``, ``self_harm``, ...),
            else None.
        topic: a short phrase naming what the patient asked about (``"bruising"``), or None.
    """

    label: Label
    category: str | None = None
    topic: str | None = None


def triage(text: str) -> Triage:
    """Label ``text`` (one patient text, or a burst joined by newlines)."""
    intents = detect_intents(text)
    if intents.emergency:
        return Triage(Label.EMERGENCY)
    if intents.medical_concern:
        return Triage(Label.MEDICAL)
    return Triage(Label.NONE)
