"""Tests for agent.nlu.intents: yes/no, intents, safety flags, names."""

from __future__ import annotations

import pytest

from agent.nlu.intents import detect_intents, extract_name, yes_no


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yes!",
        "yep",
        "ya",
        "yesss",
        "yeah that works",
        "sure",
        "ok",
        "k",
        "Sounds good!",
        "perfect",
        "👍",
        "that works",
        "yes please",
        "for sure",
        "lets do it",
        "yes but can we do 3",
    ],
)
def test_yes(text: str) -> None:
    assert yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No.",
        "nope",
        "nah",
        "noooo",
        "not really",
        "none of those work",
        "neither",
        "no thanks",
        "that doesn't work",
        "no that doesnt work for me",
        "im good thanks",
        "👎",
    ],
)
def test_no(text: str) -> None:
    assert yes_no(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "not sure",
        "maybe",
        "hmm",
        "is that a yes",
        "what time",
        "no problem",
        "thursday after 4",
        "",
    ],
)
def test_neither_yes_nor_no(text: str) -> None:
    assert yes_no(text) is None


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("can i book botox thursday", {"wants_booking", "is_question"}),
        ("i want to schedule an appt", {"wants_booking"}),
        ("any openings tomorrow", {"wants_booking", "is_question"}),
        ("do you have anything friday", {"wants_booking", "is_question"}),
        ("can i get in this week", {"wants_booking", "is_question"}),
        ("how much is botox", {"asks_price", "is_question"}),
        ("whats the pricing on filler", {"asks_price", "is_question"}),
        ("what do you charge for lips", {"asks_price", "is_question"}),
        ("is it $13 a unit", {"asks_price", "is_question"}),
        ("what are your hours", {"asks_hours", "is_question"}),
        ("are you open saturday", {"asks_hours", "is_question"}),
        ("what time do you close", {"asks_hours", "is_question"}),
        ("do you need 24 hours notice to cancel?", {"is_question"}),
        ("where are you located", {"asks_location", "is_question"}),
        ("is there parking", {"asks_location", "is_question"}),
        ("whats the address", {"asks_location", "is_question"}),
        ("i need to cancel my appt", {"wants_cancel", "names_change"}),
        ("cant make it tomorrow", {"wants_cancel"}),
        ("whats your cancellation policy", {"is_question"}),
        ("can i reschedule", {"wants_reschedule", "is_question", "names_change"}),
        ("i need to move my appointment", {"wants_reschedule", "names_change"}),
        ("I need to cancel", {"wants_cancel", "names_change"}),
        ("cant make it tmrw, pls cancel", {"wants_cancel", "names_change"}),
        ("can we move it to next week", {"wants_reschedule", "is_question"}),
        ("reschedule my botox to friday afternoon", {"wants_reschedule", "names_change"}),
        ("can i do friday instead?", {"wants_reschedule", "is_question"}),
        (
            "cancel my filler and rebook for friday",
            {"wants_cancel", "wants_reschedule", "names_change"},
        ),
        ("what happens if i cancel", {"is_question"}),
        ("pls cancel, do i get my deposit back?", {"wants_cancel", "names_change", "is_question"}),
        ("can i get filler instead of botox", {"is_question"}),
        ("when is my appt?", {"asks_my_appointment", "is_question"}),
        ("what time is my botox appointment tomorrow", {"asks_my_appointment", "is_question"}),
        ("do i still have an appointment friday", {"asks_my_appointment", "is_question"}),
        ("is my appointment confirmed", {"asks_my_appointment", "is_question"}),
        ("do i have anything booked?", {"asks_my_appointment", "is_question"}),
        ("actually nevermind", {"keeps_as_is"}),
        ("no wait, keep it", {"keeps_as_is"}),
        ("i can make it after all", {"keeps_as_is"}),
        ("i can come friday instead", {"wants_reschedule"}),
        ("how much notice do you need to reschedule", {"is_question"}),
        ("is there a fee to cancel my appointment", {"is_question", "asks_price"}),
        ("if i cancel my appt do i lose my deposit", set()),
        ("when is it again?", {"asks_my_appointment", "is_question"}),
        ("can i talk to a real person", {"wants_human", "is_question"}),
        ("pls call me", {"wants_human"}),
        ("is this a bot", {"wants_human", "is_question"}),
        ("hi there", {"greeting"}),
        ("Good morning!", {"greeting"}),
        ("thank you!!", {"thanks"}),
        ("thx 🙏", {"thanks"}),
        ("what services do you offer", {"asks_services", "is_question"}),
        ("do you have a menu", {"asks_services", "is_question"}),
        ("does botox hurt", {"is_question"}),
        ("how much does it hurt", {"is_question"}),
        ("i have swelling after filler", {"medical_concern"}),
        ("is botox safe while breastfeeding", {"medical_concern", "health_policy", "is_question"}),
        ("do you use numbing cream", {"is_question"}),
        ("my lip is still numb", {"medical_concern"}),
        ("can i get filler if im pregnant and swollen", {"medical_concern", "is_question"}),
        ("what kinda stuff do u guys do", {"asks_services", "is_question"}),
        ("im on blood thinners", {"medical_concern", "health_policy"}),
        ("some bruising near my lip", {"medical_concern"}),
        ("can filler cause blurry vision?", {"medical_concern", "is_question"}),
        ("my lip is turning white", {"medical_concern", "emergency"}),
        ("the skin looks dusky and blotchy after filler", {"medical_concern", "emergency"}),
        ("i cant see out of my left eye", {"medical_concern", "emergency"}),
        ("having trouble breathing after my shot", {"medical_concern", "emergency"}),
        ("severe pain in my cheek", {"medical_concern", "emergency"}),
        ("i fainted", {"medical_concern", "emergency"}),
        ("chest pain", {"medical_concern", "emergency"}),
        ("ok", set()),
    ],
)
def test_detect_intents(text: str, flags: set[str]) -> None:
    got = {k for k, v in vars(detect_intents(text)).items() if v}
    assert got == flags


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("it's Jane Smith", "Jane Smith"),
        ("its jane smith", "Jane Smith"),
        ("jane", "Jane"),
        ("my name is jane doe", "Jane Doe"),
        ("Jane here", "Jane"),
        ("this is Omar", "Omar"),
        ("call me Will", "Will"),
        ("McKenzie", "McKenzie"),
        ("sure it's Ana-Maria Lopez", "Ana-Maria Lopez"),
        ("im good", None),
        ("friday", None),
        ("i'm interested in getting botox", None),
        ("this is great", None),
        ("thanks", None),
        ("yes", None),
        ("can i book for thursday after 4", None),
        ("2", None),
    ],
)
def test_extract_name(text: str, name: str | None) -> None:
    assert extract_name(text) == name


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        # a refusal anywhere beats an affirmation
        ("perfect, no thanks", False),
        ("absolutely not lol", False),
        ("sure... actually no thank you", False),
        ("great but i'll pass for now", False),
        # an affirmation followed by a question: the question is the message
        ("ok cool, do you guys have any specials right now?", None),
        ("sounds good, what's the address", None),
        ("yes please, how long does it take?", None),
        # asking to change the offer stays a yes, as before
        ("yes but can we do 3", True),
        ("ok", True),
    ],
)
def test_refusals_win_and_questions_are_not_commitments(text: str, answer: bool | None) -> None:
    assert yes_no(text) is answer


