"""The knowledge-question evaluation (DESIGN.md §4.5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.eval import KnowledgeEvalError, format_report, run_knowledge_eval

QA = Path(__file__).with_name("qa.yaml")


def _write(tmp_path: Path, demo_data: dict[str, Any], questions: list[dict[str, Any]]) -> Path:
    (tmp_path / "clinic.json").write_text(json.dumps(demo_data), encoding="utf-8")
    path = tmp_path / "qa.yaml"
    path.write_text(yaml.safe_dump({"clinic": "clinic.json", "questions": questions}))
    return path


def test_metrics_are_computed(tmp_path: Path, demo_data: dict[str, Any]) -> None:
    path = _write(
        tmp_path,
        demo_data,
        [
            {"question": "do you sell gift cards", "answer_in": "Do you sell gift cards?"},
            # answerable, but not by the passage named: rank > 1 or a miss
            {"question": "do you sell gift cards", "answer_in": "Parking and directions"},
        ],
    )
    result = run_knowledge_eval(path)
    assert result["questions"] == 2
    assert result["results"][0]["rank"] == 1
    second = result["results"][1]["rank"]
    assert second is None or second > 1
    lexical = result["lexical"]
    assert lexical["recall@1"] == 0.5
    assert lexical["mrr"] == pytest.approx((1 + (1 / second if second else 0)) / 2)
    assert result["fused"] is None
    report = format_report(result)
    assert "recall@1" in report and "lexical" in report and "Parking and directions" in report


def test_unknown_answer_in_is_an_error(tmp_path: Path, demo_data: dict[str, Any]) -> None:
    path = _write(tmp_path, demo_data, [{"question": "x", "answer_in": "Parking & directions"}])
    with pytest.raises(KnowledgeEvalError, match=r"questions\[0\]\.answer_in"):
        run_knowledge_eval(path)


def test_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "qa.yaml"
    path.write_text("clinic: c.json\nquestions:\n  - {question: hi, answr_in: x}\n")
    with pytest.raises(KnowledgeEvalError, match=r"questions\[0\]"):
        run_knowledge_eval(path)


class _Embedder:
    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[float("park" in t.lower()), float("gift" in t.lower()), 0.1] for t in texts]


def test_fused_metrics_with_an_embedder(tmp_path: Path, demo_data: dict[str, Any]) -> None:
    path = _write(
        tmp_path, demo_data, [{"question": "gift cards?", "answer_in": "Do you sell gift cards?"}]
    )
    result = run_knowledge_eval(path, embedder=_Embedder())
    assert result["fused"] is not None and result["fused"]["recall@3"] == 1.0


def test_demo_questions_meet_the_recall_target() -> None:
    result = run_knowledge_eval(QA)
    assert result["questions"] >= 40
    assert result["lexical"]["recall@3"] >= 0.9, format_report(result)
