"""The owner edits the clinic's knowledge and settings: sections of the clinic file.

``GET /app/settings`` shows each editable section as JSON: the clinic file's ``documents``
and ``faqs``, and ``clinic.closures``, ``clinic.reminders`` and ``clinic.waitlist`` where the
clinic file knows them (DESIGN.md §4.1). ``POST /app/settings/<section>`` puts the edited
section into the clinic's current file and runs it through exactly what the knowledge API
runs (:func:`app.web.knowledge_api.seed_owner_clinic_file`: the clinic file's validation,
the owner's scope, then a re-seed that re-indexes the knowledge); a refused edit comes back
on the page with each problem's path and nothing changes.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from pydantic import BaseModel

from app.untrusted import UntrustedJSON, load_json
from app.web.inbox.base import account, bp, ctx, owner_required
from app.web.knowledge_api import OtherClinicError, seed_owner_clinic_file
from knowledge.clinic_file import ClinicFile, ClinicFileError
from knowledge.key_scope import KeyScopeError
from knowledge.seed import SeedError

#: The editable sections: (name in URLs, path in the clinic file).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("documents", ("documents",)),
    ("faqs", ("faqs",)),
    ("closures", ("clinic", "closures")),
    ("reminders", ("clinic", "reminders")),
    ("waitlist", ("clinic", "waitlist")),
)


def _known(path: tuple[str, ...]) -> bool:
    """Whether the clinic file model has the field at ``path``."""
    model: type[BaseModel] = ClinicFile
    for name in path:
        info = model.model_fields.get(name)
        if info is None:
            return False
        annotation = info.annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else BaseModel
        )
    return True


def sections() -> list[tuple[str, tuple[str, ...]]]:
    """The sections this version's clinic file has."""
    return [(name, path) for name, path in SECTIONS if _known(path)]


def _current() -> dict[str, Any]:
    clinic = ctx().clinic(account().clinic_id)
    if clinic is None:
        abort(404)
    return clinic.model_dump(mode="json", exclude_none=True)


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for name in path:
        data = data.get(name) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data


@bp.get("/settings")
@owner_required
def settings() -> Any:
    """Every editable section as pretty JSON."""
    data = _current()
    texts = {name: json.dumps(_get(data, path), indent=2) for name, path in sections()}
    return render_template("settings.html", texts=texts, problems={}, sections=sections())


@bp.post("/settings/<name>")
@owner_required
def settings_update(name: str) -> Any:
    """Replace one section, validated as the whole clinic file is."""
    path = dict(sections()).get(name)
    if path is None:
        abort(404)
    data = _current()
    texts = {n: json.dumps(_get(data, p), indent=2) for n, p in sections()}
    texts[name] = request.form.get("value", "")
    problems = _apply(data, path, texts[name])
    if problems:
        page = render_template(
            "settings.html", texts=texts, problems={name: problems}, sections=sections()
        )
        return page, 422
    flash(f"Saved {name}; the assistant uses it from the next text.")
    return redirect(url_for("inbox.settings")), 303


def _apply(data: dict[str, Any], path: tuple[str, ...], text: str) -> list[str]:
    """Put ``text`` (JSON) at ``path`` of ``data`` and seed it; the problems, if any."""
    try:
        value = load_json(text.encode("utf-8")) if text.strip() else None
    except UntrustedJSON as exc:
        return [f"not valid JSON: {exc}"]
    target = data
    for name in path[:-1]:
        target = target.setdefault(name, {})
    if value is None:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    try:
        seed_owner_clinic_file(ctx(), account().clinic_id, data)
    except (ClinicFileError, KeyScopeError) as exc:
        return list(exc.problems)
    except (OtherClinicError, SeedError) as exc:
        return [str(exc)]
    return []
