"""The conversation scenario file format (DESIGN.md §4.2), validated strictly.

Unknown keys are errors, so a typo cannot make a check vanish. :func:`load_scenario` returns
a :class:`Scenario` or raises :class:`ScenarioError` naming the file and field path.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ScenarioError(ValueError):
    """A scenario file is unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _hhmm(value: str | None) -> str | None:
    if value is not None and not _HHMM.match(value):
        raise ValueError(f"{value!r} is not HH:MM")
    return value


def _aware(value: dt.datetime, info: ValidationInfo) -> dt.datetime:
    """An instant with its UTC offset, else an error naming the field."""
    if value.tzinfo is None:
        raise ValueError(f"{info.field_name} needs a UTC offset, e.g. 2026-11-23T10:00:00-06:00")
    return value


class Count(_Strict):
    """``{min, max}`` bounds on a count."""

    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)


class SlotsOffered(_Strict):
    """At least ``min`` slots offered in the step, every one matching the filters."""

    min: int = Field(1, ge=0)
    weekday: Weekday | None = None
    after: str | None = None
    before: str | None = None
    provider: str | None = None

    _times = field_validator("after", "before")(_hhmm)


class Expect(_Strict):
    """Checks on what one step produced."""

    reply_matches: list[str] = Field(default_factory=list)
    reply_not_matches: list[str] = Field(default_factory=list)
    no_reply: bool | None = None
    replies: Count | None = None
    slots_offered: SlotsOffered | None = None
    deposit_link_sent: bool | None = None
    handoff: bool | None = None
    max_segments: int | None = Field(None, ge=1)

    @field_validator("reply_matches", "reply_not_matches")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            re.compile(pattern)
        return value


class Advance(_Strict):
    """How far to move the frozen clock."""

    minutes: int = 0
    hours: int = 0
    days: int = 0

    @property
    def delta(self) -> dt.timedelta:
        """The total as a timedelta."""
        return dt.timedelta(minutes=self.minutes, hours=self.hours, days=self.days)


class StaffReply(_Strict):
    """A staff member texts the patient from the clinic number."""

    text: str


class Step(_Strict):
    """One step: exactly one action, optionally as another patient, with expectations."""

    as_: str | None = Field(None, alias="as")
    text: str | None = None
    missed_call: dict[str, Any] | None = None
    pay_deposit: dict[str, Any] | None = None
    advance: Advance | None = None
    staff_reply: StaffReply | None = None
    cancel_by_clinic: dict[str, Any] | None = None
    no_show_by_clinic: dict[str, Any] | None = None
    expect: Expect = Field(default_factory=lambda: Expect())
    #: Checks on the texts that reached *other* patients during this step, by patient.
    expect_for: dict[str, Expect] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        kinds = [k for k in ACTIONS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"a step needs exactly one of {', '.join(ACTIONS)}; got {kinds or 'none'}"
            )
        for key in ("missed_call", "pay_deposit", "cancel_by_clinic", "no_show_by_clinic"):
            value = getattr(self, key)
            if value:
                raise ValueError(f"{key} takes no options (got {sorted(value)})")
        return self

    @property
    def action(self) -> str:
        """The step's kind."""
        return next(k for k in ACTIONS if getattr(self, k) is not None)


ACTIONS = (
    "text",
    "missed_call",
    "pay_deposit",
    "advance",
    "staff_reply",
    "cancel_by_clinic",
    "no_show_by_clinic",
)


class Patient(_Strict):
    """A patient of the scenario."""

    phone: str


class ExpectedAppointment(_Strict):
    """An appointment that must exist at the end."""

    patient: str
    service: str
    status: Literal[
        "held", "awaiting_deposit", "booked", "cancelled", "expired", "completed", "no_show"
    ] = "booked"
    weekday: Weekday | None = None
    after: str | None = None
    before: str | None = None
    provider: str | None = None
    #: True: the patient confirmed they are coming; False: not (yet) confirmed.
    confirmed: bool | None = None

    _times = field_validator("after", "before")(_hhmm)


class ExpectedTexts(_Strict):
    """How many texts of one kind reached a patient (counted from the stored outbound rows)."""

    patient: str
    kind: Literal["reminder", "confirmation", "aftercare", "review", "waitlist", "no_show"]
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)


