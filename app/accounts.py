"""Staff and owner web accounts of a clinic (``frontdesk user add|remove|list``, ``/app`` login).

Passwords are hashed with argon2id through argon2-cffi's :class:`PasswordHasher` (its
defaults follow RFC 9106's second recommended option: 64 MiB memory, 3 passes, 4 lanes). A
login for an unknown or disabled email still verifies against a fixed dummy hash, so the answer
takes as long whether or not the account exists. A hash made with older parameters is
re-hashed on the next successful login (``check_needs_rehash``). Nothing here logs an email or a
password.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, Database, UTCDateTime, enum_column, utcnow
from knowledge.models import Clinic

#: The shortest password an account may have (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 320

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("frontdesk: no such account")


class Role(enum.StrEnum):
    """What an account may see: staff work the inbox; owners also see the dashboard."""

    STAFF = "staff"
    OWNER = "owner"


class AccountError(ValueError):
    """An account cannot be added or removed as asked (the message says why)."""


class StaffAccount(Base):
    """One person's login to one clinic's web app; ``email`` is unique within the clinic."""

    __tablename__ = "staff_accounts"
    __table_args__ = (UniqueConstraint("clinic_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role", 8))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Account:
    """What the web app keeps of a signed-in account (never the hash)."""

    id: int
    clinic_id: str
    email: str
    role: Role

    @property
    def is_owner(self) -> bool:
        """True for an owner account (dashboard, settings, keys)."""
        return self.role == Role.OWNER


def normalize_email(email: str) -> str:
    """``email`` trimmed and lower-cased, or :class:`AccountError` when it is not one."""
    value = email.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or len(value) > MAX_EMAIL_LENGTH or " " in value:
        raise AccountError(f"not an email address: {email!r}")
    return value


def check_password(password: str) -> str:
    """``password`` unchanged, or :class:`AccountError` when it is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def add_account(
    db: Database, clinic_id: str, email: str, password: str, role: Role = Role.STAFF
) -> Account:
    """Create an account, or replace the password and role of a disabled one.

    Raises:
        AccountError: no such clinic, a bad email or password, or the email is taken.
    """
    address = normalize_email(email)
    digest = _hasher.hash(check_password(password))
    with db.session() as session:
        if session.get(Clinic, clinic_id) is None:
            raise AccountError(f"no clinic {clinic_id!r}; seed its clinic file first")
        row = _find(session, clinic_id, address)
        if row is not None and not row.disabled:
            raise AccountError(f"{address} already has an account at {clinic_id}")
        if row is None:
            row = StaffAccount(clinic_id=clinic_id, email=address)
            session.add(row)
        row.role, row.password_hash, row.disabled = role, digest, False
        session.flush()
        return _info(row)


def remove_account(db: Database, clinic_id: str, email: str) -> None:
    """Disable an account (its row stays, so logs keep meaning); it can no longer sign in.

    Raises:
        AccountError: no active account with that email at that clinic.
    """
    address = normalize_email(email)
    with db.session() as session:
        row = _find(session, clinic_id, address)
        if row is None or row.disabled:
            raise AccountError(f"no active account {address} at {clinic_id}")
        row.disabled = True


def list_accounts(db: Database, clinic_id: str) -> list[tuple[Account, bool]]:
    """Every account of the clinic with whether it is disabled, by email."""
    with db.sessions() as session:
        rows = session.scalars(
            select(StaffAccount)
            .where(StaffAccount.clinic_id == clinic_id)
            .order_by(StaffAccount.email)
        ).all()
        return [(_info(r), r.disabled) for r in rows]


def authenticate(db: Database, clinic_id: str, email: str, password: str) -> Account | None:
    """The account when ``password`` is right for this clinic's active ``email``, else None.

    Costs one argon2 verification whatever the outcome (see the module docstring).
    """
    try:
        address = normalize_email(email)
    except AccountError:
        address = ""
    with db.session() as session:
        row = _find(session, clinic_id, address) if address else None
        usable = row is not None and not row.disabled
        digest = row.password_hash if usable and row is not None else _DUMMY_HASH
        try:
            _hasher.verify(digest, password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if not usable or row is None:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        return _info(row)


def load_account(db: Database, account_id: int) -> Account | None:
    """The active account with this id (a session's), or None once removed."""
    with db.sessions() as session:
        row = session.get(StaffAccount, account_id)
        return None if row is None or row.disabled else _info(row)


def _find(session: Session, clinic_id: str, email: str) -> StaffAccount | None:
    return session.scalars(
        select(StaffAccount).where(StaffAccount.clinic_id == clinic_id, StaffAccount.email == email)
    ).first()


def _info(row: StaffAccount) -> Account:
    return Account(row.id, row.clinic_id, row.email, Role(row.role))
