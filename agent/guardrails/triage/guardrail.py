"""Safety triage: the input guardrail every patient text passes before any model sees it.

What each label does (DESIGN.md §2):

- **emergency**: the reply opens with the 911/ER instruction (988 first for self-harm), staff
  are alerted at once by SMS and email with the patient's own words, and the AI pauses on the
  conversation. No model sees the text.
- **medical** with a symptom the patient reports now ("my lip is still swollen"): no advice;
  the reply names what they described and when a provider will answer (clinic hours aware),
  staff get the question, and the AI stays available for booking and other questions.
- **medical** as a question about a rule, a medicine, a condition or a risk ("can I get
  filler while pregnant?", "do you numb first?"): the model answers it from the
  clinic's own records, as policy; when the records do not cover it the question goes to
  staff the same way. The output guardrail :class:`agent.guardrails.advice.MedicalAdviceCheck`
  stops any model from giving advice instead.

The same rules apply whatever the chat model. A text that asks for a person is handed off as
that request, as the front desk always has.
"""

from __future__ import annotations

from agent import copy
from agent.guardrails.base import GuardrailContext, InputGuardrail, Tripwire
from agent.guardrails.triage.classify import Label, Triage, triage
from agent.guardrails.triage.cosmetic import cosmetic_request
from agent.nlu.intents import detect_intents

PERSON_SUMMARY = "Patient asked to speak with a person."
#: How much of the patient's text a staff alert quotes (SMS and email).
QUOTE_CHARS = 300


def quote(text: str) -> str:
    """The patient's words for a staff alert: one line, at most :data:`QUOTE_CHARS`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1] + "\u2026"


def read(text: str) -> Triage:
    """Triage ``text`` as a whole and each text of a burst (one per line) on its own; the
    most severe reading wins, so one alarming text in a burst is never diluted."""
    lines = [line for line in text.splitlines() if line.strip()]
    readings = [triage(text)] + ([triage(line) for line in lines] if len(lines) > 1 else [])
    order = {Label.EMERGENCY: 0, Label.MEDICAL: 1, Label.NONE: 2}
    return min(readings, key=lambda r: (order[r.label], not r.symptom))


def emergency_tripwire(text: str) -> Tripwire | None:
    """The emergency answer to ``text`` (911 first, staff alerted with the patient's words,
    the AI paused), or None when ``text`` describes no emergency. Used by
    :class:`SafetyTriage` and for texts that arrive while staff have the conversation."""
    reading = read(text)
    if reading.label != Label.EMERGENCY:
        return None
    return Tripwire(
        copy.emergency(reading.category),
        "emergency",
        f'Possible emergency ({reading.topic}). The patient wrote: "{quote(text)}"',
    )


class SafetyTriage(InputGuardrail):
    """Input guardrail: emergencies and reported symptoms go to staff before any model."""

    name = "safety_triage"

    def check(self, text: str, context: GuardrailContext) -> Tripwire | None:
        """Trip on an emergency or a reported symptom in ``text``, else None.

        Returns:
            A :class:`Tripwire` (emergency: pause and 911 first; a symptom: no pause, the
            medical reply) or None (no concern, or a question the records may answer).
        """
        emergency = emergency_tripwire(text)
        if emergency is not None:
            return emergency
        reading = read(text)
        if reading.label == Label.NONE or not reading.symptom:
            return None
        if cosmetic_request(text, context.clinic):
            return None  # "pretty sure its rosacea, can u get me in": what the clinic treats
        if detect_intents(text).wants_human:
            return Tripwire(copy.handoff("patient_request"), "patient_request", PERSON_SUMMARY)
        return Tripwire(
            copy.medical(reading.topic, context.clinic, context.now, reported=True),
            "medical",
            f'Medical question ({reading.topic}). The patient wrote: "{quote(text)}"',
            pause=False,
        )
