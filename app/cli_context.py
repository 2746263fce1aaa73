"""The application context every ``frontdesk`` command builds (one settings object, logs on)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.settings import load_settings

if TYPE_CHECKING:
    from app.context import AppContext


def cli_context() -> AppContext:
    """Build the context from the environment's settings, with logging configured."""
    from app.logging import configure_logging
    from app.wiring import build_context

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return build_context(settings)
