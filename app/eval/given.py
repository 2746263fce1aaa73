"""A scenario's starting state (DESIGN.md §4.2 ``given``), made through the real code.

``given`` appointments are found in the clinic's EMR as free slots, held with
:func:`booking.holds.hold_offer` and booked with :func:`booking.holds.confirm_appointment`
at ``now``, so their reminders are scheduled exactly as for a booking made then; no
confirmation text is sent for them. ``given.opted_out`` numbers are opted out by the same
call a STOP makes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Protocol

from app.clock import FrozenClock
from app.eval.spec import GivenAppointment, Scenario
from booking.holds import confirm_appointment, hold_offer
from booking.models import Deposit, DepositStatus, SlotOffer
from emr.base import SlotQuery
from messaging.inbound import get_or_create_conversation
from messaging.models import OptOutSource
from messaging.outbound import record_opt_out

if TYPE_CHECKING:
    from app.context import AppContext
    from knowledge.clinic_file import ClinicFile


class ScenarioRun(Protocol):
    """What ``given`` needs of a run: its scenario, clock, context, clinic and numbers."""

    scenario: Scenario
    clock: FrozenClock
    ctx: AppContext
    clinic: ClinicFile
    clinic_number: str

    def phone(self, patient: str) -> str:
        """The E.164 number of the scenario's patient ``patient``."""
        ...


class GivenError(RuntimeError):
    """A ``given`` entry cannot be made (no such service, the slot is not free)."""


def apply_given(run: ScenarioRun) -> None:
    """Create the scenario's ``given`` state on the run's fresh database.

    Raises:
        GivenError: an appointment's slot is not a free opening of the clinic's EMR.
    """
    given = run.scenario.given
    for appointment in given.appointments:
        book_given(run, appointment)
    now = run.clock.now()
    with run.ctx.db.session() as s:
        for name in given.opted_out:
            record_opt_out(
                s, run.clinic.clinic.id, run.phone(name), OptOutSource.KEYWORD.value, now
            )


def book_given(run: ScenarioRun, want: GivenAppointment) -> int:
    """Hold and book one ``given`` appointment in the patient's conversation.

    Returns:
        Our appointment id.

    Raises:
        GivenError: unknown service, or no free opening starts at ``want.start``.
    """
    clinic = run.clinic
    try:
        service = clinic.service(want.service)
    except KeyError:
        raise GivenError(f"given: unknown service {want.service!r}") from None
    providers = (want.provider,) if want.provider else tuple(service.provider_ids)
    emr = run.ctx.emr_for(clinic)
    start = want.start.astimezone(dt.UTC)
    found = emr.find_slots(
        SlotQuery(
            service_id=service.id,
            duration_minutes=service.duration_minutes + service.buffer_minutes,
            provider_ids=providers,
            start=start,
            end=start + dt.timedelta(minutes=1),
        )
    )
    slot = next((s for s in found if s.start == start), None)
    if slot is None:
        raise GivenError(f"given: no free {want.service} opening at {want.start.isoformat()}")
    now = run.clock.now()
    phone = run.phone(want.patient)
    with run.ctx.db.session() as s:
        conversation = get_or_create_conversation(
            s,
            clinic_id=clinic.clinic.id,
            patient_phone=phone,
            clinic_phone=run.clinic_number,
            carrier=run.ctx.default_carrier(),
            now=now,
        )
        offer = SlotOffer(
            conversation_id=conversation.id,
            clinic_id=clinic.clinic.id,
            batch=0,
            position=1,
            service_id=service.id,
            provider_id=slot.provider_id,
            start_at=slot.start,
            end_at=slot.end,
            token=slot.token,
            created_at=now,
        )
        s.add(offer)
        s.flush()
        s.expunge(offer)
    deposit_cents = clinic.deposit_cents(service) if want.deposit == "paid" else 0
    terms = run.ctx.clinic_terms(clinic)
    held = hold_offer(
        run.ctx.db,
        emr,
        clinic=terms,
        offer=offer,
        patient_phone=phone,
        service_name=service.name,
        provider_name=clinic.provider(slot.provider_id).name,
        deposit_cents=deposit_cents,
        now=now,
    )
    if want.deposit == "paid":
        _paid_deposit(run, held.appointment_id, deposit_cents, now)
    confirm_appointment(run.ctx.db, emr, held.appointment_id, now, reminders=terms.reminders)
    return held.appointment_id


def _paid_deposit(run: ScenarioRun, appointment_id: int, cents: int, now: dt.datetime) -> None:
    """Record the deposit of a ``given`` appointment as paid through the local checkout."""
    with run.ctx.db.session() as s:
        s.add(
            Deposit(
                appointment_id=appointment_id,
                clinic_id=run.clinic.clinic.id,
                amount_cents=cents,
                currency=run.clinic.clinic.booking.currency,
                provider="local",
                status=DepositStatus.PAID,
                idempotency_key=f"given-{uuid.uuid4().hex}",
                payment_id=f"given-{appointment_id}",
                created_at=now,
                paid_at=now,
            )
        )
