"""Structured logging setup (structlog over the standard library).

``LOG_FORMAT=console`` (default) writes ``key=value`` lines, ``LOG_FORMAT=json`` one JSON
object per line (structlog's JSON renderer). Both pass :func:`app.log_scrub.scrub`: masked
phone numbers, no message text, no payment-link ids. Standard-library records (vendor adapters,
gunicorn's error and access logs through :class:`app.server.GunicornLogger`) go through the
same processors by :class:`structlog.stdlib.ProcessorFormatter`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from app.log_scrub import scrub


class _Stderr:
    """Writes to whatever ``sys.stderr`` is at write time (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _renderer(fmt: str) -> Any:
    if fmt == "json":
        return structlog.processors.JSONRenderer()
    return structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"])


def _shared() -> list[Any]:
    """Processors both structlog and standard-library records pass before rendering."""
    return [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrub,
    ]


def frontdesk_handler(fmt: str = "console") -> logging.Handler:
    """A stderr handler that renders standard-library records like structlog's (scrubbed).

    Args:
        fmt: ``console`` or ``json``.

    Returns:
        The handler, marked so :func:`configure_logging` can replace it on a second call.
    """
    handler = logging.StreamHandler(_Stderr())  # type: ignore[arg-type]
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name],
            processors=[
                *_shared(),
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _renderer(fmt),
            ],
        )
    )
    handler._frontdesk = True  # type: ignore[attr-defined]
    return handler


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Send scrubbed logs to stderr at ``level`` in ``fmt`` (``console`` | ``json``).

    Args:
        level: a standard level name (``INFO``, ``WARNING``, ...).
        fmt: ``console`` (key=value) or ``json`` (one object per line).

    Calling it again replaces the handler it installed (handlers others added stay).
    """
    numeric = logging.getLevelName(level.upper())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_frontdesk", False)]:
        root.removeHandler(old)
    root.addHandler(frontdesk_handler(fmt))
    root.setLevel(numeric)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *_shared(),
            _renderer(fmt),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
