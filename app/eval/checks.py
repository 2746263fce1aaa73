"""The checks of a scenario (DESIGN.md §4.2): per-step expectations and the final outcome.

Step checks read the rows the step created (messages to the patient, slot offers, deposits,
staff alerts); outcome checks read the final database state, never the wording.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.eval.results import Marks
from app.eval.spec import Scenario, Step
from booking.models import ACTIVE_STATUSES, Appointment, Deposit, SlotOffer
from knowledge.clinic_file import WEEKDAYS
from messaging.models import Conversation, Message, OptOut, StaffAlert

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


def check_step(
    run: ScenarioRun, step: Step, patient: str, before: Marks
) -> tuple[list[str], list[str]]:
    """Evaluate ``step.expect`` against what the step created.

    Returns:
        (the replies sent to the patient in this step, the failed checks as sentences).
    """
    phone = run.phone(patient)
    zone = run.clinic.clinic.zone
    exp = step.expect
    failures: list[str] = []
    with run.ctx.db.session() as s:
        messages = list(
            s.execute(
                select(Message)
                .where(
                    Message.id > before.message,
                    Message.direction == "out",
                    Message.to_number == phone,
                )
                .order_by(Message.id)
            ).scalars()
        )
        conv_id = s.execute(
            select(Conversation.id).where(Conversation.patient_phone == phone)
        ).scalar_one_or_none()
        offers = (
            list(
                s.execute(
                    select(SlotOffer).where(
                        SlotOffer.id > before.offer, SlotOffer.conversation_id == conv_id
                    )
                ).scalars()
            )
            if conv_id
            else []
        )
        deposits = list(
            s.execute(
                select(Deposit)
                .join(Appointment, Appointment.id == Deposit.appointment_id)
                .where(
                    Deposit.id > before.deposit,
                    Appointment.patient_phone == phone,
                    Deposit.payment_link_url.is_not(None),
                )
            ).scalars()
        )
        alerts = (
            list(
                s.execute(
                    select(StaffAlert).where(
                        StaffAlert.id > before.alert,
                        StaffAlert.kind == "alert",
                        StaffAlert.conversation_id == conv_id,
                    )
                ).scalars()
            )
            if conv_id
            else []
        )
    replies = [m.body for m in messages if m.status != "blocked"]
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
    if exp.slots_offered is not None:
        want = exp.slots_offered
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
    if exp.deposit_link_sent is not None:
        sent = bool(deposits) and any(
            d.payment_link_url and d.payment_link_url in text for d in deposits
        )
        if sent != exp.deposit_link_sent:
            failures.append(f"deposit_link_sent is {sent}, expected {exp.deposit_link_sent}")
    if exp.handoff is not None and bool(alerts) != exp.handoff:
        failures.append(f"handoff is {bool(alerts)}, expected {exp.handoff}")
    if exp.max_segments is not None:
        for m in messages:
            if m.segments > exp.max_segments:
                failures.append(f"a reply is {m.segments} segments, max {exp.max_segments}")
    return replies, failures


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
    failures: list[str] = []
    phones = {name: p.phone for name, p in scenario.patients.items()}
    with run.ctx.db.session() as s:
        appts = list(
            s.execute(
                select(Appointment)
                .where(Appointment.patient_phone.in_(phones.values()))
                .order_by(Appointment.id)
            ).scalars()
        )
        opted = {row.phone for row in s.execute(select(OptOut)).scalars()}
        alerted = s.execute(select(StaffAlert.id).where(StaffAlert.kind == "alert")).first()
        deposits = list(
            s.execute(
                select(Deposit, Appointment.patient_phone).join(
                    Appointment, Appointment.id == Deposit.appointment_id
                )
            ).all()
        )
    described = [_describe(a, zone) for a in appts]
    if out.appointments is not None:
        used: set[int] = set()
        for want in out.appointments:
            match = None
            for a in appts:
                local = _local(a.start_at, zone)
                if (
                    a.id not in used
                    and a.patient_phone == phones[want.patient]
                    and a.service_id == want.service
                    and a.status == want.status
                    and (not want.weekday or WEEKDAYS[local.weekday()] == want.weekday)
                    and _time_ok(local, want.after, want.before)
                    and (not want.provider or a.provider_id == want.provider)
                ):
                    match = a
                    break
            if match is None:
                failures.append(
                    f"outcome: no {want.status} {want.service} appointment for "
                    f"{want.patient} matching {want.model_dump(exclude_none=True)}"
                )
            else:
                used.add(match.id)
        listed = {phones[w.patient] for w in out.appointments}
        for a in appts:
            if a.patient_phone in listed and a.status in ACTIVE_STATUSES and a.id not in used:
                failures.append(f"outcome: unexpected active appointment {_describe(a, zone)}")
    if out.staff_alerted is not None and bool(alerted) != out.staff_alerted:
        failures.append(f"outcome: staff_alerted is {bool(alerted)}, expected {out.staff_alerted}")
    if out.opted_out is not None:
        actual = sorted(n for n, p in phones.items() if p in opted)
        if actual != sorted(out.opted_out):
            failures.append(f"outcome: opted_out is {actual}, expected {sorted(out.opted_out)}")
    if out.deposits is not None:
        for dep in out.deposits:
            if not any(
                phone == phones[dep.patient] and d.status == dep.status for d, phone in deposits
            ):
                failures.append(f"outcome: no {dep.status} deposit for {dep.patient}")
    return failures, described
