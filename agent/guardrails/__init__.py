"""Guardrails around every agent turn (DESIGN.md §2, safety triage).

Input guardrails run on the patient's text before any model; output guardrails run on the
model's reply before it is sent. :data:`INPUT_GUARDRAILS` and :data:`OUTPUT_GUARDRAILS` are
the ones :func:`agent.engine.run_turn` applies, in order.
"""

from agent.guardrails.advice import MedicalAdviceCheck
from agent.guardrails.base import (
    GuardrailContext,
    InputGuardrail,
    OutputGuardrail,
    OutputVerdict,
    Regenerate,
    Replace,
    Tripwire,
)
from agent.guardrails.grounding import GroundingCheck
from agent.guardrails.triage import SafetyTriage

INPUT_GUARDRAILS: tuple[InputGuardrail, ...] = (SafetyTriage(),)
#: Medical advice first: a reply that gives it is handed to staff whatever else it states.
OUTPUT_GUARDRAILS: tuple[OutputGuardrail, ...] = (MedicalAdviceCheck(), GroundingCheck())

__all__ = [
    "INPUT_GUARDRAILS",
    "OUTPUT_GUARDRAILS",
    "GroundingCheck",
    "GuardrailContext",
    "InputGuardrail",
    "MedicalAdviceCheck",
    "OutputGuardrail",
    "OutputVerdict",
    "Regenerate",
    "Replace",
    "SafetyTriage",
    "Tripwire",
]
