"""The checks of a scenario (DESIGN.md §4.2): per-step expectations and the final outcome.

Step checks read the rows the step created (messages to the patient, slot offers, deposits,
staff alerts); outcome checks read the final database state, never the wording.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.eval.results import Marks
from app.eval.spec import (
    Expect,
    ExpectedAppointment,
    ExpectedTexts,
    Scenario,
    SlotsOffered,
    Step,
)
from booking.models import ACTIVE_STATUSES, Appointment, Deposit, SlotOffer
from knowledge.clinic_file import WEEKDAYS
from messaging.models import Conversation, Direction, Message, MessageStatus, OptOut, StaffAlert

if TYPE_CHECKING:
    from app.context import AppContext
    from knowledge.clinic_file import ClinicFile


class ScenarioRun(Protocol):
    """What the checks read of a run: its context, clinic and patients' numbers."""

    ctx: AppContext
    clinic: ClinicFile

    def phone(self, patient: str) -> str:
        """The E.164 number of the scenario's patient ``patient``."""
        ...


def _local(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return instant.astimezone(zone)


def _time_ok(local: dt.datetime, after: str | None, before: str | None) -> bool:
    hhmm = local.strftime("%H:%M")
    if after and hhmm < after:
        return False
    return not (before and hhmm >= before)


@dataclass
class StepRows:
    """What one step created for its patient: texts to them, slots offered, deposit links,
    staff alerts (rows with ids above the step's :class:`Marks`)."""

    messages: list[Message]
    offers: list[SlotOffer]
    deposits: list[Deposit]
    alerts: list[StaffAlert]


def _step_rows(s: Session, phone: str, before: Marks) -> StepRows:
    # A text counts in the step it reached the patient in: one still held back (quiet hours,
    # backoff) counts later, in the step that sends it.
    messages = [
        m
        for m in s.scalars(
            select(Message)
            .where(
                (Message.id > before.message) | Message.id.in_(before.queued),
                Message.direction == "out",
                Message.to_number == phone,
            )
            .order_by(Message.id)
        )
        if m.status != MessageStatus.QUEUED
    ]
    conv_id = s.scalar(select(Conversation.id).where(Conversation.patient_phone == phone))
    if conv_id is None:
        return StepRows(messages, [], [], [])
    offers = s.scalars(
        select(SlotOffer).where(SlotOffer.id > before.offer, SlotOffer.conversation_id == conv_id)
    )
    deposits = s.scalars(
        select(Deposit)
        .join(Appointment, Appointment.id == Deposit.appointment_id)
        .where(
            Deposit.id > before.deposit,
            Appointment.patient_phone == phone,
            Deposit.payment_link_url.is_not(None),
        )
    )
    alerts = s.scalars(
        select(StaffAlert).where(
            StaffAlert.id > before.alert,
            StaffAlert.kind == "alert",
            StaffAlert.conversation_id == conv_id,
        )
    )
    return StepRows(messages, list(offers), list(deposits), list(alerts))


def check_step(
    run: ScenarioRun, step: Step, patient: str, before: Marks
) -> tuple[list[str], list[str]]:
    """Evaluate ``step.expect`` (and ``step.expect_for``) against what the step created.

    Returns:
        (the replies sent to the step's patient in this step, the failed checks as sentences;
        a failed ``expect_for`` check names its patient).
    """
    replies, failures = check_expect(run, step.expect, patient, before)
    for other, exp in step.expect_for.items():
        _, theirs = check_expect(run, exp, other, before)
        failures += [f"{other}: {f}" for f in theirs]
    return replies, failures


def check_expect(
    run: ScenarioRun, exp: Expect, patient: str, before: Marks
) -> tuple[list[str], list[str]]:
    """Evaluate one expectation against the rows created for ``patient`` since ``before``.

    Returns:
        (the texts sent to the patient, the failed checks as sentences).
    """
    with run.ctx.db.session() as s:
        rows = _step_rows(s, run.phone(patient), before)
    replies = [m.body for m in rows.messages if m.status != "blocked"]
    text = "\n".join(replies)
    failures = _reply_failures(exp, replies)
    if exp.slots_offered is not None:
        failures += _offer_failures(exp.slots_offered, rows.offers, run.clinic.clinic.zone)
    if exp.deposit_link_sent is not None:
        sent = any(d.payment_link_url and d.payment_link_url in text for d in rows.deposits)
        if sent != exp.deposit_link_sent:
            failures.append(f"deposit_link_sent is {sent}, expected {exp.deposit_link_sent}")
    if exp.handoff is not None and bool(rows.alerts) != exp.handoff:
        failures.append(f"handoff is {bool(rows.alerts)}, expected {exp.handoff}")
    if exp.max_segments is not None:
        for m in rows.messages:
            if m.segments > exp.max_segments:
                failures.append(f"a reply is {m.segments} segments, max {exp.max_segments}")
    return replies, failures


def _reply_failures(exp: Expect, replies: list[str]) -> list[str]:
    """The checks on a step's reply texts: patterns, silence, counts."""
    failures: list[str] = []
    text = "\n".join(replies)
    for pattern in exp.reply_matches:
        if not re.search(pattern, text, re.I | re.S):
            failures.append(f"no reply matches /{pattern}/ (replies: {_quote(replies)})")
    for pattern in exp.reply_not_matches:
        if re.search(pattern, text, re.I | re.S):
            failures.append(
                f"a reply matches /{pattern}/ but should not (replies: {_quote(replies)})"
            )
    if exp.no_reply and replies:
        failures.append(f"expected no reply, got {_quote(replies)}")
    if exp.no_reply is False and not replies:
        failures.append("expected a reply, got none")
    if exp.replies is not None:
        if exp.replies.min is not None and len(replies) < exp.replies.min:
            failures.append(f"expected at least {exp.replies.min} replies, got {len(replies)}")
        if exp.replies.max is not None and len(replies) > exp.replies.max:
            failures.append(f"expected at most {exp.replies.max} replies, got {len(replies)}")
    return failures


def _offer_failures(want: SlotsOffered, offers: list[SlotOffer], zone: ZoneInfo) -> list[str]:
    """The checks on the slots a step offered: how many, which weekday, time and provider."""
    failures: list[str] = []
    if len(offers) < want.min:
        failures.append(f"expected at least {want.min} slots offered, got {len(offers)}")
    for o in offers:
        local = _local(o.start_at, zone)
        if want.weekday and WEEKDAYS[local.weekday()] != want.weekday:
            failures.append(f"offered {local:%a %Y-%m-%d %H:%M}, not a {want.weekday}")
        if not _time_ok(local, want.after, want.before):
            failures.append(
                f"offered {local:%a %H:%M}, outside after={want.after} before={want.before}"
            )
        if want.provider and o.provider_id != want.provider:
            failures.append(f"offered provider {o.provider_id}, expected {want.provider}")
    return failures


def _quote(replies: list[str]) -> str:
    joined = " | ".join(r.replace("\n", " ") for r in replies)
    return repr(joined[:300]) if joined else "none"


def _describe(a: Appointment, zone: ZoneInfo) -> dict[str, Any]:
    local = _local(a.start_at, zone)
    return {
        "id": a.id,
        "patient_phone": a.patient_phone,
        "service": a.service_id,
        "service_name": a.service_name,
        "provider": a.provider_id,
        "provider_name": a.provider_name,
        "status": a.status,
        "confirmed": a.confirmed_at is not None,
        "start": local.isoformat(),
        "when": local.strftime("%a %b %d %I:%M %p %Z"),
    }


def check_outcome(run: ScenarioRun, scenario: Scenario) -> tuple[list[str], list[dict[str, Any]]]:
    """Evaluate ``scenario.outcome`` against the final database.

    Returns:
        (failed checks, every appointment of the scenario's patients described).
    """
    out = scenario.outcome
    zone = run.clinic.clinic.zone
    phones = {name: p.phone for name, p in scenario.patients.items()}
    with run.ctx.db.session() as s:
        appts = list(
            s.scalars(
                select(Appointment)
                .where(Appointment.patient_phone.in_(phones.values()))
                .order_by(Appointment.id)
            )
        )
        opted = set(s.scalars(select(OptOut.phone)))
        alerted = s.execute(select(StaffAlert.id).where(StaffAlert.kind == "alert")).first()
        deposits = s.execute(
            select(Deposit.status, Appointment.patient_phone).join(
                Appointment, Appointment.id == Deposit.appointment_id
            )
        ).all()
    failures: list[str] = []
    if out.appointments is not None:
        failures += _appointment_failures(out.appointments, appts, phones, zone)
    if out.staff_alerted is not None and bool(alerted) != out.staff_alerted:
        failures.append(f"outcome: staff_alerted is {bool(alerted)}, expected {out.staff_alerted}")
    if out.opted_out is not None:
        actual = sorted(n for n, p in phones.items() if p in opted)
        if actual != sorted(out.opted_out):
            failures.append(f"outcome: opted_out is {actual}, expected {sorted(out.opted_out)}")
    for dep in out.deposits or ():
        if (dep.status, phones[dep.patient]) not in {(st, ph) for st, ph in deposits}:
            failures.append(f"outcome: no {dep.status} deposit for {dep.patient}")
    if out.texts is not None:
        failures += _text_failures(run, out.texts, phones)
    return failures, [_describe(a, zone) for a in appts]


#: Outbound statuses of a text that left us (``recorded``: the scenario's recording carrier).
_REACHED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.RECORDED)


