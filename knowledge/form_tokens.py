"""Per-clinic public tokens for the website lead form (``POST /leads/<clinic_id>``).

Why a stored token and not the clinic's API key or an HMAC of a server secret? The form's
HTML is public: whatever it carries, anyone can read. An API key there would hand out the
staff API, so the form gets its own credential that allows one thing, submitting a lead.
Being public, it is not hashed (the owner can print it again to paste into the site); what
it buys is a switch per clinic: ``frontdesk api-key form-token CLINIC --rotate`` retires the
old token at once (a form abused by bots stops working, nothing else changes), which a token
derived from a server-wide secret cannot do without logging every session out. Bots that
copy the token are held by the honeypot field and the per-IP and per-clinic rate limits of
:mod:`app.flows.lead`.

A token looks like ``fdf_<32 URL-safe characters>`` (24 random bytes from :mod:`secrets`);
it is compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from knowledge.apikeys import ApiKeyError
from knowledge.models import Clinic, LeadFormToken

PREFIX = "fdf_"
TOKEN_BYTES = 24


def _active(session: Session, clinic_id: str) -> LeadFormToken | None:
    """The clinic's active token row, or None."""
    return session.scalar(
        select(LeadFormToken)
        .where(LeadFormToken.clinic_id == clinic_id, LeadFormToken.revoked_at.is_(None))
        .order_by(LeadFormToken.id.desc())
    )


def form_token(db: Database, clinic_id: str, *, rotate: bool = False) -> str:
    """The clinic's active lead-form token, created when it has none (or when ``rotate``).

    Args:
        db: the database.
        clinic_id: a seeded clinic.
        rotate: retire the active token (its forms get 403 from now on) and make a new one.

    Returns:
        The token to put in the form (``fdf_...``).

    Raises:
        ApiKeyError: the clinic has not been seeded.
    """
    with db.session() as session:
        if session.get(Clinic, clinic_id) is None:
            raise ApiKeyError(f"no clinic {clinic_id!r}: seed its clinic file first")
        row = _active(session, clinic_id)
        if row is not None and not rotate:
            return row.token
        if row is not None:
            row.revoked_at = utcnow()
        token = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        session.add(LeadFormToken(clinic_id=clinic_id, token=token))
        return token


def verify_form_token(session: Session, clinic_id: str, presented: str) -> bool:
    """True when ``presented`` is the active lead-form token of ``clinic_id`` (a token of
    another clinic, a retired or a wrong one: False)."""
    row = _active(session, clinic_id)
    expected = row.token if row is not None else PREFIX + "-" * 32
    return row is not None and hmac.compare_digest(presented.encode(), expected.encode())
