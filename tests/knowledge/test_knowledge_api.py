"""The knowledge API (``POST /knowledge/<clinic_id>``) on the real Flask app and database."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.context import AppContext
from app.web import create_app
from app.web.knowledge_api import bp
from knowledge.apikeys import create_key, revoke_key
from knowledge.clinic_file import load_clinic_file
from knowledge.models import ClinicApiKey, KnowledgeChunk, UploadedDocument
from knowledge.retrieval import search
from knowledge.seed import seed_clinic

REPO = Path(__file__).resolve().parents[2]
OTHER = REPO / "testdata" / "other-clinic.json"
CLINIC = "glow-austin"
URL = f"/knowledge/{CLINIC}"
PARKING = "Parking and directions"


def make_app(ctx: AppContext) -> Flask:
    """The production app around ``ctx``, with the knowledge blueprint registered."""
    app = create_app(context=ctx)
    if bp.name not in app.blueprints:  # until create_app registers it itself
        app.register_blueprint(bp)
    app.testing = True
    return app


@pytest.fixture
def ctx(make_ctx: Callable[..., AppContext], database_url: str) -> AppContext:
    """A context with the demo clinic seeded (SQLite, and Postgres when reachable)."""
    return make_ctx(database_url)


@pytest.fixture
def client(ctx: AppContext) -> Iterator[FlaskClient]:
    with make_app(ctx).test_client() as c:
        yield c


@pytest.fixture
def key(ctx: AppContext) -> str:
    return create_key(ctx.db, CLINIC, "owner laptop")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def titles(ctx: AppContext, query: str, k: int = 10) -> list[str]:
    with ctx.db.session() as session:
        return [p.title for p in search(session, CLINIC, query, k=k)]


# --- authentication ---------------------------------------------------------------------------


def test_missing_key_is_401(client: FlaskClient, demo_data: dict[str, Any]) -> None:
    r = client.post(URL, json=demo_data)
    assert r.status_code == 401
    assert "Bearer" in r.headers["WWW-Authenticate"]
    assert "missing API key" in r.get_json()["error"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer fdk_000000000000_nope",
        "Bearer not-even-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_wrong_or_malformed_key_is_401(
    client: FlaskClient, key: str, demo_data: dict[str, Any], header: str
) -> None:
    r = client.post(URL, json=demo_data, headers={"Authorization": header})
    assert r.status_code == 401


def test_right_key_id_with_a_wrong_secret_is_401(
    client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert client.post(URL, json=demo_data, headers=auth(forged)).status_code == 401


def test_key_of_another_clinic_is_401(
    ctx: AppContext, client: FlaskClient, demo_data: dict[str, Any]
) -> None:
    other = load_clinic_file(OTHER)
    seed_clinic(ctx.db, other)
    other_key = create_key(ctx.db, other.clinic.id, "other owner")
    r = client.post(URL, json=demo_data, headers=auth(other_key))
    assert r.status_code == 401
    # ... while it works for its own clinic
    r = client.post(
        f"/knowledge/{other.clinic.id}",
        json=other.model_dump(mode="json"),
        headers=auth(other_key),
    )
    assert r.status_code == 200, r.get_json()


def test_unknown_clinic_is_401_not_404_for_strangers(client: FlaskClient, key: str) -> None:
    for url in ("/knowledge/no-such-clinic", URL):
        r = client.post(url, data=b"{", headers=auth("fdk_000000000000_x"))
        assert r.status_code == 401
    # the demo clinic's own key does not open another (unknown) clinic either
    assert client.post("/knowledge/no-such-clinic", json={}, headers=auth(key)).status_code == 401


def test_revoked_key_is_401(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    assert client.post(URL, json=demo_data, headers=auth(key)).status_code == 200
    assert revoke_key(ctx.db, CLINIC, key) is True
    assert client.post(URL, json=demo_data, headers=auth(key)).status_code == 401


def test_keys_are_never_stored_in_clear(ctx: AppContext, key: str) -> None:
    second = create_key(ctx.db, CLINIC, "front desk")
    assert key.startswith("fdk_") and second.startswith("fdk_") and key != second
    with ctx.db.session() as session:
        rows = session.scalars(select(ClinicApiKey)).all()
    assert len(rows) == 2
    for row in rows:
        stored = " ".join(str(getattr(row, c.name)) for c in ClinicApiKey.__table__.columns)
        for k in (key, second):
            assert k not in stored
            assert k.split("_", 2)[2] not in stored  # not even the secret part
        assert len(row.key_hash) == 64 and row.key_id in (key[4:16], second[4:16])


# --- clinic file ------------------------------------------------------------------------------


def test_valid_clinic_file_is_seeded_and_reports_changes(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    r = client.post(URL, json=demo_data, headers=auth(key))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["kind"] == "clinic_file" and body["changed"] is False
    assert body["clinic_id"] == CLINIC and body["chunks"] > 0

    changed = copy.deepcopy(demo_data)
    changed["clinic"]["name"] = "Glow Med Spa & Laser"
    changed["services"] = [s for s in changed["services"] if s["id"] != "kybella"]
    changed["services"][0]["price"] = "Free for new patients"
    r = client.post(URL, json=changed, headers=auth(key))
    body = r.get_json()
    assert r.status_code == 200, body
    assert body["changed"] is True and body["clinic_updated"] is True
    assert body["services_removed"] == ["kybella"]
    assert body["services_updated"] == [changed["services"][0]["id"]]
    assert "kybella" in body["summary"]
    assert ctx.clinic(CLINIC) is not None
    assert ctx.clinic(CLINIC).clinic.name == "Glow Med Spa & Laser"  # type: ignore[union-attr]
    with ctx.db.session() as session:
        used = session.scalar(select(ClinicApiKey.last_used_at))
    assert used is not None


def test_reseed_through_the_api_leaves_no_stale_chunk(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    assert PARKING in titles(ctx, "do you validate parking")
    without = copy.deepcopy(demo_data)
    without["documents"] = [d for d in without["documents"] if d["title"] != PARKING]
    r = client.post(URL, json=without, headers=auth(key))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["chunks_removed"] > r.get_json()["chunks"] - 10
    assert PARKING not in titles(ctx, "do you validate parking")
    with ctx.db.session() as session:
        stale = session.scalars(
            select(KnowledgeChunk.id).where(KnowledgeChunk.source_title == PARKING)
        ).all()
    assert stale == []


def test_malformed_json_is_400(client: FlaskClient, key: str) -> None:
    r = client.post(URL, data=b'{"clinic": ', headers=auth(key), content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"].startswith("malformed JSON")
    r = client.post(URL, json=["not", "an", "object"], headers=auth(key))
    assert r.status_code == 400 and "JSON object" in r.get_json()["error"]


def test_invalid_clinic_file_is_422_naming_field_paths(
    client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    bad = copy.deepcopy(demo_data)
    bad["services"][2]["duration_minutes"] = 0
    bad["clinic"]["timezone"] = "Mars/Olympus"
    bad["providers"][0]["hourz"] = {}
    r = client.post(URL, json=bad, headers=auth(key))
    assert r.status_code == 422
    body = r.get_json()
    assert body["error"] == "invalid clinic file"
    joined = "\n".join(body["problems"])
    assert "services[2].duration_minutes:" in joined
    assert "clinic.timezone:" in joined and "Mars/Olympus" in joined
    assert "providers[0].hourz:" in joined


def test_clinic_id_must_match_the_url(
    client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    other = copy.deepcopy(demo_data)
    other["clinic"]["id"] = "glow-dallas"
    r = client.post(URL, json=other, headers=auth(key))
    assert r.status_code == 400 and "glow-dallas" in r.get_json()["error"]


def test_phone_number_of_another_clinic_is_409_without_naming_it(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    other = load_clinic_file(OTHER)
    seed_clinic(ctx.db, other)
    taken = copy.deepcopy(demo_data)
    taken["clinic"]["phone_numbers"] = other.clinic.phone_numbers
    r = client.post(URL, json=taken, headers=auth(key))
    assert r.status_code == 409
    assert other.clinic.id not in json.dumps(r.get_json())
    assert "phone_numbers" in r.get_json()["problems"][0]


# --- uploaded documents -------------------------------------------------------------------------

GIFT = {"title": "Holiday gift cards", "content": "Holiday gift cards come in a velvet box."}
SAUNA = {"title": "Infrared sauna", "content": "Our infrared sauna sessions last 30 minutes."}


def test_documents_upload_is_searchable_and_survives_a_reseed(
    ctx: AppContext, client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    r = client.post(URL, json={"documents": [GIFT, SAUNA]}, headers=auth(key))
    body = r.get_json()
    assert r.status_code == 200, body
    assert body["kind"] == "documents" and body["documents_added"] == sorted(
        [GIFT["title"], SAUNA["title"]]
    )
    assert titles(ctx, "infrared sauna", k=1) == ["Infrared sauna"]
    assert PARKING in titles(ctx, "do you validate parking")  # file docs untouched

    r = client.post(URL, json=demo_data, headers=auth(key))
    assert r.status_code == 200 and r.get_json()["uploaded_documents_kept"] == 2
    assert titles(ctx, "infrared sauna", k=1) == ["Infrared sauna"]

    r = client.post(URL, json={"documents": [GIFT]}, headers=auth(key))
    body = r.get_json()
    assert body["documents_removed"] == ["Infrared sauna"] and body["changed"] is True
    assert "Infrared sauna" not in titles(ctx, "infrared sauna")
    with ctx.db.session() as session:
        assert session.scalars(select(UploadedDocument.title)).all() == [GIFT["title"]]

    r = client.post(URL, json={"documents": [GIFT]}, headers=auth(key))
    assert r.get_json()["changed"] is False


def test_invalid_documents_are_422(client: FlaskClient, key: str) -> None:
    r = client.post(
        URL,
        json={"documents": [GIFT, {"title": "x"}, GIFT, {"title": PARKING, "content": "y"}]},
        headers=auth(key),
    )
    assert r.status_code == 422
    assert r.get_json()["problems"] == ["documents[1].content: Field required"]
    r = client.post(URL, json={"documents": [GIFT, GIFT]}, headers=auth(key))
    assert r.status_code == 422 and "documents[1].title: duplicate" in r.get_json()["problems"][0]
    r = client.post(
        URL, json={"documents": [{"title": PARKING, "content": "y"}]}, headers=auth(key)
    )
    assert r.status_code == 422
    assert "already a document of the clinic file" in r.get_json()["problems"][0]


def test_file_document_clashing_with_an_upload_is_422(
    client: FlaskClient, key: str, demo_data: dict[str, Any]
) -> None:
    assert client.post(URL, json={"documents": [SAUNA]}, headers=auth(key)).status_code == 200
    clash = copy.deepcopy(demo_data)
    clash["documents"].append(SAUNA)
    r = client.post(URL, json=clash, headers=auth(key))
    assert r.status_code == 422
    problem = r.get_json()["problems"][0]
    assert problem.startswith(f"documents[{len(clash['documents']) - 1}].title:")


def test_body_too_large_is_413(client: FlaskClient, key: str) -> None:
    from knowledge.updates import MAX_BODY_BYTES

    huge = {"title": "Huge", "content": "x" * (MAX_BODY_BYTES + 1)}
    r = client.post(URL, json={"documents": [huge]}, headers=auth(key))
    assert r.status_code == 413
