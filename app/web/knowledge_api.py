"""The knowledge API: a clinic updates its own knowledge over HTTP with its API key.

``POST /knowledge/<clinic_id>`` with ``Authorization: Bearer fdk_...`` (a key of *that* clinic,
see :mod:`knowledge.apikeys`) and a JSON body that is either a whole clinic file (DESIGN.md
§4.1; answer: the :class:`~knowledge.seed.SeedReport` fields) or
``{"documents": [{"title": ..., "content": ...}, ...]}`` (the uploaded documents, replaced as
a whole; answer: a :class:`~knowledge.updates.DocumentsReport`). The operations themselves are
:mod:`knowledge.updates`.

Status codes: 401 for a missing, malformed, revoked or wrong key and for a key of another
clinic (an unauthenticated caller also gets 401 for a clinic that does not exist, so the API
does not reveal which clinics exist); 404 when an authenticated clinic has vanished; 400 for
a body that is not JSON, not an object, or names another clinic; 413 for a body over
:data:`~knowledge.updates.MAX_BODY_BYTES`; 422 for an invalid clinic file or documents list,
with ``problems`` naming each bad field's path; 403 for a change only the operator may make
(:mod:`knowledge.key_scope`: EMR ids, or ``forward_calls_to`` / ``staff_alert_phone`` outside
``ALLOWED_PHONE_COUNTRIES``); 409 when the file's phone number belongs to another clinic; 200
otherwise. Errors are ``{"error": "...", "problems": [...]}``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import structlog
from flask import Blueprint, Response, current_app, jsonify, request

from app.context import AppContext
from app.db import utcnow
from app.flows.waitlist_reopened import offer_lifted_closures
from app.untrusted import UntrustedJSON, load_json
from knowledge.apikeys import find_key
from knowledge.clinic_file import ClinicFile, ClinicFileError, parse_clinic_file
from knowledge.key_scope import KeyScopeError, check_key_scope
from knowledge.models import Clinic
from knowledge.seed import SeedError
from knowledge.updates import (
    MAX_BODY_BYTES,
    OWNER_RE,
    DocumentsError,
    UnknownClinicError,
    parse_documents,
    replace_documents,
    seed_with_uploads,
    uploaded_documents,
)

log = structlog.get_logger(__name__)

bp = Blueprint("knowledge_api", __name__)

Answer = tuple[Response, int]
#: Nesting accepted by :func:`_json_object`: anything the JSON decoder itself can take.
_DECODER_DEPTH = 100_000


class _Refused(Exception):
    """An answer other than 200, raised from a step and returned by the route."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.answer = _error(status, message, problems)


def _error(status: int, message: str, problems: list[str] | None = None) -> Answer:
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = problems
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="frontdesk"'
    return response, status


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@bp.post("/knowledge/<clinic_id>")
def update_knowledge(clinic_id: str) -> Answer:
    """Re-seed the clinic's file or replace its uploaded documents (see the module docs)."""
    ctx: AppContext = current_app.extensions["frontdesk"]
    try:
        key_id = _authenticate(ctx, clinic_id)
        data = _json_object()
        if "clinic" not in data and "documents" in data:
            return _update_documents(ctx, clinic_id, key_id, data)
        return _update_clinic_file(ctx, clinic_id, key_id, data)
    except _Refused as refused:
        return refused.answer


def _authenticate(ctx: AppContext, clinic_id: str) -> str:
    """The id of the clinic's key the request carries; raises :class:`_Refused` (401/404)."""
    key = _bearer()
    if key is None:
        log.info("knowledge_api_unauthorized", clinic_id=clinic_id[:64], reason="missing")
        raise _Refused(401, "missing API key: send 'Authorization: Bearer <key>'")
    with ctx.db.session() as session:
        row = find_key(session, clinic_id, key)
        if row is None:
            log.warning("knowledge_api_unauthorized", clinic_id=clinic_id[:64], reason="invalid")
            raise _Refused(401, "invalid API key for this clinic")
        row.last_used_at = utcnow()
        key_id = row.key_id
        known = session.get(Clinic, clinic_id) is not None
    if not known:
        raise _Refused(404, f"no clinic {clinic_id!r}")
    return key_id


