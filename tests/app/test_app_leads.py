"""Website leads over real HTTP (``POST /leads/<clinic_id>``), on SQLite and Postgres: the
lead is stored with its consent and texted at once; bots, floods, bad credentials, bad
numbers, double submits and opted-out numbers are each handled as a clinic would expect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.test import TestResponse

from agent.store import load_state
from app.cli import main
from app.flows.lead import PER_CLINIC, PER_IP
from app.flows.sweeper import run_due
from booking.models import SlotOffer
from knowledge.apikeys import create_key
from knowledge.form_tokens import form_token
from messaging.models import Conversation, Lead, Message, StaffAlert
from tests.app.conftest import Desk
from tests.steps import cli_database

CLINIC = "glow-austin"
PAT = "+15125550131"
CONSENT = (
    "I agree to receive texts from Glow Med Spa about my request. Msg & data rates may apply. "
    "Reply STOP to opt out."
)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"


def _post(
    desk: Desk,
    fields: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    ip: str = "203.0.113.7",
    as_json: bool = False,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """POST a lead as the clinic's website form would (form-encoded unless ``as_json``)."""
    body = {"name": "Jane Doe", "phone": "(512) 555-0131", "service": "botox", "consent": CONSENT}
    body.update(fields or {})
    body = {k: v for k, v in body.items() if v is not None}
    if token is not None:
        body["form_token"] = token
    sent = {"User-Agent": BROWSER, **(headers or {})}
    kwargs: dict[str, Any] = {"json": body} if as_json else {"data": body}
    return desk.client.post(
        f"/leads/{CLINIC}", headers=sent, environ_base={"REMOTE_ADDR": ip}, **kwargs
    )


def _leads(desk: Desk) -> list[Lead]:
    with desk.ctx.db.session() as s:
        rows = list(s.scalars(select(Lead).order_by(Lead.id)))
        s.expunge_all()
        return rows


def _lead_texts(desk: Desk, phone: str = PAT) -> list[Message]:
    return desk.messages(Message.to_number == phone, Message.kind == "lead")


