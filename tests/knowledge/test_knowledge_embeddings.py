"""OpenAIEmbedder against a fake embeddings endpoint (respx, at the HTTP layer), and fusion.

Response bodies follow the documented embeddings answer:
https://platform.openai.com/docs/api-reference/embeddings/create
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import tenacity
import yaml
from structlog.testing import capture_logs

from app.db import Database
from knowledge.clinic_file import ClinicFile
from knowledge.embeddings import (
    DEFAULT_MODEL,
    EmbeddingError,
    OpenAIEmbedder,
    embedder_from_env,
)
from knowledge.eval import format_report, run_knowledge_eval
from knowledge.retrieval import Embedder, search
from knowledge.seed import seed_clinic

API_KEY = "sk-test-SECRETKEY1234567890"
URL = "https://api.openai.com/v1/embeddings"
CLINIC = "glow-austin"
PARKING = "Parking and directions"
VALIDATE_FAQ = "Do you validate parking?"
#: The fake model's one "semantic" dimension: words about arriving by car.
CAR_WORDS = {"car", "park", "parking", "garage", "valet", "lot", "drive"}


def fake_vector(text: str) -> list[float]:
    """A tiny stand-in for a real embedding: knows that a car needs parking."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    return [1.0 if words & CAR_WORDS else 0.0, 0.2, 0.05 * (len(text) % 3)]


def embeddings_body(vectors: list[list[float]], model: str = DEFAULT_MODEL) -> dict[str, Any]:
    """An embeddings answer, its ``data`` listed in reverse index order (order is by index)."""
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return {
        "object": "list",
        "data": list(reversed(data)),
        "model": model,
        "usage": {"prompt_tokens": 8 * len(vectors), "total_tokens": 8 * len(vectors)},
    }


