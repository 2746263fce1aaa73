"""Staff takeover over the API: key per clinic, reply pauses the AI, resume hands it back."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from app.context import AppContext
from app.web import create_app
from knowledge.apikeys import create_key
from messaging.models import Message
from tests.steps import JANE, post_text


def _to_jane(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.db.session() as s:
        return [
            (m.kind, m.body)
            for m in s.execute(
                select(Message).where(Message.to_number == JANE).order_by(Message.id)
            ).scalars()
        ]


def test_staff_take_over_reply_and_resume(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    client = create_app(context=ctx).test_client()
    key = create_key(ctx.db, "glow-austin", "front desk")
    auth = {"Authorization": f"Bearer {key}"}
    post_text(client, ctx, "how much is botox", "e1")

    listing = client.get("/staff/glow-austin/conversations", headers=auth).get_json()
    [conv] = listing["conversations"]
    assert conv["patient_phone"] == JANE and conv["ai_paused"] is False

    sent = client.post(
        f"/staff/glow-austin/conversations/{conv['id']}/reply",
        json={"text": "Hi Jane, this is Amy at the front desk!"},
        headers=auth,
    )
    assert sent.status_code == 201
    post_text(client, ctx, "oh hi amy! can i come thursday?", "e2")
    kinds = [k for k, _ in _to_jane(ctx)]
    assert kinds == ["reply", "staff_reply"]  # the AI stayed silent after the takeover

    assert client.post(
        f"/staff/glow-austin/conversations/{conv['id']}/resume", headers=auth
    ).get_json() == {"ai_paused": False}
    post_text(client, ctx, "how much is botox again", "e3")
    assert [k for k, _ in _to_jane(ctx)][-1] == "reply"

    shown = client.get(f"/staff/glow-austin/conversations/{conv['id']}", headers=auth).get_json()
    assert [m["direction"] for m in shown["messages"]][:2] == ["in", "out"]


def test_staff_api_needs_this_clinics_key(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url)
    client = create_app(context=ctx).test_client()
    assert client.get("/staff/glow-austin/conversations").status_code == 401
    bad = {"Authorization": "Bearer fdk_000000000000_nope"}
    assert client.get("/staff/glow-austin/conversations", headers=bad).status_code == 401
    key = create_key(ctx.db, "glow-austin", "x")
    auth = {"Authorization": f"Bearer {key}"}
    assert (
        client.post(
            "/staff/glow-austin/conversations/999/reply", json={"text": "hi"}, headers=auth
        ).status_code
        == 404
    )
    post_text(client, ctx, "hi", "e1")
    assert (
        client.post(
            "/staff/glow-austin/conversations/1/reply", json={"text": " "}, headers=auth
        ).status_code
        == 400
    )
