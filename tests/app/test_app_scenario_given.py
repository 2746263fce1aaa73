"""The runner's ``given`` state, ``expect_for``, ``texts`` and ``appointments: []`` checks, and
``advance`` through due instants (DESIGN.md §4.2): each check can fail and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.eval.runner import run_scenario
from app.eval.spec import ScenarioError, load_scenario
from tests.conftest import REPO

HEAD = """
name: given
clinic: CLINIC
now: "2026-11-23T10:00:00-06:00"
patients: {jane: {phone: "+15125550123"}, omar: {phone: "+15125550124"}}
given:
  appointments:
    - {patient: jane, service: botox, provider: dr-lee, start: "2026-11-25T16:00:00-06:00", deposit: paid}
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text((HEAD + body).replace("CLINIC", str(REPO / "testdata" / "demo-clinic.json")))
    return path


def test_given_visit_is_reminded_during_advance_and_other_patients_are_checked(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        """
steps:
  - advance: {days: 2, hours: 5}
    expect: {replies: {min: 2, max: 2}, reply_matches: ["Reply C to confirm"]}
    expect_for: {omar: {no_reply: true}}
outcome:
  appointments: [{patient: jane, service: botox, status: booked, weekday: wed, confirmed: false}]
  deposits: [{patient: jane, status: paid}]
  texts: [{patient: jane, kind: reminder, min: 2, max: 2}, {patient: jane, kind: confirmation, max: 0}]
""",
    )
    result = run_scenario(load_scenario(path))
    assert result.passed, result.failures


def test_wrong_texts_expect_for_and_empty_appointments_fail_and_say_why(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
steps:
  - advance: {days: 2, hours: 5}
    expect_for: {omar: {replies: {min: 1}}}
outcome:
  appointments: []
  texts: [{patient: jane, kind: reminder, max: 1}]
""",
    )
    result = run_scenario(load_scenario(path))
    assert not result.passed
    joined = "\n".join(result.failures)
    assert "omar: expected at least 1 replies, got 0" in joined
    assert "unexpected active appointment" in joined
    assert "jane got 2 reminder texts, max 1" in joined


def test_a_given_slot_that_is_not_free_fails_the_scenario(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
  opted_out: [omar]
steps:
  - advance: {minutes: 1}
""",
    ).read_text()
    taken = path.replace(
        "  opted_out:",
        '    - {patient: omar, service: botox, provider: dr-lee, start: "2026-11-25T16:00:00-06:00"}\n'
        "  opted_out:",
    )
    (tmp_path / "t.yaml").write_text(taken)
    result = run_scenario(load_scenario(tmp_path / "t.yaml"))
    assert not result.passed
    assert result.failures == [
        "given failed: GivenError: given: no free botox opening at 2026-11-25T16:00:00-06:00"
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "steps: [{advance: {days: 1}, expect_for: {ann: {no_reply: true}}}]",
            "unknown patient 'ann'",
        ),
        (
            "steps: [{advance: {days: 1}}]\noutcome: {texts: [{patient: jane, kind: remind}]}",
            "kind",
        ),
        ("  opted_out: [ann]\nsteps: [{advance: {days: 1}}]", "given.opted_out: unknown patient"),
    ],
)
def test_bad_given_and_texts_keys_are_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(_write(tmp_path, body))
