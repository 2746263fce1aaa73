"""Runs conversation scenarios (DESIGN.md §4.2) through the real webhook endpoints.

Each run seeds the scenario's clinic into a fresh database, freezes the clock at ``now`` and
drives ``/webhooks/telnyx`` with correctly signed Telnyx payloads, so a scenario exercises
exactly what a real patient's text does. Expectations read the rows the step created.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from agent.models.base import ChatModel
from app.clock import FrozenClock
from app.context import AppContext
from app.eval.checks import check_outcome, check_step
from app.eval.given import apply_given
from app.eval.results import Marks, ScenarioResult, StepRecord
from app.eval.signing import TEST_TELNYX_PUBLIC_KEY, telnyx_headers
from app.eval.spec import Scenario, Step
from app.eval.waitlist_check import check_waitlist, seed_waitlist
from app.flows import staff
from app.flows.due import next_due_instant
from app.flows.no_show import no_show_by_phone
from app.flows.sweeper import run_due
from app.migrations.registry import create_all
from app.settings import ROOT, load_settings
from app.web import create_app
from app.wiring import build_context
from booking.models import Appointment, Deposit, SlotOffer
from knowledge.clinic_file import load_clinic_file
from knowledge.seed import seed_clinic
from messaging.models import Conversation, Message, StaffAlert

#: A bound on the due instants one ``advance`` visits (a runaway schedule is an error).
MAX_STOPS_PER_ADVANCE = 500


def resolve_clinic_path(scenario: Scenario) -> Path:
    """The clinic file path: relative to the scenario file, else to the repository root, else
    beside the scenario file (an installed package's demo, :mod:`app.demo`)."""
    candidates = []
    if scenario.path is not None:
        candidates.append(scenario.path.parent / scenario.clinic)
        candidates.append(scenario.path.parent / Path(scenario.clinic).name)
    candidates += [Path.cwd() / scenario.clinic, ROOT / scenario.clinic]
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]


