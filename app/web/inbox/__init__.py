"""The staff and owner web app under ``/app`` (issue 14 items 1-3; DESIGN.md §4.4).

:func:`install` sets the app's session secret and cookie flags, Flask-WTF's CSRF protection
for the ``/app`` forms (the webhooks and JSON APIs keep their own authentication and are not
touched), and registers the pages: login (:mod:`.auth`), the inbox and conversations
(:mod:`.conversations`), appointments (:mod:`.appointments`, :mod:`.reschedule`), the waitlist (:mod:`.waitlist`) and the owner's pages
(:mod:`.owner`, :mod:`.owner_settings`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask

from app.context import AppContext
from app.web.inbox import (
    appointments,
    auth,
    conversations,
    owner,
    owner_settings,
    reschedule,
    waitlist,
)
from app.web.inbox.base import bp, csrf

__all__ = ["install", "secret_key"]

_MODULES = (
    appointments,
    auth,
    conversations,
    owner,
    owner_settings,
    reschedule,
    waitlist,
)  # their routes are on bp


def secret_key(ctx: AppContext) -> str:
    """``SECRET_KEY``, or for the embedded default the key kept in ``instance/secret_key``
    (made once, readable by this user only, shared by every process of this machine).

    Production (Postgres) without ``SECRET_KEY`` is refused by ``frontdesk serve``
    (:mod:`app.preflight`); a process started otherwise still gets a per-machine key.
    """
    if ctx.settings.secret_key:
        return ctx.settings.secret_key
    path = Path(ctx.settings.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: a process starting at the
        # same moment either links first or reads the winner's complete key, never a torn one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def install(app: Flask, ctx: AppContext) -> None:
    """Configure sessions and CSRF on ``app`` and register the ``/app`` pages.

    Cookies are ``HttpOnly`` and ``SameSite=Lax`` always, and ``Secure`` whenever
    ``PUBLIC_BASE_URL`` is https (production is served behind TLS).
    """
    app.config.update(
        SECRET_KEY=secret_key(ctx),
        SESSION_COOKIE_NAME="frontdesk_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=ctx.settings.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in the blueprint only (base._protect)
        WTF_CSRF_TIME_LIMIT=12 * 3600,
    )
    csrf.init_app(app)
    app.register_blueprint(bp)
