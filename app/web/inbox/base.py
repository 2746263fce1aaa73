"""What every page of the staff web app shares: its blueprint, the signed-in account, the
login and owner guards, CSRF on every form, and clinic-local times.

The blueprint is ``inbox`` under ``/app``. A page reads the account from the session cookie on
each request (a removed account is signed out at once) and only ever queries its own clinic's
rows, so another clinic's conversation is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.accounts import Account, load_account
from app.context import AppContext
from payments.money import format_money

bp = Blueprint("inbox", __name__, url_prefix="/app", template_folder="templates")
csrf = CSRFProtect()

_View = TypeVar("_View", bound=Callable[..., Any])


def ctx() -> AppContext:
    """The app's :class:`AppContext`."""
    return cast(AppContext, current_app.extensions["frontdesk"])


def account() -> Account:
    """The signed-in account of this request (only inside a :func:`login_required` view)."""
    return cast(Account, g.account)


@bp.before_request
def _protect() -> None:
    """Every unsafe method under /app carries the session's CSRF token (Flask-WTF)."""
    csrf.protect()


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A form without a valid token (expired, or posted from another site): 400, with a page
    that says what to do rather than a bare error."""
    return render_template("refused.html", reason=error.description), 400


def login_required(view: _View) -> _View:
    """Send a request without a live account to the login page (an htmx poll gets a 401 whose
    ``HX-Redirect`` header takes the whole page there)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        account_id = session.get("account_id")
        found = load_account(ctx().db, account_id) if isinstance(account_id, int) else None
        if found is None:
            session.clear()
            login = url_for("inbox.login")
            if request.headers.get("HX-Request"):
                return Response("sign in again", 401, {"HX-Redirect": login})
            return redirect(url_for("inbox.login", next=request.full_path.rstrip("?")))
        g.account = found
        return view(*args, **kwargs)

    return cast(_View, wrapped)


def owner_required(view: _View) -> _View:
    """As :func:`login_required`, and a staff (not owner) account gets 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not account().is_owner:
            abort(403)
        return view(*args, **kwargs)

    return login_required(cast(_View, wrapped))


def clinic_zone() -> ZoneInfo:
    """The signed-in clinic's time zone (from the per-process clinic cache: every page and
    every 3-second poll formats times)."""
    clinic = ctx().clinic_cached(account().clinic_id)
    return clinic.clinic.zone if clinic is not None else ZoneInfo("UTC")


@bp.app_template_filter("local")
def local_time(value: dt.datetime | None, fmt: str = "%a %b %-d, %-I:%M %p") -> str:
    """An instant as the clinic's wall-clock time (``""`` for None)."""
    if value is None:
        return ""
    return value.astimezone(clinic_zone()).strftime(fmt)


@bp.app_template_filter("dollars")
def dollars(cents: int) -> str:
    """Integer cents as ``$1,234.50`` (:func:`payments.money.format_money`)."""
    return format_money(cents)
