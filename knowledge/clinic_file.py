"""The clinic file (DESIGN.md §4.1): its schema, loading and validation.

:func:`load_clinic_file` reads JSON or YAML and returns a :class:`ClinicFile`; every problem is
reported at once in a :class:`ClinicFileError` whose lines name the field path, e.g.
``services[2].duration_minutes: must be greater than 0``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge.clinic_reminders import Reminders

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

#: Every integer of the file has an upper bound: a typo (a zero too many) must be an error
#: naming the field, not a policy nobody meant, and no value may overflow a
#: Postgres ``integer`` column (2**31 - 1) or a ``timedelta`` later.
#: Largest deposit, in cents ($10,000): a deposit holds a slot; more is a typo.
MAX_DEPOSIT_CENTS = 1_000_000
#: A clinic file is about 5 levels deep (``clinic.hours.mon[0][0]``); far deeper is not one.
MAX_DEPTH = 20
#: Values (objects, lists and scalars) in one clinic file; YAML aliases count each time they
#: are used, so a "billion laughs" file stops here instead of exhausting memory.
MAX_NODES = 200_000
_TOO_DEEP = f"(file): nested more than {MAX_DEPTH} levels deep; not a clinic file"


class ClinicFileError(ValueError):
    """The clinic file is unreadable or invalid. ``problems`` holds one line per bad field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid clinic file:\n  " + "\n  ".join(problems))
        self.problems = problems


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number in E.164 form ({exc})") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a possible phone number")
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value:
        raise ValueError(f"write it in E.164 form: {formatted}")
    return value


Interval = tuple[str, str]


def _check_hours(hours: dict[str, list[Interval]]) -> dict[str, list[Interval]]:
    for day, intervals in hours.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        for start, end in intervals:
            for t in (start, end):
                if not _HHMM.match(t):
                    raise ValueError(f"{day}: {t!r} is not a 24-hour HH:MM time")
            if start >= end:
                raise ValueError(f"{day}: {start}-{end} ends before it starts")
        ordered = sorted(intervals)
        for (_, end1), (start2, _) in zip(ordered, ordered[1:], strict=False):
            if start2 < end1:
                raise ValueError(f"{day}: intervals overlap")
    return hours


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Closure(_Strict):
    """A day the clinic is closed (``hours`` absent) or open only for ``hours`` (a short day),
    clinic-local (DESIGN.md §4.1 ``clinic.closures``)."""

    date: dt.date
    reason: str = Field(default="", max_length=200)
    hours: list[Interval] | None = None

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: list[Interval] | None) -> list[Interval] | None:
        if value is not None:
            _check_hours({"mon": value})
        return value


