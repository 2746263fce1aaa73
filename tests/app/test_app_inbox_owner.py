"""The owner's pages and appointments over HTTP: dashboard numbers, API keys, clinic file
sections edited with the clinic file's validation, staff cancelling, and ``frontdesk user``."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.cli import main
from app.context import AppContext
from app.web import create_app
from booking.models import Appointment
from knowledge.apikeys import list_keys
from knowledge.clinic_file import ClinicFile
from knowledge.models import KnowledgeChunk
from knowledge.owner_edits import current_faqs
from knowledge.updates import uploaded_documents
from messaging.models import Message
from tests.app.inbox_helpers import (
    OWNER,
    PASSWORD,
    STAFF,
    other_clinic_client,
    post_form,
    sign_in,
    signed_in_client,
)
from tests.steps import JANE, book_paid


def _signed_in(make_ctx: Callable[..., AppContext], database_url: str, email: str):  # type: ignore[no-untyped-def]
    ctx = make_ctx(database_url)
    return ctx, signed_in_client(ctx, email)


def test_only_owners_see_the_owners_pages(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _signed_in(make_ctx, database_url, STAFF)
    for path in ("/app/dashboard", "/app/keys", "/app/settings"):
        assert client.get(path).status_code == 403
    assert "Dashboard" not in client.get("/app").text


def test_owners_create_rotate_and_revoke_api_keys(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _signed_in(make_ctx, database_url, OWNER)
    made = post_form(client, "/app/keys", "/app/keys", label="website server")
    assert made.status_code == 200 and "fdk_" in made.text
    with ctx.db.sessions() as s:
        [key] = list_keys(s, "glow-austin")
    rotated = post_form(client, "/app/keys", f"/app/keys/{key.key_id}/rotate")
    assert rotated.status_code == 200 and "fdk_" in rotated.text
    with ctx.db.sessions() as s:
        keys = {k.key_id: k for k in list_keys(s, "glow-austin")}
    assert not keys[key.key_id].active and len(keys) == 2
    [new] = [k for k in keys.values() if k.active]
    assert new.label == "website server"
    assert post_form(client, "/app/keys", f"/app/keys/{new.key_id}/revoke").status_code == 303
    assert post_form(client, "/app/keys", f"/app/keys/{new.key_id}/revoke").status_code == 404


def test_owners_edit_faqs_and_closures_with_the_clinic_files_validation(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _signed_in(make_ctx, database_url, OWNER)
    page = client.get("/app/settings")
    assert page.status_code == 200 and "section-faqs" in page.text
    bad = post_form(client, "/app/settings", "/app/settings/faqs", value='[{"question": "x"}]')
    assert bad.status_code == 422 and "faqs[0].answer" in bad.text
    not_json = post_form(client, "/app/settings", "/app/settings/closures", value="[{")
    assert not_json.status_code == 422 and "not valid JSON" in not_json.text
    faqs = '[{"question": "Do you offer gift cards?", "answer": "Yes, at the front desk."}]'
    assert post_form(client, "/app/settings", "/app/settings/faqs", value=faqs).status_code == 303
    with ctx.db.sessions() as s:
        assert [f.question for f in current_faqs(s, "glow-austin")] == ["Do you offer gift cards?"]
        chunks = s.scalars(select(KnowledgeChunk.source_kind)).all()
    assert "document" in chunks  # the clinic file's documents keep their chunks
    closures = '[{"date": "2026-13-01", "reason": "typo"}]'
    refused = post_form(client, "/app/settings", "/app/settings/closures", value=closures)
    assert refused.status_code == 422 and "closures" in refused.text
    assert post_form(client, "/app/settings", "/app/settings/nope", value="1").status_code == 404
    retrieved = client.get("/app/settings").text
    assert "Do you offer gift cards?" in retrieved  # read back from the stored FAQs


def test_owners_upload_documents_validated_as_the_knowledge_api_does(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx, client = _signed_in(make_ctx, database_url, OWNER)
    docs = '[{"title": "Gift cards", "content": "Gift cards are sold at the front desk."}]'
    saved = post_form(client, "/app/settings", "/app/settings/documents", value=docs)
    assert saved.status_code == 303
    with ctx.db.sessions() as s:
        assert [d.title for d in uploaded_documents(s, "glow-austin")] == ["Gift cards"]
    bad = post_form(client, "/app/settings", "/app/settings/documents", value='[{"title": ""}]')
    assert bad.status_code == 422 and "documents[0]" in bad.text


def test_staff_cancel_an_appointment_and_the_patient_is_told(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx, client = _signed_in(make_ctx, database_url, STAFF)
    _, appointment_id = book_paid(ctx, demo_clinic, JANE)
    listing = client.get("/app/appointments")
    assert listing.status_code == 200 and f'data-id="{appointment_id}"' in listing.text
    done = post_form(client, "/app/appointments", f"/app/appointments/{appointment_id}/cancel")
    assert done.status_code == 303
    with ctx.db.session() as s:
        appt = s.get(Appointment, appointment_id)
        assert appt is not None and appt.status == "cancelled"
        kinds = s.scalars(select(Message.kind).where(Message.to_number == JANE)).all()
    assert "cancellation" in kinds


def test_another_clinic_cannot_cancel_an_appointment(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    from app.accounts import Role

    ctx = make_ctx(database_url)
    client = other_clinic_client(ctx, demo_clinic, Role.OWNER)
    _, appointment_id = book_paid(ctx, demo_clinic, JANE)
    assert f'data-id="{appointment_id}"' not in client.get("/app/appointments").text
    refused = post_form(client, "/app/appointments", f"/app/appointments/{appointment_id}/cancel")
    assert refused.status_code == 404
    with ctx.db.session() as s:
        appt = s.get(Appointment, appointment_id)
        assert appt is not None and appt.status == "booked"


def test_frontdesk_user_add_list_remove(
    make_ctx: Callable[..., AppContext],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx = make_ctx(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("INSTANCE_PATH", str(ctx.settings.instance_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["user", "add", "glow-austin", "Boss@Glow.example", "--role", "owner"]
    assert main([*args, "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "glow-austin", "b@glow.example", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert main(["user", "list", "glow-austin"]) == 0
    assert "boss@glow.example  owner" in capsys.readouterr().out
    client = create_app(context=ctx).test_client()
    assert sign_in(client, "boss@glow.example").status_code == 302
    assert main(["user", "remove", "glow-austin", "boss@glow.example"]) == 0
    assert main(["user", "remove", "glow-austin", "boss@glow.example"]) == 2
    assert main(["user", "add", "no-such-clinic", "x@y.example", "--password-stdin"]) == 2


def test_staff_reschedule_to_a_free_opening_and_a_taken_one_is_refused(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    import re

    ctx, client = _signed_in(make_ctx, database_url, STAFF)
    _, old_id = book_paid(ctx, demo_clinic, JANE)
    with ctx.db.session() as s:
        old = s.get(Appointment, old_id)
        assert old is not None
        taken = old.start_at.isoformat()
        taken_provider = old.provider_id
    form = f"/app/appointments/{old_id}/reschedule"
    page = client.get(form)
    assert page.status_code == 200
    starts = re.findall(r'name="start" value="([^"]+)"', page.text)
    providers = re.findall(r'name="provider_id" value="([^"]+)"', page.text)
    assert starts and taken not in starts  # the booked time is not offered
    refused = post_form(client, form, form, provider_id=taken_provider, start=taken)
    assert refused.status_code == 303 and refused.location.endswith(form)
    moved = post_form(client, form, form, provider_id=providers[-1], start=starts[-1])
    assert moved.status_code == 303 and moved.location.endswith("/app/appointments")
    with ctx.db.session() as s:
        rows = s.scalars(select(Appointment).where(Appointment.patient_phone == JANE)).all()
        statuses = {a.id: (a.status, a.start_at.isoformat()) for a in rows}
    assert statuses[old_id][0] == "cancelled"
    [new] = [v for k, v in statuses.items() if k != old_id]
    assert new == ("booked", starts[-1])  # the paid deposit moved with it
    assert client.get(form).status_code == 404  # the old one is no longer active