class ScenarioRun:
    """One run of one scenario against a fresh database."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        workdir: Path,
        chat_model: ChatModel | None = None,
        database_url: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.clock = FrozenClock(scenario.now)
        url = database_url or f"sqlite:///{workdir / f'scenario-{uuid.uuid4().hex[:8]}.db'}"
        settings = load_settings(
            {},
            database_url=url,
            instance_path=workdir,
            telnyx_public_key=TEST_TELNYX_PUBLIC_KEY,
            sms_carrier="recording",
            public_base_url="http://frontdesk.test",
            # The test Telnyx key signs the scenario's webhooks; `pay_deposit` pays through
            # the local checkout, which is off beside carrier keys unless asked for.
            frontdesk_demo_checkout=True,
        )
        self.ctx: AppContext = build_context(
            settings, clock=self.clock, chat_model=chat_model, raise_job_errors=True
        )
        create_all(self.ctx.db)
        clinic = load_clinic_file(resolve_clinic_path(scenario))
        seed_clinic(self.ctx.db, clinic)
        self.clinic = clinic
        self.clinic_number = clinic.clinic.phone_numbers[0]
        self.client: FlaskClient = create_app(context=self.ctx).test_client()
        self.default_patient = next(iter(scenario.patients))
        self._event = 0
        phones = {name: p.phone for name, p in scenario.patients.items()}
        seed_waitlist(self.ctx, clinic.clinic.id, phones, scenario.given.waitlist)

    # --- helpers ------------------------------------------------------------------------
    def phone(self, patient: str) -> str:
        """The scenario patient's phone number."""
        return self.scenario.patients[patient].phone

    def marks(self) -> Marks:
        """Current highest ids of the tables steps are checked against."""
        with self.ctx.db.session() as s:
            return Marks(
                message=s.execute(select(func.max(Message.id))).scalar() or 0,
                offer=s.execute(select(func.max(SlotOffer.id))).scalar() or 0,
                alert=s.execute(select(func.max(StaffAlert.id))).scalar() or 0,
                deposit=s.execute(select(func.max(Deposit.id))).scalar() or 0,
                queued=frozenset(
                    s.scalars(
                        select(Message.id).where(
                            Message.direction == "out", Message.status == "queued"
                        )
                    )
                ),
            )

    def _post_telnyx(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        ts = int(self.clock.now().timestamp())
        response = self.client.post(
            "/webhooks/telnyx",
            data=body,
            headers={**telnyx_headers(body, ts), "content-type": "application/json"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.data!r}")

    def _event_id(self) -> str:
        self._event += 1
        return f"evt-{self._event:05d}-{uuid.uuid4().hex[:8]}"

    # --- actions --------------------------------------------------------------------------
    def send_text(self, patient: str, text: str) -> None:
        """POST a signed Telnyx ``message.received`` from ``patient``."""
        now = self.clock.now().isoformat()
        self._post_telnyx(
            {
                "data": {
                    "event_type": "message.received",
                    "id": self._event_id(),
                    "occurred_at": now,
                    "record_type": "event",
                    "payload": {
                        "id": str(uuid.uuid4()),
                        "direction": "inbound",
                        "type": "SMS",
                        "messaging_profile_id": "scenario-profile",
                        "text": text,
                        "from": {
                            "phone_number": self.phone(patient),
                            "carrier": "",
                            "line_type": "",
                        },
                        "to": [{"phone_number": self.clinic_number, "status": "webhook_delivered"}],
                        "media": [],
                        "parts": 1,
                        "encoding": "GSM-7",
                        "received_at": now,
                    },
                },
                "meta": {"attempt": 1, "delivered_to": "http://frontdesk.test/webhooks/telnyx"},
            }
        )

    def missed_call(self, patient: str) -> None:
        """POST Telnyx ``call.initiated`` then ``call.hangup`` for a call never answered."""
        session_id = str(uuid.uuid4())
        base = {
            "call_control_id": f"v3:{uuid.uuid4().hex}",
            "call_session_id": session_id,
            "call_leg_id": str(uuid.uuid4()),
            "connection_id": "scenario",
            "from": self.phone(patient),
            "to": self.clinic_number,
        }
        now = self.clock.now().isoformat()
        self._post_telnyx(
            {
                "data": {
                    "event_type": "call.initiated",
                    "id": self._event_id(),
                    "occurred_at": now,
                    "record_type": "event",
                    "payload": {**base, "direction": "incoming", "state": "parked"},
                }
            }
        )
        self._post_telnyx(
            {
                "data": {
                    "event_type": "call.hangup",
                    "id": self._event_id(),
                    "occurred_at": now,
                    "record_type": "event",
                    "payload": {
                        **base,
                        "hangup_cause": "originator_cancel",
                        "hangup_source": "caller",
                    },
                }
            }
        )

    def pay_deposit(self, patient: str) -> None:
        """Pay the newest open (or lapsed) deposit link of ``patient`` via the local checkout."""
        with self.ctx.db.session() as s:
            link = (
                s.execute(
                    select(Deposit.payment_link_id)
                    .join(Appointment, Appointment.id == Deposit.appointment_id)
                    .where(
                        Appointment.patient_phone == self.phone(patient),
                        Deposit.status.in_(("open", "expired")),
                    )
                    .order_by(Deposit.id.desc())
                )
                .scalars()
                .first()
            )
        if link is None:
            raise RuntimeError(f"{patient} has no open deposit link to pay")
        response = self.client.post(f"/checkout/{link}/pay", headers={"accept": "application/json"})
        if response.status_code != 200:
            raise RuntimeError(f"checkout answered {response.status_code}")

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock by ``delta`` through every due instant on the way, in order, and run
        the jobs due at each (:func:`app.flows.due.next_due_instant`: hold expiry, reminders,
        quiet-hours deferrals, retries), then at the end instant."""
        target = self.clock.now() + delta
        self.ctx.jobs.enqueue(run_due)
        for _ in range(MAX_STOPS_PER_ADVANCE):
            with self.ctx.db.session() as s:
                due = next_due_instant(s, self.clock.now())
            if due is None or due > target:
                break
            self.clock.set(due)
            self.ctx.jobs.enqueue(run_due)
        else:
            raise RuntimeError(f"advance stopped after {MAX_STOPS_PER_ADVANCE} due instants")
        if self.clock.now() < target:
            self.clock.set(target)
            self.ctx.jobs.enqueue(run_due)

    def staff_reply(self, patient: str, text: str) -> None:
        """Staff take over and text the patient from the clinic number."""
        with self.ctx.db.session() as s:
            conv_id = s.execute(
                select(Conversation.id).where(Conversation.patient_phone == self.phone(patient))
            ).scalar_one()
        staff.staff_send(self.ctx, conv_id, text)

    def cancel_by_clinic(self, patient: str) -> None:
        """Staff cancel the patient's active appointment."""
        staff.cancel_by_clinic(self.ctx, self.phone(patient))

    def do(self, step: Step, patient: str) -> None:
        """Perform one step's action."""
        action = step.action
        if action == "text":
            self.send_text(patient, step.text or "")
        elif action == "missed_call":
            self.missed_call(patient)
        elif action == "pay_deposit":
            self.pay_deposit(patient)
        elif action == "advance" and step.advance is not None:
            self.advance(step.advance.delta)
        elif action == "staff_reply" and step.staff_reply is not None:
            self.staff_reply(patient, step.staff_reply.text)
        elif action == "cancel_by_clinic":
            self.cancel_by_clinic(patient)
        elif action == "no_show_by_clinic":
            no_show_by_phone(self.ctx, self.clinic.clinic.id, self.phone(patient))

    def close(self) -> None:
        """Release the database."""
        self.ctx.db.dispose()


def _record_turn_metrics(run: ScenarioRun, result: ScenarioResult) -> None:
    from agent.store import AgentTurn

    with run.ctx.db.session() as s:
        turns = s.execute(
            select(AgentTurn, Conversation.patient_phone).join(
                Conversation, Conversation.id == AgentTurn.conversation_id
            )
        ).all()
    for turn, phone in turns:
        result.turn_ms_excl_model.append(max(0, turn.total_ms - turn.model_ms))
        result.tokens_by_patient[phone] = (
            result.tokens_by_patient.get(phone, 0) + turn.prompt_tokens + turn.completion_tokens
        )
    result.booked_patients = sorted(
        {a["patient_phone"] for a in result.appointments if a["status"] == "booked"}
    )


def run_scenario(
    scenario: Scenario,
    *,
    chat_model_factory: Callable[[], ChatModel] | None = None,
    database_url: str | None = None,
    skip_llm: bool = True,
) -> ScenarioResult:
    """Run ``scenario`` once on a fresh database.

    Args:
        chat_model_factory: builds the backend (default: the offline model, or OpenAI when
            ``OPENAI_API_KEY`` is set).
        skip_llm: skip ``requires: llm`` scenarios (true when the offline model is in use).

    Returns:
        :class:`ScenarioResult`; ``passed`` only when every check held. An exception inside
        a step is reported as that step's failure, never raised.
    """
    result = ScenarioResult(
        name=scenario.name, path=str(scenario.path or ""), passed=False, tags=list(scenario.tags)
    )
    if scenario.llm_only and skip_llm:
        result.skipped = True
        return result
    with tempfile.TemporaryDirectory(prefix="frontdesk-scenario-") as tmp:
        run = ScenarioRun(
            scenario,
            workdir=Path(tmp),
            chat_model=chat_model_factory() if chat_model_factory else None,
            database_url=database_url,
        )
        try:
            try:
                apply_given(run)
            except Exception as exc:  # noqa: BLE001 - reported as the scenario's failure
                result.failures.append(f"given failed: {type(exc).__name__}: {exc}")
                return result
            for i, step in enumerate(scenario.steps):
                record = _run_step(run, i + 1, step)
                result.steps.append(record)
                result.failures += record.failures
            outcome_failures, appointments = check_outcome(run, scenario)
            result.failures += outcome_failures
            if scenario.outcome.waitlist is not None:
                phones = {name: p.phone for name, p in scenario.patients.items()}
                result.failures += check_waitlist(run.ctx, phones, scenario.outcome.waitlist)
            result.appointments = appointments
            _record_turn_metrics(run, result)
        finally:
            run.close()
    result.passed = not result.failures
    return result


def _run_step(run: ScenarioRun, number: int, step: Step) -> StepRecord:
    """Perform one step and check its expectations; an exception is the step's failure."""
    patient = step.as_ or run.default_patient
    before = run.marks()
    text = step.text or (step.staff_reply.text if step.staff_reply else None)
    record = StepRecord(number, patient, step.action, text, [], [])
    try:
        run.do(step, patient)
    except Exception as exc:  # noqa: BLE001 - reported as the step's failure
        record.failures.append(f"step {number} ({step.action}) failed: {type(exc).__name__}: {exc}")
    else:
        record.replies, failures = check_step(run, step, patient, before)
        record.failures += [f"step {number}: {f}" for f in failures]
    return record