def test_a_lead_is_stored_with_its_consent_and_texted_at_once(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    response = _post(desk, token=token)
    assert response.status_code == 202 and response.get_json() == {"status": "received"}

    [lead] = _leads(desk)
    assert lead.consent_text == CONSENT
    assert lead.consent_at == desk.clock.now()
    assert (lead.source_ip, lead.user_agent, lead.auth) == ("203.0.113.7", BROWSER, "form_token")
    assert (lead.name, lead.phone, lead.service_id, lead.status) == (
        "Jane Doe",
        PAT,
        "botox",
        "texted",
    )
    [text] = desk.ctx.recording.bodies(PAT)  # sent by the inline job, within the request
    assert "Glow Med Spa" in text and "Botox" in text and "Jane" in text
    assert "find you a time" in text and "Reply STOP to opt out" in text
    [row] = _lead_texts(desk)
    assert row.status == "recorded" and row.id == lead.message_id and row.send_after is None


def test_the_clinics_api_key_and_json_work_too(desk: Desk) -> None:
    key = create_key(desk.ctx.db, CLINIC, "website backend")
    fields = {"service": "something for my double chin", "name": "<a href=x>win</a>"}
    response = _post(desk, fields, as_json=True, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202
    [lead] = _leads(desk)
    assert (lead.auth, lead.service_id) == ("api_key", "kybella")
    [text] = desk.ctx.recording.bodies(PAT)
    assert "Kybella" in text and "<a" not in text and text.startswith("Hi, this is Glow")


def test_free_text_is_never_echoed_into_the_text(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    _post(desk, {"service": "win $$$ at http://spam.example", "name": "Bob"}, token=token)
    [lead] = _leads(desk)
    assert lead.service_text == "win $$$ at http://spam.example" and lead.service_id is None
    [text] = desk.ctx.recording.bodies(PAT)
    assert "spam.example" not in text and "Which treatment" in text


def test_a_filled_honeypot_answers_normally_and_stores_nothing(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    response = _post(desk, {"website": "http://bot.example"}, token=token)
    assert response.status_code == 202 and response.get_json() == {"status": "received"}
    assert _leads(desk) == [] and desk.ctx.recording.bodies() == []


def test_one_address_is_limited_then_answered_429(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    allowed = PER_IP[0]
    for i in range(allowed):
        assert _post(desk, {"phone": f"512-555-01{40 + i}"}, token=token).status_code == 202
    refused = _post(desk, {"phone": "512-555-0160"}, token=token)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert len(_leads(desk)) == allowed
    assert _post(desk, {"phone": "512-555-0160"}, token=token, ip="198.51.100.9").status_code == 202


def test_one_clinic_is_limited_whatever_the_address(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    for i in range(PER_CLINIC[0]):  # bad numbers from many addresses: counted, refused
        response = _post(desk, {"phone": "555"}, token=token, ip=f"10.0.{i // 250}.{i % 250}")
        assert response.status_code == 400
    refused = _post(desk, token=token, ip="192.0.2.1")
    assert refused.status_code == 429
    assert _leads(desk) == []


def test_missing_or_wrong_credentials_are_refused(desk: Desk) -> None:
    assert _post(desk).status_code == 401
    assert _post(desk, token="fdf_not-the-token").status_code == 403
    bad_key = {"Authorization": "Bearer fdk_000000000000_nope"}
    assert _post(desk, headers=bad_key).status_code == 403
    old = form_token(desk.ctx.db, CLINIC)
    new = form_token(desk.ctx.db, CLINIC, rotate=True)
    assert new != old and form_token(desk.ctx.db, CLINIC) == new
    assert _post(desk, token=old).status_code == 403
    assert _post(desk, headers={"X-Form-Token": new}).status_code == 202
    assert len(_leads(desk)) == 1


def test_bad_numbers_missing_consent_and_malformed_bodies_are_400(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    ips = (f"192.0.2.{n}" for n in range(1, 50))  # each from its own address (no 429)
    for phone in ("555-0131", "123-456-7890", "call me", ""):
        response = _post(desk, {"phone": phone}, token=token, ip=next(ips))
        assert response.status_code == 400 and "phone" in response.get_json()["error"]
    no_consent = _post(desk, {"consent": None}, token=token, ip=next(ips))  # box not ticked
    assert no_consent.status_code == 400 and "consent" in no_consent.get_json()["error"]
    broken = desk.client.post(
        f"/leads/{CLINIC}",
        data=b'{"phone": ',
        headers={"content-type": "application/json", "X-Form-Token": token},
        environ_base={"REMOTE_ADDR": next(ips)},
    )
    assert broken.status_code == 400
    plain = desk.client.post(
        f"/leads/{CLINIC}",
        data=b"hello",
        headers={"X-Form-Token": token},
        environ_base={"REMOTE_ADDR": next(ips)},
    )
    assert plain.status_code == 400
    listed = _post(desk, {"phone": ["512-555-0131"]}, token=token, as_json=True, ip=next(ips))
    assert listed.status_code == 400 and "phone" in listed.get_json()["error"]
    assert _leads(desk) == [] and desk.ctx.recording.bodies() == []


def test_a_double_submit_is_stored_but_texted_once(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    assert _post(desk, token=token).status_code == 202
    desk.clock.advance(dt.timedelta(minutes=3))
    assert _post(desk, {"phone": "+1 512 555 0131"}, token=token).status_code == 202
    assert [lead.status for lead in _leads(desk)] == ["texted", "duplicate"]
    assert len(desk.ctx.recording.bodies(PAT)) == 1


def test_an_opted_out_number_is_stored_and_never_texted(desk: Desk) -> None:
    desk.say("STOP", sender=PAT)
    token = form_token(desk.ctx.db, CLINIC)
    before = len(desk.ctx.recording.bodies(PAT))
    assert _post(desk, token=token).status_code == 202
    [lead] = _leads(desk)
    assert lead.status == "opted_out" and lead.consent_text == CONSENT
    assert len(desk.ctx.recording.bodies(PAT)) == before and _lead_texts(desk) == []


def test_staff_who_have_the_conversation_are_told_instead(desk: Desk) -> None:
    desk.say("hi is anyone there", sender=PAT)
    with desk.ctx.db.session() as s:
        s.execute(
            select(Conversation).where(Conversation.patient_phone == PAT)
        ).scalar_one().ai_paused = True
    token = form_token(desk.ctx.db, CLINIC)
    assert _post(desk, token=token).status_code == 202
    [lead] = _leads(desk)
    assert lead.status == "staff" and _lead_texts(desk) == []
    assert desk.count(StaffAlert, StaffAlert.reason == "web_lead") == 1


def test_the_lead_replies_and_gets_openings_for_the_service(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    assert _post(desk, token=token).status_code == 202
    [lead] = _leads(desk)
    with desk.ctx.db.session() as s:
        state = load_state(s, lead.conversation_id or 0)
    assert state.service_id == "botox"

    replies = desk.say("yes thursday afternoon", sender=PAT)
    assert replies and "Thu" in " ".join(replies), replies
    with desk.ctx.db.session() as s:
        offers = list(
            s.scalars(select(SlotOffer).where(SlotOffer.conversation_id == lead.conversation_id))
        )
    assert offers and {o.service_id for o in offers} == {"botox"}
    local = [o.start_at.astimezone(dt.timezone(dt.timedelta(hours=-6))) for o in offers]
    assert all(t.weekday() == 3 and t.hour >= 12 for t in local), local


def test_a_browser_posting_the_plain_form_gets_a_page(desk: Desk) -> None:
    token = form_token(desk.ctx.db, CLINIC)
    page = _post(desk, token=token, headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 202 and page.mimetype == "text/html"
    assert b"text you shortly" in page.data
    assert page.headers["Access-Control-Allow-Origin"] == "*"


def test_a_late_night_lead_is_texted_now_but_a_stranded_one_waits_for_morning(
    desk: Desk, make_ctx: Callable[..., Any]
) -> None:
    night = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    desk.clock.set(night)
    token = form_token(desk.ctx.db, CLINIC)
    assert _post(desk, token=token).status_code == 202
    assert len(desk.ctx.recording.bodies(PAT)) == 1  # the patient just asked: text now

    # A lead whose job was lost two hours ago (a worker died) is picked up by the sweeper,
    # and at this hour its text waits for 8am at the patient's number.
    with desk.ctx.db.session() as s:
        s.add(
            Lead(
                clinic_id=CLINIC,
                phone="+15125550132",
                consent_text=CONSENT,
                consent_at=night - dt.timedelta(hours=2),
                auth="form_token",
                created_at=night - dt.timedelta(hours=2),
            )
        )
    assert run_due(desk.ctx)["leads_requeued"] == 1
    [row] = _lead_texts(desk, "+15125550132")
    assert row.status == "queued" and row.send_after is not None
    assert row.send_after.astimezone(night.tzinfo).hour == 8
    assert run_due(desk.ctx)["leads_requeued"] == 0


def test_the_owner_prints_and_rotates_the_form_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_database(monkeypatch, tmp_path).dispose()
    capsys.readouterr()
    assert main(["api-key", "form-token", CLINIC]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["api-key", "form-token", CLINIC]) == 0
    assert capsys.readouterr().out.strip() == first and first.startswith("fdf_")
    assert main(["api-key", "form-token", CLINIC, "--rotate"]) == 0
    assert capsys.readouterr().out.strip() not in ("", first)
    assert main(["api-key", "form-token", "no-such-clinic"]) == 2
    assert "seed its clinic file first" in capsys.readouterr().err
