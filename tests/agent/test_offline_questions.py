"""Every question of a text or burst is answered, each as if it came alone (offline model)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.engine import run_turn
from agent.offline import OfflineModel
from agent.offline.questions import split_questions
from app.context import AppContext
from knowledge.clinic_file import ClinicFile
from tests.agent.test_agent_engine import _deps


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("how much is botox? also are you open on saturdays", 2),
        ("where are you located and do you validate parking", 2),
        ("whats a b12 shot cost\nand do you guys take carecredit", 2),  # a burst
        ("how much is filler. how long does it last? do you do payment plans", 3),
        ("heyyy hw much 4 sculptra?? n do yall have parkin", 2),  # "n" for "and"
        ("whats the price on daxify + can i pay w hsa", 2),  # "+" for "and"
        ("what do u suggest + cost", 1),  # "+ cost" asks no new question
        # one request, not several questions: answered as one text, as before
        ("can i book botox friday and do you have anything after 4", 1),
        ("hi\nhow much is botox", 1),
        ("how much is botox and dysport", 1),
        ("cancel my appt and how much is the fee", 1),
    ],
)
def test_split_questions(text: str, parts: int) -> None:
    assert len(split_questions(text)) == parts


def test_a_burst_of_questions_gets_every_answer_in_one_reply(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    burst = "how much is botox\nwhere are you located\nand do you validate parking?"
    result = run_turn(_deps(ctx, demo_clinic), OfflineModel(), burst)
    [reply] = result.replies
    assert "$13" in reply and "Lamar" in reply and "validate" in reply
    assert result.tool_names.count("search_knowledge") == 1  # only parking needed the records
