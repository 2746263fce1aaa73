"""``scripts/seed_knowledge.py``: validation, local seeding, and POSTing to a running app."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.context import AppContext
from app.db import Database
from app.web import create_app
from app.web.knowledge_api import bp
from knowledge.apikeys import create_key
from knowledge.models import Clinic, UploadedDocument
from knowledge.retrieval import search
from scripts.seed_knowledge import ENV_KEY, run

CLINIC = "glow-austin"
SERVER = "https://desk.example.test"


def make_app(ctx: AppContext) -> Flask:
    """The production app around ``ctx``, with the knowledge blueprint registered."""
    app = create_app(context=ctx)
    if bp.name not in app.blueprints:  # until create_app registers it itself
        app.register_blueprint(bp)
    return app


@pytest.fixture(autouse=True)
def _no_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv(ENV_KEY, raising=False)


def write(tmp_path: Path, data: dict[str, Any], name: str = "clinic.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def docs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "sauna.md").write_text("# Infrared sauna\n\nSessions last 30 minutes.\n")
    return folder


def test_invalid_file_exits_2_naming_the_field(
    tmp_path: Path, demo_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = copy.deepcopy(demo_data)
    bad["services"][1]["duration_minutes"] = -5
    assert run([str(write(tmp_path, bad))]) == 2
    err = capsys.readouterr().err
    assert "services[1].duration_minutes:" in err and "Traceback" not in err


def test_local_seed_with_docs(
    tmp_path: Path,
    demo_data: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sqlite_db: Database,
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
    path = write(tmp_path, demo_data)
    assert run([str(path), "--docs", str(docs_dir(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert f"clinic {CLINIC}: created" in out and "added Infrared sauna" in out
    with sqlite_db.session() as session:
        assert session.get(Clinic, CLINIC) is not None
        assert session.scalars(select(UploadedDocument.title)).all() == ["Infrared sauna"]
    # seeding the file again (no --docs) keeps the uploaded document
    assert run([str(path)]) == 0
    assert f"clinic {CLINIC}: kept" in capsys.readouterr().out
    with sqlite_db.session() as session:
        found = search(session, CLINIC, "infrared sauna", k=1)
    assert [p.title for p in found] == ["Infrared sauna"]


def test_url_needs_a_key(
    tmp_path: Path, demo_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(write(tmp_path, demo_data)), "--url", SERVER]) == 2
    assert ENV_KEY in capsys.readouterr().err


@pytest.fixture
def server(
    make_ctx: Callable[..., AppContext], database_url: str
) -> Iterator[tuple[AppContext, FlaskClient]]:
    """The real app behind ``SERVER``: httpx requests are handed to its test client."""
    ctx = make_ctx(database_url)
    with make_app(ctx).test_client() as client, respx.mock() as router:

        def forward(request: httpx.Request) -> httpx.Response:
            r = client.post(request.url.path, data=request.content, headers=dict(request.headers))
            return httpx.Response(
                r.status_code, content=r.data, headers={"content-type": r.content_type}
            )

        router.post(url__startswith=SERVER).mock(side_effect=forward)
        yield ctx, client


def test_post_to_a_running_server(
    server: tuple[AppContext, FlaskClient],
    tmp_path: Path,
    demo_data: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx, _ = server
    monkeypatch.setenv(ENV_KEY, create_key(ctx.db, CLINIC, "script"))
    changed = copy.deepcopy(demo_data)
    changed["clinic"]["name"] = "Glow Med Spa Downtown"
    path = write(tmp_path, changed)
    assert run([str(path), "--url", SERVER + "/", "--docs", str(docs_dir(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert f"clinic {CLINIC}: updated" in out and "added Infrared sauna" in out
    with ctx.db.session() as session:
        assert session.scalars(select(UploadedDocument.title)).all() == ["Infrared sauna"]


def test_server_rejections_are_clear(
    server: tuple[AppContext, FlaskClient],
    tmp_path: Path,
    demo_data: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, demo_data)
    assert run([str(path), "--url", SERVER, "--key", "fdk_000000000000_wrong"]) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "check the key" in err and "fdk_000000000000_wrong" not in err
    assert run([str(path), "--url", SERVER, "--clinic", "other", "--key", "k"]) == 2
    assert "does not match clinic.id" in capsys.readouterr().err


def test_unreachable_server_exits_1(
    tmp_path: Path, demo_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with respx.mock() as router:
        router.post(url__startswith=SERVER).mock(side_effect=httpx.ConnectError("refused"))
        assert run([str(write(tmp_path, demo_data)), "--url", SERVER, "--key", "k"]) == 1
    assert "cannot reach" in capsys.readouterr().err
