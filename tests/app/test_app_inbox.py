"""The staff web app over HTTP: sign-in, CSRF, the login rate limit, clinic isolation and
every page (Flask test client, SQLite and Postgres)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from app.context import AppContext
from app.web import create_app
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, Message
from tests.app.inbox_helpers import (
    OTHER_ID,
    OWNER,
    PASSWORD,
    STAFF,
    add_people,
    csrf_token,
    post_form,
    seed_other_clinic,
    sign_in,
)
from tests.steps import JANE, OMAR, post_text


def _desk(make_ctx: Callable[..., AppContext], database_url: str) -> tuple[AppContext, object]:
    ctx = make_ctx(database_url)
    add_people(ctx)
    return ctx, create_app(context=ctx).test_client()


def test_pages_need_a_signed_in_account(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    for path in ("/app", "/app/appointments", "/app/dashboard", "/app/conversations/1"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location.startswith("/app/login")
    poll = client.get("/app/inbox/list", headers={"HX-Request": "true"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/app/login"

    assert 'name="clinic" value="glow-austin"' in client.get("/app/login").text  # the only one
    wrong = sign_in(client, STAFF, password="not the password")
    assert wrong.status_code == 401 and "Wrong clinic, email or password" in wrong.text
    assert sign_in(client, "nobody@glow.example").status_code == 401
    assert sign_in(client, STAFF, clinic=OTHER_ID).status_code == 401

    answer = sign_in(client, STAFF)
    assert answer.status_code == 302 and answer.location == "/app"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # PUBLIC_BASE_URL is https
    assert client.get("/app").status_code == 200


def test_login_goes_back_only_to_pages_of_the_app(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    for target, lands in (
        ("/app/appointments", "/app/appointments"),
        ("https://evil.example/app", "/app"),
        ("//evil.example/app", "/app"),
    ):
        token = csrf_token(client.get("/app/login").text)  # a new session: a new token
        answer = client.post(
            "/app/login",
            data={
                "clinic": "glow-austin",
                "email": STAFF,
                "password": PASSWORD,
                "next": target,
                "csrf_token": token,
            },
        )
        assert answer.location == lands


def test_forms_without_the_csrf_token_are_refused(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    no_token = client.post(
        "/app/login", data={"clinic": "glow-austin", "email": STAFF, "password": PASSWORD}
    )
    assert no_token.status_code == 400
    sign_in(client, STAFF)
    post_text(client, ctx, "hi how much is botox", "e1")
    conv_id = _conversation_id(ctx, JANE)
    forged = client.post(f"/app/conversations/{conv_id}/reply", data={"text": "hello"})
    assert forged.status_code == 400 and "Nothing was sent or changed" in forged.text
    wrong = client.post(
        f"/app/conversations/{conv_id}/reply", data={"text": "hello", "csrf_token": "x" * 40}
    )
    assert wrong.status_code == 400
    assert [m.kind for m in _to(ctx, JANE)] == ["reply"]  # nothing sent


def test_login_attempts_are_limited_per_email(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    for _ in range(10):
        assert sign_in(client, STAFF, password="guess guess guess").status_code == 401
    limited = sign_in(client, STAFF)  # even the right password, past the limit
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert sign_in(client, OWNER).status_code == 302  # another email is not held back


def test_staff_take_over_reply_and_resume_from_the_conversation_page(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    sign_in(client, STAFF)
    post_text(client, ctx, "hi how much is botox", "e1")
    conv_id = _conversation_id(ctx, JANE)
    page = f"/app/conversations/{conv_id}"
    shown = client.get(page).text
    assert JANE in shown and "hi how much is botox" in shown  # the full number for staff

    assert post_form(client, page, f"{page}/take-over").status_code == 303
    assert _paused(ctx, conv_id) is True
    post_text(client, ctx, "hello?", "e2")
    assert [m.kind for m in _to(ctx, JANE)] == ["reply"]  # the AI stayed silent

    sent = post_form(client, page, f"{page}/reply", text="Hi Jane, Amy here at the desk!")
    assert sent.status_code == 303
    assert [(m.kind, m.body) for m in _to(ctx, JANE)][-1] == (
        "staff_reply",
        "Hi Jane, Amy here at the desk!",
    )
    assert "Amy here" in client.get(f"{page}/messages").text
    assert post_form(client, page, f"{page}/reply", text="   ").status_code == 303
    assert len(_to(ctx, JANE)) == 2  # an empty reply is not sent

    assert post_form(client, page, f"{page}/resume").status_code == 303
    assert _paused(ctx, conv_id) is False
    post_text(client, ctx, "how much is botox again", "e3")
    assert _to(ctx, JANE)[-1].kind == "reply"


def test_the_inbox_lists_conversations_needing_a_person_first(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    sign_in(client, STAFF)
    post_text(client, ctx, "hi how much is botox", "e1", sender=JANE)
    post_text(
        client,
        ctx,
        "i got filler yesterday and my upper lip is grey and really cold",
        "e2",
        sender=OMAR,
    )
    listing = client.get("/app/inbox/list").text
    needing, recent = listing.split("<h2>Recent</h2>")
    assert OMAR in needing and "emergency" in needing
    assert JANE in recent and JANE not in needing
    assert client.get("/app").text.count('hx-trigger="every 3s"') == 1  # live updates


def test_a_clinic_never_sees_another_clinics_rows(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    seed_other_clinic(ctx, demo_clinic)
    from app.accounts import Role, add_account

    add_account(ctx.db, OTHER_ID, "boss@other.example", PASSWORD, Role.OWNER)
    post_text(client, ctx, "hi how much is botox", "e1")
    conv_id = _conversation_id(ctx, JANE)
    sign_in(client, "boss@other.example", clinic=OTHER_ID)
    assert client.get(f"/app/conversations/{conv_id}").status_code == 404
    assert client.get(f"/app/conversations/{conv_id}/messages").status_code == 404
    token = csrf_token(client.get("/app").text)
    for action in ("take-over", "reply", "resume"):
        answer = client.post(
            f"/app/conversations/{conv_id}/{action}", data={"text": "hi", "csrf_token": token}
        )
        assert answer.status_code == 404
    assert JANE not in client.get("/app/inbox/list").text
    assert _paused(ctx, conv_id) is False and len(_to(ctx, JANE)) == 1


def test_a_removed_account_is_signed_out_at_once(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    from app.accounts import remove_account

    ctx, client = _desk(make_ctx, database_url)
    sign_in(client, STAFF)
    assert client.get("/app").status_code == 200
    remove_account(ctx.db, "glow-austin", STAFF)
    assert client.get("/app").status_code == 302
    assert sign_in(client, STAFF).status_code == 401


def test_sign_out_needs_the_token_and_ends_the_session(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _desk(make_ctx, database_url)
    sign_in(client, STAFF)
    assert client.post("/app/logout").status_code == 400
    assert post_form(client, "/app", "/app/logout").status_code == 302
    assert client.get("/app").status_code == 302


def _conversation_id(ctx: AppContext, phone: str) -> int:
    with ctx.db.session() as s:
        return s.scalars(select(Conversation.id).where(Conversation.patient_phone == phone)).one()


def _paused(ctx: AppContext, conversation_id: int) -> bool:
    with ctx.db.session() as s:
        row = s.get(Conversation, conversation_id)
        assert row is not None
        return row.ai_paused


def _to(ctx: AppContext, phone: str) -> list[Message]:
    with ctx.db.session() as s:
        rows = s.scalars(select(Message).where(Message.to_number == phone).order_by(Message.id))
        result = list(rows)
        s.expunge_all()
        return result


def test_the_session_key_is_setting_or_one_kept_per_machine(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    import stat

    from app.web.inbox import secret_key

    ctx = make_ctx(database_url)
    kept = ctx.settings.instance_path / "secret_key"
    first = secret_key(ctx)
    assert len(first) >= 32 and kept.read_text().strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert secret_key(ctx) == first  # made once, then read
    ctx.settings.secret_key = "k" * 40
    assert create_app(context=ctx).config["SECRET_KEY"] == "k" * 40


def test_unanswered_and_paused_conversations_wait_for_a_person(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    from app.flows.staff import resume_ai, staff_send, take_over
    from app.web.inbox.inbox_data import inbox_rows
    from tests.steps import HeldJobs

    jobs = HeldJobs()  # the worker is behind: texts are stored, not yet answered
    ctx = make_ctx(database_url, jobs=jobs)
    client = create_app(context=ctx).test_client()
    post_text(client, ctx, "hi are you open saturday", "e1", sender=JANE)
    post_text(client, ctx, "hello, question about my appointment", "e2", sender=OMAR)
    take_over(ctx, _conversation_id(ctx, OMAR))
    for func, args in jobs.jobs:  # the worker catches up: Omar's is paused, so unanswered
        func(ctx, *args)
    with ctx.db.sessions() as s:
        needing, recent = inbox_rows(s, "glow-austin")
    assert [(r.patient_phone, r.attention) for r in needing] == [(OMAR, "unanswered")]
    assert [r.patient_phone for r in recent] == [JANE]
    staff_send(ctx, _conversation_id(ctx, OMAR), "Hi Omar, Amy here, which appointment?")
    with ctx.db.sessions() as s:
        needing, _ = inbox_rows(s, "glow-austin")
    assert [(r.patient_phone, r.attention) for r in needing] == [(OMAR, "paused")]
    resume_ai(ctx, _conversation_id(ctx, OMAR))
    with ctx.db.sessions() as s:
        assert inbox_rows(s, "glow-austin")[0] == []
