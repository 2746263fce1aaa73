"""The scenario runner and the CLI: real checks that can fail, exit codes, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.eval.runner import run_scenario
from app.eval.spec import ScenarioError, load_scenario
from tests.conftest import REPO

DEMO = REPO / "testdata" / "demo-scenario.yaml"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(body.replace("CLINIC", str(REPO / "testdata" / "demo-clinic.json")))
    return path


def test_the_demo_conversation_books_over_the_real_webhook() -> None:
    result = run_scenario(load_scenario(DEMO))
    assert result.passed, result.failures
    booked = [a for a in result.appointments if a["status"] == "booked"]
    assert len(booked) == 1 and booked[0]["service"] == "botox"
    assert booked[0]["start"].startswith("2026-11-25T16:")  # Wednesday after 4, clinic-local
    replies = [r for step in result.steps for r in step.replies]
    assert any("/checkout/" in r for r in replies) and any("You're booked" in r for r in replies)


def test_a_wrong_expectation_fails_and_says_which(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: wrong
clinic: CLINIC
now: "2026-11-23T10:00:00-06:00"
patients: {jane: {phone: "+15125550123"}}
steps:
  - text: "how much is botox"
    expect: {reply_matches: ["\\\\$999"]}
outcome:
  appointments: [{patient: jane, service: botox, status: booked}]
""",
    )
    result = run_scenario(load_scenario(path))
    assert not result.passed
    assert "no reply matches /\\$999/" in result.failures[0]
    assert any("no booked botox appointment" in f for f in result.failures)


def test_unknown_keys_are_errors_naming_the_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: typo
clinic: CLINIC
now: "2026-11-23T10:00:00-06:00"
patients: {jane: {phone: "+15125550123"}}
steps:
  - text: "hi"
    expect: {reply_match: ["x"]}
""",
    )
    with pytest.raises(ScenarioError, match=r"steps\[0\]\.expect\.reply_match"):
        load_scenario(path)


def test_eval_exit_status_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(DEMO), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] == 1 and report["failed"] == 0
    assert report["by_clinic"] == {"demo-clinic": {"passed": 1, "ran": 1}}
    bad = _write(
        tmp_path,
        """
name: bad
clinic: CLINIC
now: "2026-11-23T10:00:00-06:00"
patients: {jane: {phone: "+15125550123"}}
steps: [{text: "hi", expect: {no_reply: true}}]
""",
    )
    assert main(["eval", str(bad)]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert main(["eval", str(DEMO), str(bad), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["by_clinic"] == {"demo-clinic": {"passed": 1, "ran": 2}}


def test_llm_only_scenarios_are_skipped_with_the_offline_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        """
name: spanish
requires: llm
clinic: CLINIC
now: "2026-11-23T10:00:00-06:00"
patients: {ana: {phone: "+15125550125"}}
steps: [{text: "hola, cuanto cuesta el botox?", expect: {reply_matches: ["\\\\$13"]}}]
""",
    )
    assert main(["eval", str(path)]) == 0
    assert "skip" in capsys.readouterr().out


def test_user_mistakes_exit_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "clinic.json"
    bad.write_text(json.dumps({"clinic": {"id": "x"}, "providers": [], "services": []}))
    assert main(["seed", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "clinic.name" in err and "Traceback" not in err
    assert main(["eval", str(tmp_path / "missing.yaml")]) == 2
