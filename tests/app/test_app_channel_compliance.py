"""Opt-out, opt-in and HELP over the real webhook, and carrier opt-out errors on send."""

from __future__ import annotations

import pytest

from app.flows.sending import send_message
from messaging.base import SendError
from messaging.models import Message, OptOut
from messaging.outbound import queue_text
from tests.app.conftest import CLINIC, JANE, Desk


def test_stop_gets_exactly_one_confirmation(desk: Desk) -> None:
    [confirmation] = desk.say("Stop.")
    assert "unsubscribed" in confirmation and "START" in confirmation
    assert desk.say("STOP") == []
    assert desk.say("please stop texting me") == []
    assert desk.say("how much is botox") == []
    assert desk.count(OptOut, OptOut.phone == JANE) == 1


@pytest.mark.parametrize("word", ["UNSUBSCRIBE", "end", "Quit", "stop all", "STOPALL", "cancel"])
def test_every_carrier_stop_word_opts_out(desk: Desk, word: str) -> None:
    assert len(desk.say(word)) == 1
    assert desk.count(OptOut, OptOut.phone == JANE) == 1


def test_free_text_revocation_is_recorded_as_such(desk: Desk) -> None:
    [confirmation] = desk.say("please stop texting me")
    assert "unsubscribed" in confirmation
    with desk.ctx.db.session() as s:
        row = s.get(OptOut, ("glow-austin", JANE))
        assert row is not None and row.source == "free_text"


def test_start_resubscribes_only_an_opted_out_number(desk: Desk) -> None:
    replies = desk.say("START")
    assert not any("resubscribed" in r for r in replies)  # not opted out: ordinary text
    desk.say("STOP")
    [confirmation] = desk.say("UNSTOP")
    assert "resubscribed" in confirmation
    assert desk.count(OptOut) == 0
    assert desk.say("how much is botox")  # answered again


def test_yes_from_a_subscribed_patient_reaches_the_agent(desk: Desk) -> None:
    replies = desk.say("yes")
    assert replies and not any("resubscribed" in r for r in replies)


def test_help_names_clinic_number_rates_and_stop(desk: Desk) -> None:
    [help_reply] = desk.say("HELP")
    assert "Glow Med Spa" in help_reply
    assert "(512) 555-0100" in help_reply
    assert "Msg & data rates may apply" in help_reply
    assert "STOP" in help_reply


def test_telnyx_info_is_not_a_help_keyword(desk: Desk) -> None:
    # Telnyx's default set has HELP only; "info" is a question for the agent.
    assert not any("Msg & data rates" in r for r in desk.say("info"))


def test_help_to_an_opted_out_number_sends_nothing(desk: Desk) -> None:
    desk.say("STOP")
    assert desk.say("HELP") == []


@pytest.mark.parametrize(("carrier", "code"), [("telnyx", "40300"), ("twilio", "21610")])
def test_carrier_opt_out_error_marks_opted_out(desk: Desk, carrier: str, code: str) -> None:
    ctx = desk.ctx
    ctx.recording.fail_next(SendError("opted out", code=code, permanent=True, opted_out=True))
    now = ctx.clock.now()
    with ctx.db.session() as s:
        row = queue_text(
            s,
            clinic_id="glow-austin",
            from_number=CLINIC,
            to_number=JANE,
            body="Your appointment is tomorrow",
            carrier=carrier,
            now=now,
            kind="confirmation",
        )
        message_id = row.id
    with ctx.db.session() as s:
        stored = s.get(Message, message_id)
        assert stored is not None
        assert stored.status == "failed" and stored.error_code == code
        opt_out = s.get(OptOut, ("glow-austin", JANE))
        assert opt_out is not None and opt_out.source == "carrier"
    # Later texts are blocked before the carrier is called.
    with ctx.db.session() as s:
        later = queue_text(
            s,
            clinic_id="glow-austin",
            from_number=CLINIC,
            to_number=JANE,
            body="hello again",
            carrier=carrier,
            now=now,
        )
        assert later.status == "blocked"
    assert send_message(ctx, later.id) == "skipped"
    assert ctx.recording.sent == []
