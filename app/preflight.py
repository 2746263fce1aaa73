"""Is this configuration fit to serve patients? ``frontdesk check`` and ``frontdesk serve``.

:func:`check_settings` reads one :class:`~app.settings.Settings` (no network) and says what is
configured, what production still lacks (advice), and which production settings are
half-set (errors): a carrier's webhook key without its API key or the reverse, Square without
its location id or webhook signature key, Postgres or live carrier keys without a deposit
provider, or a ``PUBLIC_BASE_URL`` on this machine while vendors and patients need to reach
it. ``frontdesk check`` prints :func:`format_report` and exits non-zero on an error;
``frontdesk serve`` calls :func:`require_production_ready` and refuses to start.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.errors import UserError
from app.settings import Settings

__all__ = ["Report", "check_settings", "format_report", "require_production_ready"]

_SQUARE = "SQUARE_ACCESS_TOKEN, SQUARE_LOCATION_ID and SQUARE_WEBHOOK_SIGNATURE_KEY"


@dataclass
class Report:
    """What :func:`check_settings` found.

    Attributes:
        production: True when Postgres, a carrier key or Square is configured.
        configured: (concern, how it is served) pairs, in print order; never a secret.
        missing: what production would still want (advice; not an error).
        problems: half-set production settings, one sentence each naming the variables.
    """

    production: bool
    configured: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is this machine (``localhost``, ``127.0.0.0/8``, ``::1``,
    ``*.localhost``) or the unspecified address ``0.0.0.0``/``::``: no carrier, Square or
    patient's phone can reach it."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _host(url: str) -> str:
    """``scheme://host[:port][/path]`` of ``url`` without user or password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def _pair_problems(s: Settings) -> list[str]:
    """Vendor credentials that only work together, set one without the other."""
    problems = []
    if s.telnyx_public_key and not s.telnyx_api_key:
        problems.append(
            "TELNYX_PUBLIC_KEY is set but TELNYX_API_KEY is not: patients' texts would be "
            "accepted and never answered; set TELNYX_API_KEY or unset TELNYX_PUBLIC_KEY"
        )
    if s.telnyx_api_key and not s.telnyx_public_key:
        problems.append(
            "TELNYX_API_KEY is set but TELNYX_PUBLIC_KEY is not: /webhooks/telnyx answers 503, "
            "so no text or missed call reaches frontdesk; set TELNYX_PUBLIC_KEY (Portal, Keys "
            "& Credentials, Public Key)"
        )
    if s.telnyx_messaging_profile_id and not s.telnyx_api_key:
        problems.append("TELNYX_MESSAGING_PROFILE_ID is set but TELNYX_API_KEY is not")
    if bool(s.twilio_account_sid) != bool(s.twilio_auth_token):
        have, lack = (
            ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
            if s.twilio_account_sid
            else ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID")
        )
        problems.append(
            f"{have} is set but {lack} is not: Twilio needs both to send texts, and the "
            "auth token verifies its webhooks"
        )
    square = {
        "SQUARE_ACCESS_TOKEN": s.square_access_token,
        "SQUARE_LOCATION_ID": s.square_location_id,
        "SQUARE_WEBHOOK_SIGNATURE_KEY": s.square_webhook_signature_key,
    }
    if any(square.values()) and not all(square.values()):
        unset = ", ".join(name for name, value in square.items() if not value)
        problems.append(
            f"Square is half-set ({unset} unset): deposits need all of {_SQUARE} (without the "
            "webhook key a paid deposit never books)"
        )
    for carrier, ready in (
        ("telnyx", bool(s.telnyx_api_key)),
        ("twilio", bool(s.twilio_account_sid and s.twilio_auth_token)),
    ):
        if s.sms_carrier == carrier and not ready:
            problems.append(
                f"SMS_CARRIER={carrier} but its credentials are unset: texts would be recorded, "
                "not sent"
            )
    return problems


