"""The two kinds of guardrail a turn runs (as in openai-agents-python's ``InputGuardrail`` /
``OutputGuardrail``).

An :class:`InputGuardrail` looks at the patient's text before any model runs; when it trips
it returns a :class:`Tripwire`: the reply to send and the handoff to make, and no model sees
the text. An :class:`OutputGuardrail` looks at a model's final reply before it is sent and
may return :class:`Regenerate` (the model gets a note and another go) or :class:`Replace`
(the patient gets a safe text instead, and staff take over when it names a handoff).
Guardrails are small, stateless objects; what they need to know about the turn comes in a
:class:`GuardrailContext`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from agent.models.base import ChatMessage
from knowledge.clinic_file import ClinicFile


@dataclass(frozen=True)
class GuardrailContext:
    """What a guardrail may look at.

    Attributes:
        clinic: the clinic's records.
        now: the turn's instant (aware).
        history: the earlier turns' messages, oldest first.
        turn: this turn's messages so far (the patient's text, tool calls and results).
        regenerations: how many replies of this turn output guardrails already sent back.
    """

    clinic: ClinicFile
    now: dt.datetime
    history: Sequence[ChatMessage] = ()
    turn: Sequence[ChatMessage] = ()
    regenerations: int = 0


@dataclass(frozen=True)
class Tripwire:
    """An input guardrail fired: the turn ends with ``reply`` and staff take over.

    Attributes:
        reply: the text sent to the patient.
        handoff_reason: the handoff reason (``emergency``, ``medical``, ``patient_request``).
        handoff_summary: what staff read (for a safety alert, the patient's own words).
        outcome: the turn's recorded outcome.
        pause: the AI pauses on the conversation (False: staff are alerted and the AI stays
            available, as after a medical question).
    """

    reply: str
    handoff_reason: str
    handoff_summary: str
    outcome: str = "guardrail"
    pause: bool = True


@dataclass(frozen=True)
class Regenerate:
    """Send the reply back: the model sees it, then ``note`` as a system message."""

    note: str


@dataclass(frozen=True)
class Replace:
    """Send ``reply`` instead of the model's; the turn is recorded with ``outcome``.

    Attributes:
        reply: the text sent to the patient instead.
        outcome: the turn's recorded outcome (a :class:`agent.store.TurnOutcome` value).
        handoff_reason: when set, staff are alerted as for a :class:`Tripwire`
            (``deps.notify(handoff_reason, handoff_summary, pause=pause)``).
        handoff_summary: what staff read.
        pause: the AI pauses too (False: it stays available, as after a medical question).
    """

    reply: str
    outcome: str
    handoff_reason: str | None = None
    handoff_summary: str = ""
    pause: bool = True


#: What an output guardrail decides about a reply: None lets it through.
OutputVerdict = Regenerate | Replace | None


class InputGuardrail(ABC):
    """Checks the patient's text before any model runs."""

    #: Short name for logs.
    name: str = "input"

    @abstractmethod
    def check(self, text: str, context: GuardrailContext) -> Tripwire | None:
        """Look at ``text`` (the turn's patient text, bursts joined by newlines).

        Returns:
            A :class:`Tripwire` to end the turn before the model, or None to go on.
        """


class OutputGuardrail(ABC):
    """Checks a model's final reply before the patient gets it."""

    #: Short name for logs.
    name: str = "output"

    @abstractmethod
    def check(self, reply: str, context: GuardrailContext) -> OutputVerdict:
        """Look at ``reply`` (plain SMS text, non-empty).

        Returns:
            None to send it, :class:`Regenerate` to give the model another go, or
            :class:`Replace` to send a safe text instead.
        """
