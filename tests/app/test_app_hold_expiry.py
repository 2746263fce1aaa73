"""Expired holds are released on the embedded default too (inline jobs, no Redis, no sweeper):
a patient searching after another patient's hold lapsed is offered that time again.

Driven over the Telnyx webhook with the inline queue and an injected (frozen) clock; nothing
runs the sweeper here, as nothing runs it in ``frontdesk serve`` without a worker.
"""

from __future__ import annotations

import datetime as dt

from app.clock import FrozenClock
from app.jobs import InlineQueue
from booking.models import Deposit
from tests.app.conftest import JANE, OMAR, Desk, appointment_of, open_deposit

# Tuesday: Dr. Lee is the one Botox provider that day, so Jane's hold takes the 4 PM time
TUE_4PM = "Tue Nov 24 at 4:00 PM CST"


def test_a_lapsed_hold_is_offered_again_to_the_next_patient(desk: Desk, clock: FrozenClock) -> None:
    assert isinstance(desk.ctx.jobs, InlineQueue)
    deposit = desk.book_to_deposit(JANE, "tuesday")  # Jane holds Tuesday 4 PM, never pays
    [offer] = desk.say("do you have botox tuesday after 4?", OMAR)
    assert f"1) {TUE_4PM}" not in offer  # held: not offered while the hold lasts
    clock.advance(dt.timedelta(minutes=16))  # the 15-minute hold lapses
    replies = desk.say("do you have botox tuesday after 4?", OMAR)
    assert any(f"1) {TUE_4PM}" in r for r in replies), replies
    assert appointment_of(desk.ctx, deposit).status == "expired"
    with desk.ctx.db.session() as s:
        row = s.get(Deposit, deposit.id)
        assert row is not None and row.status == "expired"
    assert any("has lapsed" in t for t in desk.ctx.recording.bodies(JANE))
    held = desk.say("1", OMAR)
    assert any(f"I'm holding Botox with Dr. Maya Lee on {TUE_4PM}" in r for r in held), held
    assert open_deposit(desk.ctx, OMAR).appointment_id != deposit.appointment_id