def _production_problems(s: Settings) -> list[str]:
    """What a production configuration (Postgres or vendor keys) must not lack."""
    why = "DATABASE_URL is Postgres" if not s.is_sqlite else "carrier keys are set"
    problems = []
    if not s.square_access_token and not s.frontdesk_demo_checkout:
        problems.append(
            f"{why} but no deposit provider is configured: set {_SQUARE} (or "
            "FRONTDESK_DEMO_CHECKOUT=1 for a demo where deposits are never charged)"
        )
    if not s.secret_key and not s.is_sqlite:  # SQLite keeps one in instance/secret_key
        problems.append(
            f"{why} but SECRET_KEY is unset: the staff web app's session cookies need a "
            "random key of at least 32 characters shared by every web process (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    if is_loopback_url(s.public_base_url):
        problems.append(
            f"PUBLIC_BASE_URL is {_host(s.public_base_url)}, this machine: carriers, Square "
            "and patients' phones cannot reach it; set the public https:// address"
        )
    return problems


def _configured(s: Settings) -> list[tuple[str, str]]:
    """How each concern is served, in words (DESIGN.md §3), without secrets."""
    carriers = [
        name
        for name, ready in (
            ("Telnyx", s.telnyx_api_key),
            ("Twilio", s.twilio_account_sid and s.twilio_auth_token),
        )
        if ready
    ]
    sms = ", ".join(carriers) if carriers else "recorded, not sent (no carrier keys)"
    if s.sms_carrier == "recording":
        sms = "recorded, not sent (SMS_CARRIER=recording)"
    if s.square_access_token:
        deposits = f"Square payment links ({s.square_environment})"
    elif s.local_checkout_enabled:
        deposits = "local TEST checkout: links book without any payment"
    else:
        deposits = "none (the local test checkout is off beside Postgres or carrier keys)"
    model = f"OpenAI-compatible, {s.openai_model}" if s.openai_api_key else "offline rule-based"
    return [
        (
            "database",
            "SQLite " + s.effective_database_url.removeprefix("sqlite:///")
            if s.is_sqlite
            else _host(s.effective_database_url),
        ),
        ("jobs", f"RQ on {_host(s.redis_url)}" if s.redis_url else "inline, in-process"),
        ("chat model", model + (f" at {_host(s.openai_base_url)}" if s.openai_base_url else "")),
        ("sms", sms),
        ("deposits", deposits),
        ("staff email", f"SMTP {_host(s.smtp_url)}" if s.smtp_url else "recorded, not sent"),
        ("public URL", s.public_base_url),
        ("phone countries", ", ".join(s.allowed_phone_countries) + " (clinic API keys)"),
    ]


def _missing(s: Settings) -> list[str]:
    """What production would still want; none of it stops ``frontdesk serve``."""
    wants = [
        (s.is_sqlite, "DATABASE_URL: Postgres (the SQLite file is for one machine)"),
        (not s.redis_url, "REDIS_URL: jobs run inside the web process; run `frontdesk worker`"),
        (not s.carrier_keys_set, "TELNYX_* or TWILIO_*: no text reaches a phone"),
        (not s.square_access_token, f"{_SQUARE}: deposits are not charged"),
        (not s.smtp_url, "SMTP_URL: staff alert emails are recorded, not sent"),
        (
            bool(s.square_access_token) and s.square_environment == "sandbox",
            "SQUARE_ENVIRONMENT=production: Square sandbox payments are not real money",
        ),
        (
            not s.public_base_url.startswith("https://"),
            "PUBLIC_BASE_URL over https://: webhooks and checkout links travel in clear",
        ),
    ]
    return [text for lacking, text in wants if lacking]


def check_settings(settings: Settings) -> Report:
    """Check ``settings`` for production (no network).

    Args:
        settings: the validated settings of this process.

    Returns:
        A :class:`Report`; ``problems`` is empty when nothing is half-set.
    """
    production = (
        not settings.is_sqlite or settings.carrier_keys_set or bool(settings.square_access_token)
    )
    report = Report(production=production)
    report.configured = _configured(settings)
    report.missing = _missing(settings)
    report.problems = _pair_problems(settings)
    if production:
        report.problems += _production_problems(settings)
    return report


def format_report(report: Report) -> str:
    """The text ``frontdesk check`` prints: configured, missing, then problems."""
    kind = "production" if report.production else "embedded default"
    lines = [f"frontdesk configuration: {kind}", "configured:"]
    lines += [f"  {name:<16}{value}" for name, value in report.configured]
    if report.missing:
        lines.append("missing for production:")
        lines += [f"  - {item}" for item in report.missing]
    if report.problems:
        lines.append("half-set production settings (`frontdesk serve` refuses to start):")
        lines += [f"  - {item}" for item in report.problems]
    else:
        lines.append("no half-set production settings")
    return "\n".join(lines)


def require_production_ready(settings: Settings) -> None:
    """Refuse a half-configured production (``frontdesk serve``).

    Raises:
        UserError: one line per problem of :func:`check_settings`.
    """
    problems = check_settings(settings).problems
    if problems:
        raise UserError(
            "refusing to start: half-set production settings\n  - "
            + "\n  - ".join(problems)
            + "\nrun `frontdesk check` to see the whole configuration"
        )