class TimeOff(_Strict):
    """Days ``from``..``to`` (inclusive, clinic-local) a provider does not work."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> TimeOff:
        if self.end < self.start:
            raise ValueError("'to' is before 'from'")
        return self


class BookingPolicy(_Strict):
    """How the clinic books: hold length, default deposit, cancellation notice, slot grid."""

    #: At most a day: a longer unpaid hold keeps the slot from every other patient.
    hold_minutes: int = Field(default=15, ge=1, le=24 * 60)
    new_patient_deposit_cents: int = Field(default=0, ge=0, le=MAX_DEPOSIT_CENTS)
    #: At most 30 days: beyond that nearly every cancellation would be "late" and keep the
    #: deposit, which no clinic policy means.
    cancellation_notice_hours: int = Field(default=24, ge=0, le=30 * 24)
    #: 5 minutes to 4 hours: the grid openings start on.
    slot_interval_minutes: int = Field(default=15, ge=5, le=240)
    #: At most a year ahead: the calendar is searched day by day up to it.
    max_days_ahead: int = Field(default=60, ge=1, le=365)
    #: At most a week: the earliest opening offered is this long after now.
    min_notice_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class WaitlistSettings(_Strict):
    """The ``clinic.waitlist`` section (DESIGN.md §4.1): how a freed slot is offered to
    waiting patients."""

    #: 1 minute to a day: how long one patient has the opening to themselves.
    claim_minutes: int = Field(default=10, ge=1, le=24 * 60)
    #: 1 to 50: how many waiting patients one opening is offered to, one after another.
    max_offers_per_opening: int = Field(default=3, ge=1, le=50)


class Limits(_Strict):
    """The ``clinic.limits`` section: how much one patient number, and the clinic as a whole,
    may spend of the assistant (issue 11). Past a limit the patient gets one polite reply,
    staff are alerted and the AI pauses on that conversation; an emergency is still answered.

    The defaults are far above what one patient's real conversation uses, so a clinic that
    sets nothing only stops floods and runaway spending.
    """

    #: Texts from one patient number that may reach the assistant within one minute.
    texts_per_minute: int = Field(default=15, ge=1, le=120)
    #: Texts from one patient number that may reach the assistant within one hour.
    texts_per_hour: int = Field(default=100, ge=1, le=1000)
    #: Characters of the patient's text (a burst joined) one turn passes to the model; longer
    #: text loses its middle and the model is told so (the safety triage still reads it all).
    max_text_chars: int = Field(default=4000, ge=160, le=20_000)
    #: AI reply texts one patient number may receive per clinic-local day (a reply split into
    #: two texts counts two).
    replies_per_day: int = Field(default=60, ge=1, le=1000)
    #: Model tokens (prompt + completion) the whole clinic may use per clinic-local day.
    daily_model_tokens: int = Field(default=5_000_000, ge=1000, le=500_000_000)


class EmrConfig(BaseModel):
    """Which EMR adapter serves the clinic and its non-secret ids (secrets come from env)."""

    model_config = ConfigDict(extra="allow")
    kind: str = "local"

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("local", "nextech"):
            raise ValueError("must be 'local' or 'nextech'")
        return value


class ClinicInfo(_Strict):
    """The ``clinic`` section: identity, numbers, hours, greetings and policies."""

    id: str
    name: str = Field(min_length=1)
    timezone: str
    phone_numbers: list[str] = Field(min_length=1)
    address: str = ""
    website: str = ""
    hours: dict[str, list[Interval]] = Field(default_factory=dict)
    greeting: str = ""
    after_hours_greeting: str = ""
    booking: BookingPolicy = Field(default_factory=BookingPolicy)
    staff_alert_phone: str | None = None
    staff_alert_email: str | None = None
    emr: EmrConfig = Field(default_factory=EmrConfig)
    #: The line a Twilio voice call to the clinic number is forwarded to (E.164); None: no
    #: forwarding, every call is treated as missed and texted back.
    forward_calls_to: str | None = None
    #: At most one missed-call text-back per caller within this many hours (at most 30 days:
    #: a caller who rings again a month later is a new missed call).
    textback_window_hours: int = Field(default=12, ge=0, le=24 * 30)
    #: Texts from one patient arriving within this many seconds are answered as one turn (at
    #: most a minute: the patient waits this long for every reply).
    burst_window_seconds: float = Field(default=4.0, ge=0, le=60)
    #: Billed SMS segments one agent reply may use; longer replies are split or shortened (at
    #: most 10: every segment is billed, and Twilio refuses a body over 1,600 characters,
    #: about 10 segments: twilio.com/docs/messaging/api/message-resource).
    segment_budget: int = Field(default=3, ge=1, le=10)
    #: Spending and abuse bounds (:class:`Limits`).
    limits: Limits = Field(default_factory=Limits)
    #: How freed slots are offered to waiting patients (:class:`WaitlistSettings`).
    waitlist: WaitlistSettings = Field(default_factory=WaitlistSettings)
    #: Holidays and short days (:class:`Closure`), at most one per date.
    closures: list[Closure] = Field(default_factory=list, max_length=1000)
    #: Confirmation, reminders, aftercare and review asks (:class:`Reminders`).
    reminders: Reminders = Field(default_factory=Reminders)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_' (max 64)")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("phone_numbers")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return [_e164(v) for v in value]

    @field_validator("staff_alert_phone", "forward_calls_to")
    @classmethod
    def _staff_phone(cls, value: str | None) -> str | None:
        return None if value is None else _e164(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[Interval]]) -> dict[str, list[Interval]]:
        return _check_hours(value)

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's IANA zone."""
        return ZoneInfo(self.timezone)

    @property
    def closure_reasons(self) -> dict[dt.date, str]:
        """Local date -> why the clinic is closed or short that day ("" when unsaid)."""
        return {c.date: c.reason for c in self.closures}

    def day_start(self, now: dt.datetime) -> dt.datetime:
        """The instant (UTC) the clinic-local day holding ``now`` (aware) began: the clinic's
        daily limits count from it."""
        local = now.astimezone(self.zone)
        return dt.datetime.combine(local.date(), dt.time(), tzinfo=self.zone).astimezone(dt.UTC)


class ProviderInfo(_Strict):
    """A practitioner with weekly hours (clinic-local) and the EMR's id for them."""

    id: str
    name: str = Field(min_length=1)
    title: str = ""
    hours: dict[str, list[Interval]] = Field(default_factory=dict)
    emr_id: str | None = None
    bio: str = ""
    #: Vacations and other days off (:class:`TimeOff`).
    time_off: list[TimeOff] = Field(default_factory=list, max_length=1000)

    _id = field_validator("id")(ClinicInfo._id.__func__)  # type: ignore[attr-defined]

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[Interval]]) -> dict[str, list[Interval]]:
        return _check_hours(value)