def _text_failures(
    run: ScenarioRun, wanted: list[ExpectedTexts], phones: dict[str, str]
) -> list[str]:
    """Count each patient's texts of each kind that reached them against ``{min, max}``."""
    failures: list[str] = []
    with run.ctx.db.session() as s:
        for want in wanted:
            count = s.scalar(
                select(func.count(Message.id)).where(
                    Message.direction == Direction.OUT,
                    Message.to_number == phones[want.patient],
                    Message.kind == want.kind,
                    Message.status.in_(_REACHED),
                )
            )
            count = count or 0
            if want.min is not None and count < want.min:
                failures.append(
                    f"outcome: {want.patient} got {count} {want.kind} texts, min {want.min}"
                )
            if want.max is not None and count > want.max:
                failures.append(
                    f"outcome: {want.patient} got {count} {want.kind} texts, max {want.max}"
                )
    return failures


def _matches(a: Appointment, want: ExpectedAppointment, phone: str, zone: ZoneInfo) -> bool:
    local = _local(a.start_at, zone)
    return (
        a.patient_phone == phone
        and a.service_id == want.service
        and a.status == want.status
        and (not want.weekday or WEEKDAYS[local.weekday()] == want.weekday)
        and _time_ok(local, want.after, want.before)
        and (not want.provider or a.provider_id == want.provider)
        and (want.confirmed is None or (a.confirmed_at is not None) == want.confirmed)
    )


def _appointment_failures(
    wanted: list[ExpectedAppointment],
    appts: list[Appointment],
    phones: dict[str, str],
    zone: ZoneInfo,
) -> list[str]:
    """Each wanted appointment must exist; no other may be active for the listed patients."""
    failures: list[str] = []
    used: set[int] = set()
    for want in wanted:
        phone = phones[want.patient]
        match = next(
            (a for a in appts if a.id not in used and _matches(a, want, phone, zone)), None
        )
        if match is None:
            failures.append(
                f"outcome: no {want.status} {want.service} appointment for "
                f"{want.patient} matching {want.model_dump(exclude_none=True)}"
            )
        else:
            used.add(match.id)
    # `appointments: []` means no patient of the scenario has an active appointment.
    listed = {phones[w.patient] for w in wanted} if wanted else set(phones.values())
    for a in appts:
        if a.patient_phone in listed and a.status in ACTIVE_STATUSES and a.id not in used:
            failures.append(f"outcome: unexpected active appointment {_describe(a, zone)}")
    return failures
