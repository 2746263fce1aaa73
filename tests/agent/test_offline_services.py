"""The offline model's answers about offerings and providers (agent.offline.services), on a
made-up clinic: no brand of the demo files, providers with time off and a closed day."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.nlu.services import match_services
from agent.nlu.when import parse_when
from agent.offline.services import services_step
from agent.offline.state import DialogState
from knowledge.clinic_file import ClinicFile, parse_clinic_file

NOW = dt.datetime(2027, 3, 1, 9, 0)  # a Monday


def _clinic() -> ClinicFile:
    svc = {"duration_minutes": 30, "price": "$10 per unit"}
    return parse_clinic_file(
        {
            "clinic": {
                "id": "made-up",
                "name": "Made Up Aesthetics",
                "timezone": "America/Denver",
                "phone_numbers": ["+13035550100"],
                "hours": {"mon": [["09:00", "17:00"]], "sat": [["09:00", "13:00"]]},
                "closures": [{"date": "2027-03-06", "reason": "Training"}],
            },
            "providers": [
                {
                    "id": "ann",
                    "name": "Dr. Ann Reyes",
                    "title": "MD",
                    "hours": {"mon": [["09:00", "17:00"]], "sat": [["09:00", "13:00"]]},
                    "time_off": [{"from": "2027-03-08", "to": "2027-03-08"}],
                },
                {
                    "id": "bo",
                    "name": "Bo Chen",
                    "title": "Licensed Esthetician",
                    "hours": {"mon": [["12:00", "17:00"]]},
                },
            ],
            "services": [
                {"id": "tox", "name": "Letybo", "aliases": ["tox"], "provider_ids": ["ann"], **svc},
                {
                    "id": "glow",
                    "name": "Glow Facial",
                    "treats": ["dull skin", "clogged pores"],
                    "provider_ids": ["bo"],
                    **svc,
                },
                {
                    "id": "peel",
                    "name": "Chemical Peel",
                    "treats": ["dull skin", "dark spots"],
                    "provider_ids": ["bo", "ann"],
                    **svc,
                },
            ],
        }
    )


def _reply(text: str, state: DialogState | None = None) -> str | None:
    clinic = _clinic()
    step = services_step(
        clinic,
        state or DialogState(),
        text,
        match_services(text, clinic.services),
        parse_when(text, NOW),
    )
    return step.content if step is not None else None


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("how much is botox", ["don't carry Botox", "Letybo ($10 per unit)"]),
        ("do u do coolsculpting", ["don't carry CoolSculpting"]),
        ("my skin is sooo dull", ["For dull skin", "Glow Facial", "Chemical Peel"]),
        ("who does peels", ["Bo Chen (Monday)", "Dr. Ann Reyes (Monday and Saturday)"]),
        ("which injector is in on monday", ["Dr. Ann Reyes: Monday 9 AM-5 PM"]),
        ("is bo in on saturday", ["Bo Chen isn't in on Saturday", "usually works Monday"]),
        ("can bo do tox", ["Bo Chen doesn't do Letybo", "Dr. Ann Reyes"]),
    ],
)
def test_answers(text: str, needles: list[str]) -> None:
    reply = _reply(text)
    assert reply is not None
    for needle in needles:
        assert needle in reply


def test_time_off_and_a_closed_day_are_not_working_days() -> None:
    assert "isn't in on Monday (a day off)" in (_reply("is dr reyes in next monday") or "")
    assert "isn't in on Saturday" in (_reply("is ann in on saturday") or "")


def test_a_pronoun_means_the_provider_named_earlier() -> None:
    reply = _reply("does she do peels too?", DialogState(provider_id="ann"))
    assert reply is not None and reply.startswith("Yes, Dr. Ann Reyes does Chemical Peel")
    assert _reply("does she do peels too?") is None  # nobody named: the booking flow decides


@pytest.mark.parametrize("text", ["letybo thursday?", "is there parking", "hi"])
def test_other_texts_are_left_to_the_booking_flow(text: str) -> None:
    assert _reply(text) is None
