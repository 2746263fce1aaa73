"""``frontdesk eval``: run scenario files, print a pass/fail table, pass^k and JSON."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from app.eval.results import ScenarioResult
from app.eval.runner import run_scenario
from app.eval.spec import load_scenario, scenario_files


def _uses_llm() -> bool:
    from app.settings import load_settings

    return bool(load_settings().openai_api_key)


def run_eval(
    paths: list[str],
    *,
    trials: int = 1,
    as_json: bool = False,
    transcript: bool = False,
    tags: list[str] | None = None,
) -> int:
    """Run every scenario under ``paths`` ``trials`` times.

    Prints a table (name, trials passed, first failed check), pass rate per tag and pass^k
    (the share of scenarios that passed every one of the k trials); ``as_json`` prints a JSON
    report instead.

    Returns:
        0 when every scenario run passed (skipped ones aside), else 1.

    Raises:
        ScenarioError: a file is invalid (nothing is run then).
    """
    scenarios = [load_scenario(p) for p in scenario_files(paths)]
    if tags:
        scenarios = [s for s in scenarios if set(tags) & set(s.tags)]
    skip_llm = not _uses_llm()
    results: dict[str, list[ScenarioResult]] = {}
    clinics: dict[str, str] = {}
    for scenario in scenarios:
        runs = [run_scenario(scenario, skip_llm=skip_llm) for _ in range(max(1, trials))]
        results[str(scenario.path)] = runs
        clinics[str(scenario.path)] = Path(scenario.clinic).stem
        if transcript and not as_json:
            print(f"\n== {scenario.name}")
            print_transcript(runs[0])
    report = _report(results, trials, clinics)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print_table(report)
    return 0 if report["failed"] == 0 else 1


def _report(
    results: dict[str, list[ScenarioResult]], trials: int, clinics: dict[str, str]
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    by_tag: dict[str, list[bool]] = defaultdict(list)
    by_clinic: dict[str, list[bool]] = defaultdict(list)
    for path, runs in results.items():
        first = runs[0]
        if first.skipped:
            rows.append({"name": first.name, "path": path, "status": "skipped", "tags": first.tags})
            continue
        passed = sum(r.passed for r in runs)
        failure = next((r.first_failure for r in runs if not r.passed), "")
        ok = passed == len(runs)
        rows.append(
            {
                "name": first.name,
                "path": path,
                "status": "pass" if ok else "fail",
                "trials_passed": passed,
                "trials": len(runs),
                "first_failure": failure,
                "tags": first.tags,
            }
        )
        for tag in first.tags or ["(untagged)"]:
            by_tag[tag].append(ok)
        by_clinic[clinics.get(path, "?")].append(ok)
    ran = [r for r in rows if r["status"] != "skipped"]
    runs = [r for rs in results.values() for r in rs if not r.skipped]
    latencies = sorted(ms for r in runs for ms in r.turn_ms_excl_model)
    booked_tokens = [r.tokens_by_patient.get(p, 0) for r in runs for p in r.booked_patients]
    failed = sum(r["status"] == "fail" for r in ran)
    return {
        "scenarios": rows,
        "ran": len(ran),
        "passed": len(ran) - failed,
        "failed": failed,
        "skipped": len(rows) - len(ran),
        "trials": trials,
        "pass_hat_k": round((len(ran) - failed) / len(ran), 4) if ran else None,
        "by_tag": {t: {"passed": sum(v), "ran": len(v)} for t, v in sorted(by_tag.items())},
        "by_clinic": {c: {"passed": sum(v), "ran": len(v)} for c, v in sorted(by_clinic.items())},
        "turns": len(latencies),
        "turn_ms_excl_model": {"p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95)},
        "tokens_per_booked_conversation": (
            round(sum(booked_tokens) / len(booked_tokens)) if booked_tokens else None
        ),
        "booked_conversations": len(booked_tokens),
    }


def _pct(values: list[int], q: float) -> int | None:
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


def _print_table(report: dict[str, Any]) -> None:
    width = max([len(r["name"]) for r in report["scenarios"]] + [8])
    print(f"{'scenario':<{width}}  result  first failed check")
    for r in report["scenarios"]:
        if r["status"] == "skipped":
            print(f"{r['name']:<{width}}  skip    requires a language model")
            continue
        mark = "PASS" if r["status"] == "pass" else "FAIL"
        trials = f" {r['trials_passed']}/{r['trials']}" if r["trials"] > 1 else ""
        print(f"{r['name']:<{width}}  {mark}{trials:<4} {r['first_failure'][:160]}")
    if report["by_tag"]:
        print("\npass rate by tag:")
        for tag, v in report["by_tag"].items():
            print(f"  {tag:<24} {v['passed']}/{v['ran']}")
    if len(report["by_clinic"]) > 1:
        print("\npass rate by clinic file:")
        for clinic, v in report["by_clinic"].items():
            print(f"  {clinic:<24} {v['passed']}/{v['ran']}")
    if report["turns"]:
        lat = report["turn_ms_excl_model"]
        print(
            f"\nagent turns: {report['turns']}, latency excluding model time p50 {lat['p50']} ms, "
            f"p95 {lat['p95']} ms; tokens per booked conversation: "
            f"{report['tokens_per_booked_conversation']} "
            f"({report['booked_conversations']} booked)"
        )
    k = report["trials"]
    print(
        f"\n{report['passed']} passed, {report['failed']} failed"
        + (f", {report['skipped']} skipped" if report["skipped"] else "")
    )
    if k > 1 and report["pass_hat_k"] is not None:
        print(f"pass^{k}: {report['pass_hat_k']:.3f}")
    sys.stdout.flush()


def print_transcript(result: ScenarioResult) -> None:
    """Print a scenario's conversation: patient texts, clinic replies, actions, failures."""
    for step in result.steps:
        if step.action == "text":
            print(f"  {step.patient:>8} > {step.text}")
        else:
            print(
                f"  {'':>8} * {step.action.replace('_', ' ')}"
                + (f": {step.text}" if step.text else "")
            )
        for reply in step.replies:
            lines = reply.splitlines() or [""]
            print(f"  {'clinic':>8} < {lines[0]}")
            for line in lines[1:]:
                print(f"  {'':>8}   {line}")
        for failure in step.failures:
            print(f"  {'':>8} ! {failure}")
