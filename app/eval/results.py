"""What a scenario run records: row marks between steps, each step's replies, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Marks:
    """Highest row ids before a step, so the step's own rows can be told apart.

    ``queued``: outbound texts still waiting before the step (deferred by quiet hours or a
    backoff); one that goes out during the step is that step's text.
    """

    message: int
    offer: int
    alert: int
    deposit: int
    queued: frozenset[int] = frozenset()


@dataclass
class StepRecord:
    """What one step did, for the transcript and the report."""

    index: int
    patient: str
    action: str
    text: str | None
    replies: list[str]
    failures: list[str]


@dataclass
class ScenarioResult:
    """The outcome of one scenario run."""

    name: str
    path: str
    passed: bool
    skipped: bool = False
    failures: list[str] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    #: Per agent turn: wall time minus model time, in ms (the engine's own overhead).
    turn_ms_excl_model: list[int] = field(default_factory=list)
    #: Tokens used per conversation (by patient phone) and which of them ended booked.
    tokens_by_patient: dict[str, int] = field(default_factory=dict)
    booked_patients: list[str] = field(default_factory=list)

    @property
    def first_failure(self) -> str:
        """The first failed check, or ''."""
        return self.failures[0] if self.failures else ""
