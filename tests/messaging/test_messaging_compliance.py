"""Carrier keywords and free-text opt-out detection."""

from __future__ import annotations

import pytest

from messaging.compliance import classify_keyword, is_free_text_opt_out


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Twilio defaults
        ("STOP", "stop"),
        ("unsubscribe", "stop"),
        ("End", "stop"),
        ("quit", "stop"),
        ("STOPALL", "stop"),
        ("revoke", "stop"),
        ("optout", "stop"),
        ("Cancel", "stop"),
        ("START", "start"),
        ("yes", "start"),
        ("unstop", "start"),
        ("HELP", "help"),
        ("info", "help"),
        # Telnyx defaults
        ("STOP ALL", "stop"),
        ("stop   all", "stop"),
        # spelling variants, whitespace and trailing punctuation
        ("  Stop.  ", "stop"),
        ("STOP!!!", "stop"),
        ("stop?", "stop"),
        ("Opt out", "stop"),
        ("opt-out", "stop"),
        ("Help?", "help"),
        ("Start!", "start"),
        ("\u201cSTOP\u201d", "stop"),
    ],
)
def test_carrier_keywords(body: str, expected: str) -> None:
    assert classify_keyword(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "stop texting me",
        "stop by tomorrow?",
        "I need to cancel my appointment",
        "yes please, the 3pm",
        "help me pick a time",
        "info on lip filler?",
        "",
        "   ",
        "STOP STOP",
        "start time?",
    ],
)
def test_keywords_only_as_whole_message(body: str) -> None:
    assert classify_keyword(body) is None


@pytest.mark.parametrize(
    "body",
    [
        # from the brief
        "please stop texting me",
        "take me off your list",
        "don't text me anymore",
        "unsubscribe me",
        "remove my number",
        # more
        "Please stop texting me.",
        "STOP TEXTING ME",
        "pls stop txting me",
        "Stop sending me these messages!!",
        "can you stop messaging me",
        "Quit texting me",
        "quit calling and texting me",
        "stop all the marketing texts",
        "Stop the reminders please",
        "no more texts please",
        "No more messages",
        "I don\u2019t want any more messages from you",
        "I no longer wish to receive texts",
        "do not contact me again",
        "Don't text me.",
        "never message me again",
        "Please remove me from your text list.",
        "Take me off of this list",
        "take me off",
        "remove me please",
        "Delete my number from your system",
        "lose my number",
        "opt me out",
        "I want to opt out of these texts",
        "how do I unsubscribe",
        "leave me alone",
        "please stop",
        "stop it now",
        "Stop",
        "I said stop texting me",
        "I want you to stop contacting me",
        "hi, this is jane. please stop sending me promos",
        "I would like to be removed from your list",
        "Why don't you stop texting me",
        "Wrong number, stop texting me",
        "not interested, please stop messaging me",
        "OPT OUT please",
    ],
)
def test_free_text_opt_out_positives(body: str) -> None:
    assert is_free_text_opt_out(body), body


@pytest.mark.parametrize(
    "body",
    [
        # from the brief
        "stop by tomorrow?",
        "can I stop botox before my wedding",
        "I need to cancel my appointment",
        "what time do you stop taking appointments",
        # more clinic talk
        "Can I stop by to pick up my receipt?",
        "Should I stop taking retinol before my peel?",
        "when should I stop using tretinoin",
        "Did you stop sending reminders? I didn't get one",
        "please remove me from the waitlist",
        "take me off the wait list for thursday",
        "don't text me before 9am please",
        "Please don't stop texting me reminders, they help!",
        "I didn't opt out, why am I not getting texts?",
        "Can I opt out of the numbing cream?",
        "my phone stopped getting your messages",
        "I'll text you when I'm done",
        "Can you text me the address?",
        "I had to stop texting, I was driving",
        "cancel",  # a carrier keyword (classify_keyword), not free text
        "I unsubscribed from your emails but still want texts",
        "What's the price to remove my tattoo?",
        "Is there a list of services?",
        "yes the 3pm works",
        "Can you send me the deposit link again?",
        "stop sign near your entrance is confusing lol",
        "I got removed from your list by mistake, can you add me back?",
        "I can't stop smiling after my facial!",
        "please call me instead of texting",
        "Quit smoking before surgery?",
        "I'll stop by after work",
        "Thanks for the reminder",
        "Stop! That price is amazing lol",
    ],
)
def test_free_text_opt_out_negatives(body: str) -> None:
    assert not is_free_text_opt_out(body), body
