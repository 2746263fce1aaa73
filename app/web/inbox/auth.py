"""Sign in and out of the staff web app.

``GET/POST /app/login`` takes the clinic id, email and password. Attempts are limited before
the password is checked (an argon2 verification is deliberately slow): at most
:data:`PER_EMAIL` per clinic and email and :data:`PER_IP` per client address in fixed
15-minute windows, counted through the app's rate counter (Redis when ``REDIS_URL`` is set,
shared by every web process). Past either: 429 with ``Retry-After``. A failure never says
whether the email exists. Success starts a fresh session (no fixation) holding only the
account id; ``POST /app/logout`` clears it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import structlog
from flask import redirect, render_template, request, session, url_for

from app.accounts import authenticate
from app.flows.throttle import over_limit
from app.web.inbox.base import bp, ctx
from knowledge.store import list_clinic_ids

log = structlog.get_logger(__name__)

#: Login attempts (count, window seconds) per clinic and email, and per client IP.
PER_EMAIL = (10, 15 * 60)
PER_IP = (30, 15 * 60)
_MAX_FIELD = 320


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this app only (no open redirect)."""
    if not target:
        return url_for("inbox.inbox")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/app") or "\\" in target:
        return url_for("inbox.inbox")
    return target


def _only_clinic() -> str:
    """The clinic id when this install serves exactly one clinic (prefilled), else ``""``."""
    with ctx().db.sessions() as session:
        ids = list_clinic_ids(session)
    return ids[0] if len(ids) == 1 else ""


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; on POST check limits, then the password."""
    if request.method == "GET":
        clinic = request.args.get("clinic", "") or _only_clinic()
        return render_template("login.html", clinic=clinic, next=request.args.get("next"))
    clinic_id = request.form.get("clinic", "").strip()[:64]
    email = request.form.get("email", "").strip().lower()[:_MAX_FIELD]
    password = request.form.get("password", "")
    now = ctx().clock.now()
    for scope, key, limit in (
        ("login:ip", request.remote_addr or "", PER_IP),
        ("login:email", f"{clinic_id}\n{email}", PER_EMAIL),
    ):
        retry = over_limit(ctx(), scope, key, now, limit)
        if retry is not None:
            log.warning("login_rate_limited", scope=scope)
            page = render_template(
                "login.html", clinic=clinic_id, error="Too many attempts; try again later."
            )
            return page, 429, {"Retry-After": str(retry)}
    account = authenticate(ctx().db, clinic_id, email, password)
    if account is None:
        log.info("login_failed", clinic_id=clinic_id)
        page = render_template(
            "login.html", clinic=clinic_id, error="Wrong clinic, email or password."
        )
        return page, 401
    session.clear()
    session.permanent = True
    session["account_id"] = account.id
    log.info("login", clinic_id=account.clinic_id, account_id=account.id)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Any:
    """Sign out (a POST with the CSRF token, so another site cannot sign staff out)."""
    session.clear()
    return redirect(url_for("inbox.login"))
