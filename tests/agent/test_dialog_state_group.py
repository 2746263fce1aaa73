"""A group request's facts live in the stored dialog state (issue 12 items 1 and 5): the
group tools write its options and holds, the offline model reads them from there, and both
chat backends see the same facts."""

from __future__ import annotations

from collections.abc import Callable

from agent.dialog import Asked, ConversationState, StateUpdate
from agent.engine import run_turn
from agent.models.scripted import ScriptedModel, call, say
from agent.offline import OfflineModel
from agent.store import load_state
from agent.tools import AgentDeps
from app.context import AppContext
from booking.models import Appointment, AppointmentStatus
from knowledge.clinic_file import ClinicFile
from tests.agent.test_agent_engine import _deps


def _stored(deps: AgentDeps) -> ConversationState:
    with deps.db.session() as s:
        return load_state(s, deps.conversation_id)


def test_the_offline_model_holds_the_group_a_gpt_turn_offered(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    deps = _deps(make_ctx(database_url), demo_clinic)
    gpt = ScriptedModel(
        [call("find_group_slots", service_id="botox", weekdays=["sat"], party_size=2), say("..")]
    )
    run_turn(deps, gpt, "me and my friend want botox saturday")
    group = _stored(deps).group
    assert group is not None and group.size == 2 and len(group.offers) >= 2
    assert group.search["weekdays"] == ["sat"] and len(group.offers[0].slots) == 2
    # The next GPT turn is told the group's options...
    gpt = ScriptedModel([say("Which one?")])
    run_turn(deps, gpt, "hmm let me think")
    system = gpt.requests[0].messages[0].content or ""
    assert "Booking for a group of 2 people together" in system
    assert "Group options offered (pick with hold_group): 1) " in system
    # ...and the offline model's pick holds the group: one hold and one link per person.
    result = run_turn(deps, OfflineModel(), "2 pls")
    assert result.tool_names == ["hold_group"]
    after = _stored(deps)
    assert after.group is None and after.hold is None and len(after.group_holds) == 2
    assert all(h.link_sent for h in after.group_holds)
    assert [h.when for h in after.group_holds] == [s.when for s in group.offers[1].slots]


def test_single_offers_after_group_options_are_picked_one_person(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    deps = _deps(make_ctx(database_url), demo_clinic)
    run_turn(deps, OfflineModel(), "me and my sister want botox saturday")
    assert _stored(deps).group is not None
    run_turn(deps, OfflineModel(), "actually just me, thursday after 4")
    stored = _stored(deps)
    assert stored.group is None and len(stored.offers) >= 2
    result = run_turn(deps, OfflineModel(), "the second one")
    assert result.tool_names == ["hold_slot", "send_deposit_link"]
    hold = _stored(deps).hold
    assert hold is not None and hold.when == stored.offers[1].when


def test_how_many_is_a_stored_question_and_the_count_opens_the_group(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    deps = _deps(make_ctx(database_url), demo_clinic)
    run_turn(deps, OfflineModel(), "my friends and i want hydrafacials")
    stored = _stored(deps)
    assert stored.question is not None and stored.question.asked == Asked.COUNT
    assert stored.group is not None and stored.group.size is None
    result = run_turn(deps, OfflineModel(), "3")
    assert result.tool_names == ["find_group_slots"]
    group = _stored(deps).group
    assert group is not None and group.size == 3 and group.search["party_size"] == 3


def test_a_party_update_opens_resizes_and_closes_a_group() -> None:
    state = ConversationState()
    state.after_reply(StateUpdate(party_size=None))
    assert state.group is not None and state.group.size is None
    state.group_offered("botox", {"service_id": "botox", "party_size": 2}, [])
    state.after_reply(StateUpdate(party_size=3))
    assert state.group is not None and state.group.size == 3
    assert state.group.search == {"service_id": "botox", "party_size": 2}
    state.after_reply(StateUpdate())  # an update that says nothing of the party keeps it
    assert state.group is not None
    state.after_reply(StateUpdate(party_size=1))
    assert state.group is None
    assert ConversationState.model_validate_json(state.model_dump_json()) == state


def test_a_paid_group_hold_is_no_longer_a_stored_hold(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    run_turn(deps, OfflineModel(), "me and my friend want botox saturday")
    run_turn(deps, OfflineModel(), "1")
    holds = _stored(deps).group_holds
    assert len(holds) == 2
    with deps.db.session() as s:
        paid = s.get(Appointment, holds[0].appointment_id)
        assert paid is not None
        paid.status = AppointmentStatus.BOOKED
    assert [h.appointment_id for h in _stored(deps).group_holds] == [holds[1].appointment_id]