class ServiceInfo(_Strict):
    """A service on the menu.

    ``deposit_cents`` None means the clinic's ``new_patient_deposit_cents`` applies; 0 means no
    deposit. ``price`` is the clinic's own wording, shown to patients as written.
    """

    id: str
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    #: At most 12 hours: one visit within one working day.
    duration_minutes: int = Field(gt=0, le=12 * 60)
    #: At most 4 hours of clean-up or set-up after the visit.
    buffer_minutes: int = Field(default=0, ge=0, le=240)
    price: str = ""
    deposit_cents: int | None = Field(default=None, ge=0, le=MAX_DEPOSIT_CENTS)
    provider_ids: list[str] = Field(min_length=1)
    bookable: bool = True
    emr: dict[str, Any] = Field(default_factory=dict)
    #: Concerns and areas in patients' words ("forehead lines", "11s", "double chin").
    treats: list[str] = Field(default_factory=list, max_length=200)
    #: A text sent after the visit (aftercare instructions written by the clinic).
    aftercare: str = Field(default="", max_length=1600)
    #: The youngest age the clinic treats for this service, in years.
    min_age: int | None = Field(default=None, ge=0, le=120)

    _id = field_validator("id")(ClinicInfo._id.__func__)  # type: ignore[attr-defined]


class Document(_Strict):
    """A clinic document (policy, aftercare, directions) retrieved by the agent."""

    title: str = Field(min_length=1)
    content: str = Field(min_length=1)


class Faq(_Strict):
    """A question the clinic answers the same way every time."""

    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)


class ClinicFile(_Strict):
    """A whole clinic file. Cross-checks: unique ids, providers named by services exist."""

    clinic: ClinicInfo
    providers: list[ProviderInfo] = Field(min_length=1)
    services: list[ServiceInfo] = Field(min_length=1)
    documents: list[Document] = Field(default_factory=list)
    faqs: list[Faq] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_check(self) -> ClinicFile:
        problems: list[str] = []
        seen: set[str] = set()
        for i, p in enumerate(self.providers):
            if p.id in seen:
                problems.append(f"providers[{i}].id: duplicate id {p.id!r}")
            seen.add(p.id)
        service_ids: set[str] = set()
        for i, s in enumerate(self.services):
            if s.id in service_ids:
                problems.append(f"services[{i}].id: duplicate id {s.id!r}")
            service_ids.add(s.id)
            for j, pid in enumerate(s.provider_ids):
                if pid not in seen:
                    problems.append(f"services[{i}].provider_ids[{j}]: no provider {pid!r}")
        dates = [c.date for c in self.clinic.closures]
        for d in sorted({d for d in dates if dates.count(d) > 1}):
            problems.append(f"clinic.closures: {d.isoformat()} is listed twice")
        if problems:
            raise ClinicFileError(problems)
        return self

    def service(self, service_id: str) -> ServiceInfo:
        """The service with ``service_id``. Raises ``KeyError`` if none."""
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    def provider(self, provider_id: str) -> ProviderInfo:
        """The provider with ``provider_id``. Raises ``KeyError`` if none."""
        for p in self.providers:
            if p.id == provider_id:
                return p
        raise KeyError(provider_id)

    def deposit_cents(self, service: ServiceInfo) -> int:
        """The deposit for ``service`` in cents: its own, else the clinic's default."""
        if service.deposit_cents is not None:
            return service.deposit_cents
        return self.clinic.booking.new_patient_deposit_cents


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def _check_shape(data: Any) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH` or with more than :data:`MAX_NODES`
    values, walking it without recursion (so nothing here can overflow the stack).

    Raises:
        ClinicFileError: naming the limit.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise ClinicFileError([f"(file): more than {MAX_NODES} values; not a clinic file"])
        if depth > MAX_DEPTH:
            raise ClinicFileError([_TOO_DEEP])
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list | tuple):
            stack.extend((child, depth + 1) for child in children)


def parse_clinic_file(data: Any) -> ClinicFile:
    """Validate already-parsed clinic data.

    Raises:
        ClinicFileError: one line per problem, each naming the field path; or one line when
            the data is nested deeper than :data:`MAX_DEPTH` or holds more than
            :data:`MAX_NODES` values.
    """
    _check_shape(data)
    try:
        return ClinicFile.model_validate(data)
    except ClinicFileError:
        raise
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            inner = err.get("ctx", {}).get("error")
            if isinstance(inner, ClinicFileError):
                problems.extend(inner.problems)
                continue
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{_path(tuple(err['loc']))}: {msg}")
        raise ClinicFileError(problems) from None


def load_clinic_file(path: str | Path) -> ClinicFile:
    """Read a clinic file (``.json``, ``.yaml`` or ``.yml``) and validate it.

    The file must be UTF-8 (a byte-order mark is allowed).

    Raises:
        ClinicFileError: the file is missing, not UTF-8, unparsable, nested too deep, or
            invalid (lines name field paths).
    """
    p = Path(path)
    kind = p.suffix.lstrip(".") or "JSON"
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ClinicFileError([f"(file): cannot read {p}: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ClinicFileError(
            [
                f"(file): {p} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                f"{exc.start}); save it as UTF-8"
            ]
        ) from None
    try:
        data = yaml.safe_load(text) if p.suffix in (".yaml", ".yml") else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ClinicFileError([f"(file): not valid {kind}: {exc}"]) from None
    except RecursionError:  # the parsers recurse once per level of nesting
        raise ClinicFileError([_TOO_DEEP]) from None
    return parse_clinic_file(data)
