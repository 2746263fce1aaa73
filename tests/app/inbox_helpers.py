"""Helpers for the staff web app's tests: accounts, signing in with the CSRF token, a second
clinic."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from app.accounts import Role, add_account
from app.context import AppContext
from app.web import create_app
from knowledge.clinic_file import ClinicFile, parse_clinic_file
from knowledge.seed import seed_clinic

PASSWORD = "correct horse battery"
OWNER = "owner@glow.example"
STAFF = "amy@glow.example"
CLINIC_ID = "glow-austin"
OTHER_ID = "other-spa"


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def add_people(ctx: AppContext) -> None:
    """An owner and a staff account at the demo clinic."""
    add_account(ctx.db, CLINIC_ID, OWNER, PASSWORD, Role.OWNER)
    add_account(ctx.db, CLINIC_ID, STAFF, PASSWORD, Role.STAFF)


def sign_in(
    client: FlaskClient, email: str, clinic: str = CLINIC_ID, password: str = PASSWORD
) -> Any:
    """Post the login form as a browser would (token from the form); the response."""
    token = csrf_token(client.get("/app/login").text)
    return client.post(
        "/app/login",
        data={"clinic": clinic, "email": email, "password": password, "csrf_token": token},
    )


def post_form(client: FlaskClient, page: str, action: str, **fields: str) -> Any:
    """Post ``fields`` to ``action`` with the CSRF token read from ``page`` (a GET path)."""
    token = csrf_token(client.get(page).text)
    return client.post(action, data={**fields, "csrf_token": token})


def seed_other_clinic(ctx: AppContext, demo: ClinicFile) -> ClinicFile:
    """A second clinic (own id and numbers) beside the demo clinic."""
    data = demo.model_dump(mode="json", exclude_none=True)
    data["clinic"].update(
        id=OTHER_ID,
        name="Other Spa",
        phone_numbers=["+15125550300"],
        staff_alert_phone="+15125550399",
    )
    other = parse_clinic_file(data)
    seed_clinic(ctx.db, other)
    return other


def signed_in_client(ctx: AppContext, email: str) -> FlaskClient:
    """A test client of ``ctx``'s app signed in as ``email`` of the demo clinic (the owner and
    staff accounts of :func:`add_people` are added first)."""
    add_people(ctx)
    client = create_app(context=ctx).test_client()
    sign_in(client, email)
    return client


def other_clinic_client(ctx: AppContext, demo: ClinicFile, role: Role = Role.STAFF) -> FlaskClient:
    """A test client signed in to a second clinic (:func:`seed_other_clinic`) as ``role``."""
    seed_other_clinic(ctx, demo)
    email = f"{role.value}@other.example"
    add_account(ctx.db, OTHER_ID, email, PASSWORD, role)
    client = create_app(context=ctx).test_client()
    sign_in(client, email, clinic=OTHER_ID)
    return client