class GivenWaitlistEntry(_Strict):
    """A patient already on the waitlist when the scenario starts (list order = join order)."""

    patient: str
    service: str
    days: list[Weekday] = Field(default_factory=list)
    after: str | None = None
    before: str | None = None

    _times = field_validator("after", "before")(_hhmm)


class ExpectedWaitlistEntry(_Strict):
    """A waitlist entry that must exist at the end, with that status."""

    patient: str
    service: str
    status: Literal["waiting", "offered", "booked", "expired"]


class GivenAppointment(_Strict):
    """An appointment that exists at ``now``, booked through the real hold/confirm code."""

    patient: str
    service: str
    provider: str | None = None
    start: dt.datetime
    status: Literal["booked"] = "booked"
    deposit: Literal["paid", "none"] = "none"

    _start = field_validator("start")(_aware)


class Given(_Strict):
    """The state a scenario starts from (DESIGN.md §4.2 ``given``)."""

    appointments: list[GivenAppointment] = Field(default_factory=list)
    #: Patients whose numbers are opted out of the clinic's texts before the first step.
    opted_out: list[str] = Field(default_factory=list)
    #: Patients already waiting for an opening (``booking.waitlist``).
    waitlist: list[GivenWaitlistEntry] = Field(default_factory=list)


class ExpectedDeposit(_Strict):
    """A deposit that must exist at the end."""

    patient: str
    status: Literal["paid", "refunded", "expired", "open"]


class Outcome(_Strict):
    """Checks on the final database state (never on wording)."""

    appointments: list[ExpectedAppointment] | None = None
    staff_alerted: bool | None = None
    opted_out: list[str] | None = None
    deposits: list[ExpectedDeposit] | None = None
    texts: list[ExpectedTexts] | None = None
    waitlist: list[ExpectedWaitlistEntry] | None = None


class Scenario(_Strict):
    """A whole scenario file."""

    name: str
    tags: list[str] = Field(default_factory=list)
    requires: Literal["llm"] | None = None
    description: str | None = None
    clinic: str
    now: dt.datetime
    patients: dict[str, Patient] = Field(min_length=1)
    given: Given = Field(default_factory=Given)
    steps: list[Step] = Field(min_length=1)
    outcome: Outcome = Field(default_factory=Outcome)
    path: Path | None = Field(None, exclude=True)

    _now = field_validator("now")(_aware)

    @model_validator(mode="after")
    def _names(self) -> Scenario:
        names = set(self.patients)
        for i, step in enumerate(self.steps):
            _known(names, f"steps[{i}].as", [step.as_] if step.as_ is not None else [])
            _known(names, f"steps[{i}].expect_for", list(step.expect_for))
        out = self.outcome
        _known(names, "given.appointments", [a.patient for a in self.given.appointments])
        _known(names, "given.opted_out", self.given.opted_out)
        _known(names, "outcome.texts", [t.patient for t in out.texts or ()])
        _known(names, "outcome.appointments", [a.patient for a in out.appointments or ()])
        _known(names, "outcome.deposits", [d.patient for d in out.deposits or ()])
        listed = [w.patient for w in self.given.waitlist] + [w.patient for w in out.waitlist or []]
        _known(names, "waitlist", listed)
        _known(names, "outcome.opted_out", out.opted_out or [])
        return self

    @property
    def llm_only(self) -> bool:
        """True for scenarios that need a real language model."""
        return self.requires == "llm" or "requires: llm" in self.tags


def _known(names: set[str], where: str, used: list[str]) -> None:
    """Raise ValueError naming ``where`` when ``used`` names a patient not in ``names``."""
    for name in used:
        if name not in names:
            raise ValueError(f"{where}: unknown patient {name!r}")


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file.

    Raises:
        ScenarioError: unreadable YAML or invalid fields (message names file and field path).
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{p}: cannot read: {exc}") from None
    if isinstance(data, dict):
        data.pop("path", None)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{_path(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise ScenarioError(f"{p}: invalid scenario:\n  " + "\n  ".join(lines)) from None
    scenario.path = p
    return scenario


def scenario_files(paths: list[str]) -> list[Path]:
    """Expand files and folders (recursively, ``*.yaml``/``*.yml``) into a sorted file list."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml")))
        else:
            out.append(p)
    return out
