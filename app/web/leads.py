"""``POST /leads/<clinic_id>``: a lead from the clinic's website form (docs/web-leads.md).

Fields (form-encoded, multipart or JSON): ``name``, ``phone``, ``service`` (free text or a
service id), ``consent`` (the text the patient agreed to, e.g. the checkbox's label: a
checkbox sends its value only when ticked) and the honeypot ``website`` (hidden from people;
a bot that fills it gets the normal answer and nothing is stored or texted).

Authentication: the clinic's API key as ``Authorization: Bearer fdk_...`` (a server posting
for the site), or the clinic's public form token (``frontdesk api-key form-token CLINIC``) as
the ``form_token`` field or the ``X-Form-Token`` header. None: 401; a wrong one: 403.

Answers: 202 ``{"status": "received"}`` (whatever then happens to the lead, so the answer
never tells whether a number is known or opted out); 400 with ``{"error": ...}`` for a
malformed body or a bad field (logged, without the patient's data); 429 with
``Retry-After`` past the per-IP or per-clinic limit (:mod:`app.flows.lead`). A browser that
posted a plain form (``Accept: text/html``) gets the same answers as a short HTML page.

The client's IP is ``request.remote_addr``: behind a reverse proxy the app must be wrapped in
Werkzeug's ``ProxyFix`` so it is the visitor's, not the proxy's.
"""

from __future__ import annotations

from html import escape
from typing import Any

import structlog
from flask import Blueprint, Response, current_app, jsonify, request

from app import copy
from app.context import AppContext
from app.flows.lead import (
    PER_CLINIC,
    PER_IP,
    LeadRejected,
    Submission,
    over_limit,
    read_form,
    receive_lead,
)
from app.untrusted import UntrustedJSON, clean_text, load_json
from knowledge.apikeys import verify_key
from knowledge.form_tokens import verify_form_token
from messaging.phones import mask

log = structlog.get_logger(__name__)

bp = Blueprint("leads", __name__, url_prefix="/leads")

#: The hidden field people never fill.
HONEYPOT = "website"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _ctx() -> AppContext:
    return current_app.extensions["frontdesk"]  # type: ignore[no-any-return]


@bp.after_request
def _cors(response: Response) -> Response:
    """Let a clinic's own site post with ``fetch`` and read the answer (the form is public
    by design; no cookies are involved, so any origin may)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, X-Form-Token"
    return response


@bp.post("/<clinic_id>")
def submit_lead(clinic_id: str) -> Any:
    """Take one website lead: limits, body, auth, honeypot, fields, then store and text."""
    ctx = _ctx()
    now = ctx.clock.now()
    ip = request.remote_addr or ""
    retry = over_limit(ctx, "ip", ip, now, PER_IP)
    if retry is not None:
        return _too_many(retry)
    fields = _fields()
    if fields is None:
        log.warning("lead_malformed", clinic_id=clinic_id, mimetype=request.mimetype)
        return _answer(400, {"error": "send a form or a JSON object of fields"})
    auth = _authenticate(ctx, clinic_id, fields)
    if auth is None:
        return _answer(401, {"error": "the clinic's form token or API key is required"})
    if not auth:
        return _answer(403, {"error": "that form token or API key is not valid here"})
    if fields.get(HONEYPOT):
        phone = fields.get("phone")
        log.info("lead_honeypot", clinic_id=clinic_id, patient=mask(str(phone or "")))
        return _answer(202, {"status": "received"})
    retry = over_limit(ctx, "clinic", clinic_id, now, PER_CLINIC)
    if retry is not None:
        return _too_many(retry)
    clinic = ctx.clinic(clinic_id)
    if clinic is None:
        return _answer(404, {"error": "no such clinic"})
    try:
        form = read_form(fields)
    except LeadRejected as exc:
        log.warning("lead_rejected", clinic_id=clinic_id, reason=str(exc).split(":", 1)[0])
        return _answer(400, {"error": str(exc)})
    submission = Submission(
        ip=ip, user_agent=clean_text(request.headers.get("User-Agent", "")), auth=auth
    )
    receive_lead(ctx, clinic, form, submission)
    return _answer(202, {"status": "received"})


def _fields() -> dict[str, object] | None:
    """The request's fields (a form's first value of each), or None for a body that is not
    a form or a JSON object."""
    if request.mimetype in _FORMS:
        return {k: clean_text(v) for k, v in request.form.items()}
    if request.is_json:
        try:
            body = load_json(request.get_data(cache=False))
        except UntrustedJSON:
            return None
        return body if isinstance(body, dict) else None
    return None


def _authenticate(ctx: AppContext, clinic_id: str, fields: dict[str, object]) -> str | None:
    """How the request proves it is the clinic's: ``api_key`` or ``form_token``; "" for a
    credential that is wrong; None when it carries none."""
    header = request.headers.get("Authorization", "")
    token = fields.get("form_token") or request.headers.get("X-Form-Token", "")
    with ctx.db.session() as session:
        if header.startswith("Bearer "):
            key = header.removeprefix("Bearer ").strip()
            return "api_key" if verify_key(session, clinic_id, key) else ""
        if isinstance(token, str) and token.strip():
            return "form_token" if verify_form_token(session, clinic_id, token.strip()) else ""
    return None


def _too_many(retry_after: int) -> Any:
    """429 with ``Retry-After`` in seconds."""
    response, status = _answer(429, {"error": "too many requests; try again later"})
    response.headers["Retry-After"] = str(retry_after)
    return response, status


def _answer(status: int, payload: dict[str, str]) -> tuple[Response, int]:
    """JSON, or a short HTML page for a browser that posted a plain form."""
    wants_html = request.mimetype in _FORMS and request.accept_mimetypes.best == "text/html"
    if not wants_html:
        return jsonify(payload), status
    text = copy.LEAD_THANKS if status == 202 else payload.get("error", "")
    page = f"<!doctype html><meta charset=utf-8><title>{escape(text)}</title><p>{escape(text)}</p>"
    return Response(page, mimetype="text/html"), status
