"""Several asks about one service in one text; policy questions from the records only."""

from __future__ import annotations

import pytest

from agent.offline.clinic_policies import AGE, CANCELLATION, DEPOSIT, LATE, on_topic, policy_topic
from agent.offline.facets import facet_questions
from agent.offline.questions import split_questions
from knowledge.clinic_file import ClinicFile


@pytest.mark.parametrize(
    ("text", "service_id", "wanted"),
    [
        # price and duration: the service's record answers both at once
        ("how much and how long is a hydra facial", None, ["how long is HydraFacial"]),
        # the service talked about before, and a question its record does not answer
        (
            "whats the downtime and the cost",
            "microneedling",
            ["how much is Microneedling (SkinPen)", "downtime for Microneedling (SkinPen)?"],
        ),
        ("how much?", "microneedling", ["how much is Microneedling (SkinPen)"]),
        # unchanged: a plain price question, a detail of the price, chatter, other money
        ("how much is botox", None, ["how much is botox"]),
        ("how much is botox for my forehead", None, ["how much is botox for my forehead"]),
        (
            "lol i nearly passed out when i saw my last bill, how much is a hydrafacial",
            None,
            ["lol i nearly passed out when i saw my last bill, how much is a hydrafacial"],
        ),
        ("how much is the deposit", "botox", ["how much is the deposit"]),
        ("how long does botox last", None, ["how long does botox last"]),
        ("how long do i have to wait", "botox", ["how long do i have to wait"]),
    ],
)
def test_facet_questions(
    demo_clinic: ClinicFile, text: str, service_id: str | None, wanted: list[str]
) -> None:
    assert facet_questions(demo_clinic, text, split_questions(text), service_id) == wanted


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("how old do you have to be for botox", AGE),
        ("my daughter is 15, can she get a hydrafacial?", AGE),
        ("im 17 can i get lip filler", AGE),
        ("whats ur policy if im running late", LATE),
        ("whats your cancellation policy", CANCELLATION),
        ("is there a no show fee", CANCELLATION),
        ("do i need a deposit", DEPOSIT),
        ("do i have to put down a deposit for the glass facial?", DEPOSIT),
        ("did my deposit go through?", None),
        ("can i get my deposit back", None),
        ("how late are you open", None),
        ("botox is 15 units right?", None),
        ("my appointment is 10 right?", None),
        ("my son is 16, can he get laser", AGE),
    ],
)
def test_policy_topic(text: str, topic: object) -> None:
    assert policy_topic(text) is topic


def test_only_sentences_on_the_topic_are_quoted() -> None:
    doc = (
        "# Policy\n\nWe love our patients. Give 24 hours' notice to cancel.\n- Less: deposit kept."
    )
    result = {"passages": [{"title": "Policy", "text": doc}]}
    assert on_topic(result, CANCELLATION) == "Give 24 hours' notice to cancel."
    assert on_topic(result, LATE) == ""  # silent: the reply says so and staff are alerted
    faq = {"passages": [{"title": "Age", "text": "Q: How old do I have to be?\nA: 18 or older."}]}
    assert on_topic(faq, AGE) == "18 or older."
