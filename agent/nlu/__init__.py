"""Language understanding for the offline rule-based chat model and the safety triage
guardrail (:mod:`agent.guardrails.triage`).

Pure functions over a patient's text and the clinic's own records: :mod:`.text`
(normalisation), :mod:`.services`, :mod:`.providers`, :mod:`.when` (day/time preferences),
:mod:`.picks` (which offered slot) and :mod:`.intents` (yes/no, intents, safety, names).
"""