def _json_object() -> dict[str, Any]:
    """The request body as a JSON object, read only up to :data:`MAX_BODY_BYTES` (``create_app``
    gives this route that cap instead of the app's 1 MiB: clinic files may be larger than a
    webhook), its strings cleaned of NUL and lone surrogates (:func:`app.untrusted.load_json`)."""
    too_large = f"body too large: at most {MAX_BODY_BYTES} bytes"
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise _Refused(413, too_large)
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise _Refused(413, too_large)
    try:
        # Only nesting the decoder cannot take is refused here: the clinic-file parser names
        # a file nested past its own MAX_DEPTH in a clearer 422.
        data = load_json(raw, max_depth=_DECODER_DEPTH)
    except UntrustedJSON as exc:
        raise _Refused(400, f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _Refused(400, 'the body must be a JSON object: a clinic file or {"documents": [...]}')
    return data


def _update_documents(ctx: AppContext, clinic_id: str, key_id: str, data: Any) -> Answer:
    """Replace the clinic's uploaded documents."""
    try:
        docs = parse_documents(data)
        report = replace_documents(ctx.db, clinic_id, docs, embedder=ctx.embedder)
    except DocumentsError as exc:
        return _error(422, "invalid documents", exc.problems)
    except UnknownClinicError:
        return _error(404, f"no clinic {clinic_id!r}")
    warnings = []
    if ctx.embedder is not None and report.chunks and not report.embedded:
        warnings.append("new documents are indexed for keyword search only (no embeddings)")
    log.info(
        "knowledge_api_documents",
        clinic_id=clinic_id,
        key_id=key_id,
        documents=report.documents,
        changed=report.changed,
    )
    return jsonify(
        kind="documents",
        changed=report.changed,
        summary=report.summary(),
        warnings=warnings,
        **asdict(report),
    ), 200


class OtherClinicError(ValueError):
    """The clinic file names another clinic than the one being updated."""


def check_owner_clinic_file(ctx: AppContext, clinic_id: str, data: Any) -> ClinicFile:
    """Validate ``data`` as the clinic file of ``clinic_id``, within what a clinic's owner may
    change (:mod:`knowledge.key_scope`). Shared by this API and the owner's settings pages.

    Returns:
        The validated clinic file.

    Raises:
        ClinicFileError: the file is invalid (``problems`` name each bad field's path).
        OtherClinicError: ``clinic.id`` is not ``clinic_id``.
        KeyScopeError: a change only the operator may make.
    """
    clinic = parse_clinic_file(data)
    if clinic.clinic.id != clinic_id:
        raise OtherClinicError(
            f"clinic.id is {clinic.clinic.id!r} but this is the endpoint of clinic {clinic_id!r}"
        )
    check_key_scope(ctx.clinic(clinic_id), clinic, ctx.settings.allowed_phone_countries)
    return clinic


def _update_clinic_file(ctx: AppContext, clinic_id: str, key_id: str, data: Any) -> Answer:
    """Validate and re-seed the clinic file, keeping the uploaded documents."""
    try:
        clinic = check_owner_clinic_file(ctx, clinic_id, data)
        before = ctx.clinic(clinic_id)
        report = seed_with_uploads(ctx.db, clinic, embedder=ctx.embedder)
        offer_lifted_closures(ctx, before, clinic)  # a reopened day goes to the waitlist
    except OtherClinicError as exc:
        return _error(400, str(exc))
    except ClinicFileError as exc:
        return _error(422, "invalid clinic file", exc.problems)
    except KeyScopeError as exc:
        fields = [problem.split(":", 1)[0] for problem in exc.problems]
        log.warning("knowledge_api_out_of_scope", clinic_id=clinic_id, key_id=key_id, fields=fields)
        return _error(403, "not allowed with a clinic API key", exc.problems)
    except SeedError as exc:
        return _error(409, "cannot seed this clinic file", [OWNER_RE.sub("", str(exc))])
    warnings = []
    if ctx.embedder is not None and report.chunks and not report.embedded:
        warnings.append("knowledge is indexed for keyword search only (embeddings failed)")
    with ctx.db.sessions() as session:
        kept = len(uploaded_documents(session, clinic_id))
    log.info("knowledge_api_seed", clinic_id=clinic_id, key_id=key_id, changed=report.changed)
    return jsonify(
        kind="clinic_file",
        changed=report.changed,
        summary=report.summary(),
        uploaded_documents_kept=kept,
        warnings=warnings,
        **asdict(report),
    ), 200
