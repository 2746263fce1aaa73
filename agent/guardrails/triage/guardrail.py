"""Safety triage: the input guardrail every patient text passes before any model sees it.

An emergency (vision changes, skin turning white or dusky, trouble breathing, severe pain or
swelling, chest pain, fainting; see :func:`agent.nlu.intents.detect_intents`) gets the
911/ER instruction at once and staff take over. A medical question or post-treatment
concern gets no advice: staff take over and the patient is told a provider will answer. A
question about a condition only ("can I get filler while pregnant?") is not tripped: the
clinic's written policy answers it, through the model and ``search_knowledge``. The rule is
the same whatever the chat model.
"""

from __future__ import annotations

from agent import copy
from agent.guardrails.base import GuardrailContext, InputGuardrail, Tripwire
from agent.nlu.intents import detect_intents

EMERGENCY_SUMMARY = "Patient describes possible emergency symptoms after treatment."
MEDICAL_SUMMARY = "Patient has a medical question or post-treatment concern."
PERSON_SUMMARY = "Patient asked to speak with a person."


class SafetyTriage(InputGuardrail):
    """Input guardrail: emergencies and medical questions go to staff before any model.

    A medical text that also asks for a person ("can a nurse call me, my lip is swollen") is
    handed off as the patient's request for a person, as the front desk always has.
    """

    name = "safety_triage"

    def check(self, text: str, context: GuardrailContext) -> Tripwire | None:
        """Trip on an emergency or a medical question in ``text``, else None."""
        intents = detect_intents(text)
        if intents.emergency:
            return Tripwire(copy.handoff("emergency"), "emergency", EMERGENCY_SUMMARY)
        if not intents.medical_concern or intents.health_policy:
            return None
        if intents.wants_human:
            return Tripwire(copy.handoff("patient_request"), "patient_request", PERSON_SUMMARY)
        return Tripwire(copy.handoff("medical"), "medical", MEDICAL_SUMMARY)
