"""``frontdesk serve``: the web app under gunicorn (https://docs.gunicorn.org/en/stable/custom.html).

gunicorn's own error and access logs pass through the same scrubbing handler as the app's
(:func:`app.logging.frontdesk_handler`): ``LOG_FORMAT=json`` makes them JSON too, and a
number in a request line is masked.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from app.logging import frontdesk_handler


class GunicornLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with its handlers replaced by frontdesk's scrubbing one.

    The format comes from ``LOG_FORMAT`` (``console`` | ``json``) in the environment, which
    gunicorn's master and workers share.
    """

    def setup(self, cfg: Any) -> None:
        """Let gunicorn set its loggers up, then route both through frontdesk's handler."""
        super().setup(cfg)
        fmt = "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "console"
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.addHandler(frontdesk_handler(fmt))


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app.web import create_app

        return create_app()


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    threads: int = 4,
    log_format: str = "console",
) -> None:
    """Run gunicorn in the foreground; each worker process builds its own app and pools.

    Args:
        host: the address to bind.
        port: the TCP port.
        workers: worker processes.
        threads: threads per worker (gthread).
        log_format: ``console`` or ``json`` for gunicorn's own logs (as ``LOG_FORMAT``).
    """
    os.environ["LOG_FORMAT"] = log_format  # gunicorn's logger reads it in every process
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "timeout": 30,
            "logger_class": GunicornLogger,
        }
    ).run()
