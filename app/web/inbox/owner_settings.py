"""The owner edits the clinic's knowledge and settings from the web app.

``GET /app/settings`` shows each editable section as JSON:

- ``documents``: the clinic's uploaded knowledge documents (``[{"title", "content"}]``),
  saved exactly as the knowledge API saves them (:func:`knowledge.updates.parse_documents`
  then :func:`~knowledge.updates.replace_documents`);
- ``faqs``, and ``clinic.closures``, ``clinic.reminders``, ``clinic.waitlist`` where this
  version's clinic file has them (DESIGN.md §4.1): the edited section is put into the clinic's
  current file, which is validated whole with the knowledge API's own check
  (:func:`app.web.knowledge_api.check_owner_clinic_file`: the clinic file's validation and the
  owner's scope), then only the profile and FAQs are written
  (:func:`knowledge.owner_edits.save_owner_edit`; the clinic file's own documents keep their
  chunks).

``POST /app/settings/<section>`` (field ``value``); a refused edit comes back on the page,
422, with each problem's path, and nothing changes.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from app.flows.waitlist_reopened import offer_lifted_closures
from app.untrusted import UntrustedJSON, load_json
from app.web.inbox.base import account, bp, ctx, owner_required
from app.web.knowledge_api import OtherClinicError, check_owner_clinic_file
from knowledge.clinic_file import ClinicFileError, ClinicInfo
from knowledge.key_scope import KeyScopeError
from knowledge.owner_edits import current_faqs, save_owner_edit
from knowledge.updates import DocumentsError, parse_documents, replace_documents, uploaded_documents

#: The clinic section's settings an owner edits here, where the clinic file has them.
CLINIC_SETTINGS = ("closures", "reminders", "waitlist")


def sections() -> list[str]:
    """The editable sections of this version's clinic file, in page order."""
    known = [name for name in CLINIC_SETTINGS if name in ClinicInfo.model_fields]
    return ["documents", "faqs", *known]


def _current() -> dict[str, Any]:
    """The clinic file as stored (documents left out), with its FAQs."""
    clinic_id = account().clinic_id
    clinic = ctx().clinic(clinic_id)
    if clinic is None:
        abort(404)
    data = clinic.model_dump(mode="json", exclude_none=True)
    with ctx().db.sessions() as session:
        data["faqs"] = [f.model_dump() for f in current_faqs(session, clinic_id)]
        data["documents"] = [d.model_dump() for d in uploaded_documents(session, clinic_id)]
    return data


def _value(data: dict[str, Any], name: str) -> Any:
    return data.get(name) if name in ("documents", "faqs") else data["clinic"].get(name)


def _texts(data: dict[str, Any]) -> dict[str, str]:
    return {name: json.dumps(_value(data, name), indent=2) for name in sections()}


@bp.get("/settings")
@owner_required
def settings() -> Any:
    """Every editable section as pretty JSON."""
    texts = _texts(_current())
    return render_template("settings.html", texts=texts, problems={}, sections=sections())


@bp.post("/settings/<name>")
@owner_required
def settings_update(name: str) -> Any:
    """Replace one section, validated as the knowledge API validates it."""
    if name not in sections():
        abort(404)
    data = _current()
    texts = _texts(data)
    texts[name] = request.form.get("value", "")
    try:
        value = load_json(texts[name].encode("utf-8")) if texts[name].strip() else None
        problems = _save(data, name, value)
    except UntrustedJSON as exc:
        problems = [f"not valid JSON: {exc}"]
    if problems:
        page = render_template(
            "settings.html", texts=texts, problems={name: problems}, sections=sections()
        )
        return page, 422
    flash(f"Saved {name}; the assistant uses it from the next text.")
    return redirect(url_for("inbox.settings")), 303


def _save(data: dict[str, Any], name: str, value: Any) -> list[str]:
    """Validate and store section ``name`` as ``value``; the problems, if any."""
    clinic_id = account().clinic_id
    try:
        if name == "documents":
            docs = parse_documents({"documents": value if value is not None else []})
            replace_documents(ctx().db, clinic_id, docs, embedder=ctx().embedder)
            return []
        target = data if name == "faqs" else data["clinic"]
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
        data.pop("documents", None)  # uploads are not part of the file
        clinic = check_owner_clinic_file(ctx(), clinic_id, data)
        before = ctx().clinic(clinic_id)
        save_owner_edit(ctx().db, clinic, faqs=name == "faqs", embedder=ctx().embedder)
        offer_lifted_closures(ctx(), before, clinic)  # a reopened day goes to the waitlist
    except (ClinicFileError, KeyScopeError, DocumentsError) as exc:
        return list(exc.problems)
    except OtherClinicError as exc:
        return [str(exc)]
    return []