def fake_endpoint(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(200, json=embeddings_body([fake_vector(t) for t in body["input"]]))


def error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def make_embedder(**overrides: Any) -> OpenAIEmbedder:
    """An embedder on a plain ``httpx.Client`` (respx intercepts it) with zero backoff."""
    options: dict[str, Any] = {
        "api_key": API_KEY,
        "http_client": httpx.Client(),
        "wait": tenacity.wait_none(),
        "sleep": lambda _s: None,
    }
    options.update(overrides)
    return OpenAIEmbedder(**options)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_is_an_embedder_and_sends_model_and_inputs(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=fake_endpoint)
    embedder = make_embedder(model="text-embedding-3-large")
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(["where do I park", "botox price", ""])
    assert vectors == [fake_vector("where do I park"), fake_vector("botox price"), fake_vector(" ")]
    sent = json.loads(route.calls[0].request.content)
    assert sent == {
        "model": "text-embedding-3-large",
        "input": ["where do I park", "botox price", " "],
        "encoding_format": "float",
    }
    assert route.calls[0].request.headers["Authorization"] == f"Bearer {API_KEY}"


def test_batches_and_keeps_order(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=fake_endpoint)
    texts = [f"text {i} car" if i % 2 else f"text {i}" for i in range(5)]
    assert make_embedder(batch_size=2).embed(texts) == [fake_vector(t) for t in texts]
    assert [len(json.loads(c.request.content)["input"]) for c in route.calls] == [2, 2, 1]
    assert make_embedder().embed([]) == []


def test_base_url_points_at_a_compatible_server(api: respx.MockRouter) -> None:
    route = api.post("http://localhost:11434/v1/embeddings").mock(side_effect=fake_endpoint)
    make_embedder(base_url="http://localhost:11434/v1").embed(["hi"])
    assert route.called


def test_429_and_5xx_are_retried(api: respx.MockRouter) -> None:
    slept: list[float] = []
    route = api.post(URL).mock(
        side_effect=[
            httpx.Response(429, json=error_body("Rate limit", "requests", "rate_limit_exceeded")),
            httpx.Response(503, json=error_body("Overloaded", "server_error", None)),
            httpx.Response(200, json=embeddings_body([[0.1, 0.2]])),
        ]
    )
    embedder = make_embedder(wait=tenacity.wait_fixed(0.25), sleep=slept.append)
    assert embedder.embed(["x"]) == [[0.1, 0.2]]
    assert route.call_count == 3 and slept == [0.25, 0.25]


def test_default_backoff_honours_retry_after(api: respx.MockRouter) -> None:
    slept: list[float] = []
    api.post(URL).mock(
        side_effect=[
            httpx.Response(
                429,
                headers={"retry-after": "3"},
                json=error_body("Rate limit", "requests", "rate_limit_exceeded"),
            ),
            httpx.Response(200, json=embeddings_body([[0.1, 0.2]])),
        ]
    )
    embedder = make_embedder(wait=None, sleep=slept.append)  # the default wait, recorded
    assert embedder.embed(["x"]) == [[0.1, 0.2]]
    assert len(slept) == 1 and 3.0 <= slept[0] <= 8.0  # Retry-After honoured, capped


def test_retries_exhausted_raise_embedding_error(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(
        return_value=httpx.Response(500, json=error_body("boom", "server_error", None))
    )
    with pytest.raises(EmbeddingError, match="HTTP 500"):
        make_embedder(max_attempts=3).embed(["x"])
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("status", "code"), [(401, "invalid_api_key"), (400, None), (429, "insufficient_quota")]
)
def test_permanent_errors_are_not_retried_and_never_show_the_key(
    api: respx.MockRouter, status: int, code: str | None
) -> None:
    message = f"Incorrect API key provided: {API_KEY}"
    route = api.post(URL).mock(
        return_value=httpx.Response(status, json=error_body(message, "invalid_request_error", code))
    )
    with capture_logs() as logs, pytest.raises(EmbeddingError) as info:
        make_embedder().embed(["my secret question"])
    assert route.call_count == 1
    assert f"HTTP {status}" in str(info.value)
    assert API_KEY not in str(info.value) and "SECRETKEY" not in str(info.value)
    assert "my secret question" not in repr(logs) and API_KEY not in repr(logs)


def test_connection_errors_are_retried_then_raised(api: respx.MockRouter) -> None:
    route = api.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(EmbeddingError, match="connection error"):
        make_embedder(max_attempts=2).embed(["x"])
    assert route.call_count == 2


@pytest.mark.parametrize(
    "vectors",
    [[[0.1, 0.2]], [[0.1, 0.2], [0.1, 0.2, 0.3]], [[0.1, 0.2], []]],
    ids=["too-few", "mixed-dimensions", "empty-vector"],
)
def test_answers_that_do_not_fit_the_request_are_errors(
    api: respx.MockRouter, vectors: list[list[float]]
) -> None:
    api.post(URL).mock(return_value=httpx.Response(200, json=embeddings_body(vectors)))
    with pytest.raises(EmbeddingError):
        make_embedder().embed(["a", "b"])


def test_constructor_checks() -> None:
    with pytest.raises(ValueError):
        OpenAIEmbedder(api_key="")
    with pytest.raises(ValueError):
        OpenAIEmbedder(api_key="k", batch_size=0)
    assert "SECRET" not in repr(OpenAIEmbedder(api_key=API_KEY))


def test_embedder_from_env() -> None:
    assert embedder_from_env({}) is None
    assert embedder_from_env({"OPENAI_API_KEY": ""}) is None
    e = embedder_from_env({"OPENAI_API_KEY": "k"})
    assert e is not None and e.model == DEFAULT_MODEL and e.base_url == "https://api.openai.com/v1"
    e = embedder_from_env(
        {
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": "http://localhost:11434/v1",
            "OPENAI_EMBEDDING_MODEL": "nomic-embed-text",
        }
    )
    assert e is not None and e.model == "nomic-embed-text"
    assert e.base_url == "http://localhost:11434/v1"
    assert embedder_from_env({"OPENAI_API_KEY": "k", "OPENAI_EMBEDDING_MODEL": "none"}) is None


# --- fusion ------------------------------------------------------------------------------------


def test_fusion_changes_ranking_plausibly(
    api: respx.MockRouter, sqlite_db: Database, demo_clinic: ClinicFile
) -> None:
    route = api.post(URL).mock(side_effect=fake_endpoint)
    embedder = make_embedder()
    report = seed_clinic(sqlite_db, demo_clinic, embedder=embedder)
    assert report.embedded and route.called

    def ranked(query: str, emb: Embedder | None) -> list[str]:
        with sqlite_db.session() as session:
            return [p.title for p in search(session, CLINIC, query, k=3, embedder=emb)]

    # "car" is not in the clinic's words: lexically the parking page is not found at all,
    # the dense ranking knows a car needs parking, and fusion brings the page into the top 3.
    query = "where should my husband wait with the car"
    assert PARKING not in ranked(query, None)
    assert PARKING in ranked(query, embedder)
    # A question with no lexical match at all now gets the plausible page first.
    assert ranked("is there a lot", None) == []
    assert ranked("is there a lot", embedder)[0] == PARKING
    # A question lexical already answers still gets a right answer on top.
    assert ranked("do you validate parking", None)[0] in (PARKING, VALIDATE_FAQ)
    assert ranked("do you validate parking", embedder)[0] in (PARKING, VALIDATE_FAQ)


def test_eval_prints_fused_metrics_beside_lexical(
    api: respx.MockRouter, tmp_path: Path, demo_data: dict[str, Any]
) -> None:
    api.post(URL).mock(side_effect=fake_endpoint)
    (tmp_path / "clinic.json").write_text(json.dumps(demo_data), encoding="utf-8")
    path = tmp_path / "qa.yaml"
    questions = [
        {"question": "is there a lot", "answer_in": PARKING},
        {"question": "do you validate parking", "answer_in": [PARKING, VALIDATE_FAQ]},
    ]
    path.write_text(yaml.safe_dump({"clinic": "clinic.json", "questions": questions}))
    result = run_knowledge_eval(path, embedder=make_embedder())
    assert result["lexical"]["recall@1"] == 0.5
    assert result["fused"]["recall@1"] == 1.0
    assert result["embedding_model"] == DEFAULT_MODEL and result["fused_error"] is None
    report = format_report(result)
    assert re.search(r"^lexical\s+0\.500", report, re.M)
    assert re.search(r"^fused\s+1\.000", report, re.M)
    assert "fused = lexical + embeddings (text-embedding-3-small)" in report


def test_eval_keeps_lexical_figures_when_embeddings_fail(
    api: respx.MockRouter, tmp_path: Path, demo_data: dict[str, Any]
) -> None:
    api.post(URL).mock(
        return_value=httpx.Response(401, json=error_body("no", "x", "invalid_api_key"))
    )
    (tmp_path / "clinic.json").write_text(json.dumps(demo_data), encoding="utf-8")
    path = tmp_path / "qa.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "clinic": "clinic.json",
                "questions": [{"question": "parking?", "answer_in": [PARKING, VALIDATE_FAQ]}],
            }
        )
    )
    result = run_knowledge_eval(path, embedder=make_embedder())
    assert result["fused"] is None and "HTTP 401" in result["fused_error"]
    assert result["lexical"]["recall@1"] == 1.0
    assert "fused: not measured, embeddings failed: HTTP 401" in format_report(result)


def test_eval_with_the_lexical_setting_is_lexical_only(
    tmp_path: Path, demo_data: dict[str, Any]
) -> None:
    (tmp_path / "clinic.json").write_text(json.dumps(demo_data), encoding="utf-8")
    path = tmp_path / "qa.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "clinic": "clinic.json",
                "questions": [{"question": "parking?", "answer_in": [PARKING, VALIDATE_FAQ]}],
            }
        )
    )
    result = run_knowledge_eval(path, env={"OPENAI_API_KEY": "", "EMBEDDINGS": "lexical"})
    assert result["fused"] is None and result["fused_error"] is None
    assert "not measured" in format_report(result)