@pytest.mark.parametrize(
    ("text", "defers"),
    [
        ("let me check with my husband and get back to u", True),
        ("lemme think about it", True),
        ("ill let you know tmrw", True),
        ("need to look at my work schedule first", True),
        ("the 4pm works", False),
        ("can you check if thursday is open", False),
    ],
)
def test_deferral(text: str, defers: bool) -> None:
    assert detect_intents(text).defers is defers


@pytest.mark.parametrize(
    ("text", "answer", "question"),
    [
        # a leading acknowledgement followed by a question is a question, "?" or not
        ("ok lol do i need to shave first", None, True),
        ("cool cool. hows the parking situation", None, True),
        ("ok cool do u take insurance", None, True),
        ("yea sounds good, whats the address", None, True),
        ("k and do u have parking", None, True),
        ("ok so how long is the appt", None, True),
        ("sure, is there parking?", None, True),
        # imperatives and plain yeses that share a word stay yeses
        ("ok do it", True, False),
        ("sure will do", True, False),
        ("yes would love that", True, False),
        ("yes but can we do 3", True, False),
        ("ok great thanks", True, False),
    ],
)
def test_ack_then_question(text: str, answer: bool | None, question: bool) -> None:
    assert yes_no(text) is answer
    assert detect_intents(text).is_question is question
