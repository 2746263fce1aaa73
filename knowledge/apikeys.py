"""Per-clinic API keys for the knowledge API (``POST /knowledge/<clinic_id>``).

A key looks like ``fdk_<key id>_<secret>``: ``fdk_`` marks it as a frontdesk key (so secret
scanners and people recognise it), the key id is 12 random hex digits used to find the row,
and the secret is 32 random bytes from :mod:`secrets`, URL-safe base64 encoded. The whole key
is shown once, by :func:`create_key`, and never stored: the row keeps the key id and the hex
SHA-256 of the whole key.

Why a plain SHA-256 and not a password hash (bcrypt, scrypt, argon2)? Slow hashes exist to
make guessing *low-entropy* human passwords expensive after a database leak. These keys carry
256 bits of randomness, so even a leaked hash cannot be brute-forced at any speed: one hash
per check is enough, and keeps every API request cheap. The comparison is constant-time
(:func:`hmac.compare_digest`) and a miss on the key id still costs one comparison, so timing
tells an attacker nothing useful either.

Nothing here logs a key or its hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from knowledge.models import Clinic, ClinicApiKey

PREFIX = "fdk_"
KEY_ID_BYTES = 6  # 12 hex digits
SECRET_BYTES = 32
MAX_LABEL = 100
_DUMMY_HASH = hashlib.sha256(b"frontdesk: no such key").hexdigest()


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a stored key: never the key or its hash."""

    key_id: str
    clinic_id: str
    label: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None


def hash_key(key: str) -> str:
    """The hex SHA-256 of a whole key, as stored in ``ClinicApiKey.key_hash``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def split_key(presented: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None (never raises)."""
    if not presented.startswith(PREFIX):
        return None
    parts = presented[len(PREFIX) :].split("_", 1)
    if len(parts) != 2:
        return None
    key_id, secret = parts
    if len(key_id) != 2 * KEY_ID_BYTES or not all(c in "0123456789abcdef" for c in key_id):
        return None
    return (key_id, secret) if secret else None


def create_key(db: Database, clinic_id: str, label: str = "") -> str:
    """Create an API key for ``clinic_id`` and return it; it cannot be shown again.

    Args:
        db: the database.
        clinic_id: a seeded clinic.
        label: a note for people (e.g. "owner laptop"); at most 100 characters.

    Raises:
        ApiKeyError: the clinic has not been seeded, or the label is too long.
    """
    label = label.strip()
    if len(label) > MAX_LABEL:
        raise ApiKeyError(f"label: at most {MAX_LABEL} characters")
    key_id = secrets.token_hex(KEY_ID_BYTES)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    with db.session() as session:
        if session.get(Clinic, clinic_id) is None:
            raise ApiKeyError(f"no clinic {clinic_id!r}: seed its clinic file first")
        session.add(
            ClinicApiKey(clinic_id=clinic_id, key_id=key_id, key_hash=hash_key(key), label=label)
        )
    return key


def find_key(session: Session, clinic_id: str, presented: str) -> ClinicApiKey | None:
    """The active key row of ``clinic_id`` matching ``presented``, or None.

    A key of another clinic, a revoked key, a malformed or a wrong key all give None. The
    hash comparison is constant-time and happens even when no row has the key id.
    """
    parts = split_key(presented)
    row = None
    if parts is not None:
        row = session.scalar(
            select(ClinicApiKey).where(
                ClinicApiKey.key_id == parts[0],
                ClinicApiKey.clinic_id == clinic_id,
                ClinicApiKey.revoked_at.is_(None),
            )
        )
    expected = row.key_hash if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(hash_key(presented), expected)
    return row if row is not None and matches else None


def verify_key(session: Session, clinic_id: str, presented: str) -> bool:
    """True when ``presented`` is an active key of ``clinic_id``.

    On success the key's ``last_used_at`` is set in ``session`` (the caller commits).
    """
    row = find_key(session, clinic_id, presented)
    if row is None:
        return False
    row.last_used_at = utcnow()
    return True


def revoke_key(db: Database, clinic_id: str, key_id: str) -> bool:
    """Revoke the key ``key_id`` (or a whole key) of ``clinic_id``.

    Returns:
        True if an active key was revoked; False if there is no such active key.
    """
    parts = split_key(key_id)
    if parts is not None:
        key_id = parts[0]
    with db.session() as session:
        row = session.scalar(
            select(ClinicApiKey).where(
                ClinicApiKey.key_id == key_id,
                ClinicApiKey.clinic_id == clinic_id,
                ClinicApiKey.revoked_at.is_(None),
            )
        )
        if row is None:
            return False
        row.revoked_at = utcnow()
        return True


def list_keys(session: Session, clinic_id: str) -> list[ApiKeyInfo]:
    """Every key of ``clinic_id`` (revoked ones too), oldest first."""
    rows = session.scalars(
        select(ClinicApiKey)
        .where(ClinicApiKey.clinic_id == clinic_id)
        .order_by(ClinicApiKey.created_at, ClinicApiKey.id)
    )
    return [
        ApiKeyInfo(
            key_id=r.key_id,
            clinic_id=r.clinic_id,
            label=r.label,
            created_at=r.created_at,
            last_used_at=r.last_used_at,
            revoked_at=r.revoked_at,
        )
        for r in rows
    ]
