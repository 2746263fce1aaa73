"""Safety triage (DESIGN.md §2): :func:`triage` labels a text, :class:`SafetyTriage` is the
input guardrail that acts on the label."""

from agent.guardrails.triage.classify import Label, Triage, triage
from agent.guardrails.triage.guardrail import SafetyTriage, emergency_tripwire, quote, read
from agent.guardrails.triage.text import warm

__all__ = [
    "Label",
    "SafetyTriage",
    "Triage",
    "emergency_tripwire",
    "quote",
    "read",
    "triage",
    "warm",
]
