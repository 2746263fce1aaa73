"""The conversation's dialog state is stored with it (issue 12): it survives turns, worker
processes, a staff takeover and the rewording of every reply, and a lapsed hold leaves it.

Driven over the Telnyx webhook on both database backends, with the offline model; each
check is something a patient would notice ("the second one" books the second time offered,
"yes" cancels the appointment asked about).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select, update

from agent.dialog import Asked, ConversationState
from agent.prompt import state_block
from agent.store import AgentStep, DialogStateRow, Role, load_state
from app.clock import FrozenClock
from app.flows.staff import resume_ai, staff_send
from app.flows.sweeper import run_due
from booking.models import Appointment
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation
from tests.app.conftest import JANE, Desk, open_deposit
from tests.steps import pay


def _conversation(desk: Desk, phone: str = JANE) -> int:
    with desk.ctx.db.session() as s:
        return s.execute(
            select(Conversation.id).where(Conversation.patient_phone == phone)
        ).scalar_one()


def _state(desk: Desk, phone: str = JANE) -> ConversationState:
    with desk.ctx.db.session() as s:
        return load_state(s, _conversation(desk, phone))


def _reword_replies(desk: Desk) -> None:
    """Rewrite every stored assistant reply to wording no model ever wrote."""
    with desk.ctx.db.session() as s:
        s.execute(
            update(AgentStep)
            .where(AgentStep.role == Role.ASSISTANT, AgentStep.content.is_not(None))
            .values(content="(reworded by the clinic)")
        )


def _held_start(desk: Desk) -> dt.datetime:
    with desk.ctx.db.session() as s:
        appt = s.get(Appointment, open_deposit(desk.ctx, JANE).appointment_id)
        assert appt is not None
        return appt.start_at


def _second_offer_start(state: ConversationState) -> dt.datetime:
    assert len(state.offers) >= 2, state.offers
    return dt.datetime.fromisoformat(state.offers[1].start)


def test_the_state_survives_turns_and_worker_processes(
    desk_factory: Callable[..., Desk],
) -> None:
    first = desk_factory()
    [offers] = first.say("hey can i get botox thursday after 4")
    assert "2)" in offers
    state = _state(first)
    assert state.service_id == "botox" and state.wish is not None and state.wish.weekdays == [3]
    wanted = _second_offer_start(state)

    other_worker = desk_factory()  # another process: its own engine, nothing in memory
    replies = other_worker.say("the second one")
    assert any("/checkout/" in r for r in replies), replies
    assert _held_start(other_worker) == wanted
    state = _state(other_worker)
    assert state.offers == [] and state.hold is not None and state.hold.link_sent


def test_rewording_every_reply_changes_nothing_booking(desk: Desk) -> None:
    [price] = desk.say("how much is botox")
    assert "$13" in price
    _reword_replies(desk)
    [offers] = desk.say("yes pls")
    assert "2)" in offers
    wanted = _second_offer_start(_state(desk))
    _reword_replies(desk)
    replies = desk.say("the second one")
    assert any("/checkout/" in r for r in replies), replies
    assert _held_start(desk) == wanted


def _book_paid(desk: Desk, clinic: ClinicFile) -> int:
    deposit = desk.book_to_deposit(JANE)
    assert deposit.order_id is not None
    assert pay(desk.ctx, clinic, deposit.order_id).result == "booked"
    return deposit.appointment_id


def _status(desk: Desk, appointment_id: int) -> str:
    with desk.ctx.db.session() as s:
        appt = s.get(Appointment, appointment_id)
        assert appt is not None
        return appt.status


def test_rewording_every_reply_changes_nothing_cancel(desk: Desk, demo_clinic: ClinicFile) -> None:
    booked = _book_paid(desk, demo_clinic)
    desk.say("i need to cancel my appt")
    _reword_replies(desk)
    desk.say("yes")
    assert _status(desk, booked) == "cancelled"


def test_rewording_every_reply_changes_nothing_move(desk: Desk, demo_clinic: ClinicFile) -> None:
    booked = _book_paid(desk, demo_clinic)
    desk.say("can i move my appointment")
    _reword_replies(desk)
    [offers] = desk.say("friday afternoon?")
    assert "2)" in offers
    wanted = _second_offer_start(_state(desk))
    _reword_replies(desk)
    desk.say("2")
    assert _status(desk, booked) == "cancelled"  # moved: the old time is given up
    with desk.ctx.db.session() as s:
        moved = s.execute(
            select(Appointment).where(
                Appointment.patient_phone == JANE, Appointment.status == "booked"
            )
        ).scalar_one()
        assert moved.start_at == wanted


def test_the_state_names_what_each_reply_asked(desk: Desk, demo_clinic: ClinicFile) -> None:
    desk.say("how much is botox")
    question = _state(desk).question
    assert question is not None and question.asked == Asked.SEARCH
    booked = _book_paid(desk, demo_clinic)
    desk.say("i need to cancel my appt")
    state = _state(desk)
    assert state.confirm is not None and state.confirm.appointment.appointment_id == booked
    desk.say("actually no keep it")
    state = _state(desk)
    assert state.confirm is None and _status(desk, booked) == "booked"
    desk.say("can i move it")
    state = _state(desk)
    assert state.question is not None and state.question.asked == Asked.NEW_TIME
    assert state.change.moving is not None and state.change.moving.appointment_id == booked


def test_a_staff_takeover_and_resume_keep_the_state(desk: Desk) -> None:
    desk.say("botox thursday after 4?")
    before = _state(desk)
    wanted = _second_offer_start(before)
    conversation = _conversation(desk)
    staff_send(desk.ctx, conversation, "Hi, this is the front desk, one sec!")
    assert desk.say("ok thx") == []  # staff have it: the AI is silent
    resume_ai(desk.ctx, conversation)
    assert _state(desk) == before
    replies = desk.say("the second one")
    assert any("/checkout/" in r for r in replies), replies
    assert _held_start(desk) == wanted


def test_a_lapsed_hold_leaves_the_state(desk: Desk, clock: FrozenClock) -> None:
    desk.book_to_deposit(JANE)
    state = _state(desk)
    assert state.hold is not None
    assert "Held until" in state_block(desk.ctx.clinic("glow-austin"), state)  # type: ignore[arg-type]
    clock.advance(dt.timedelta(minutes=16))  # the 15-minute hold lapses
    assert run_due(desk.ctx)["expired_holds"] == 1
    state = _state(desk)
    assert state.hold is None and state.service_id == "botox"
    assert "Held" not in state_block(desk.ctx.clinic("glow-austin"), state)  # type: ignore[arg-type]


def test_a_stored_state_of_another_version_starts_empty(desk: Desk) -> None:
    desk.say("botox thursday after 4?")
    conversation = _conversation(desk)
    with desk.ctx.db.session() as s:
        row = s.get(DialogStateRow, conversation)
        assert row is not None and row.state["version"] == 1
        row.state = {**row.state, "version": 99}
    assert _state(desk) == ConversationState()
    # The conversation goes on from an empty state: "the second one" offers nothing to pick.
    replies = desk.say("the second one")
    assert not any("/checkout/" in r for r in replies)
