"""The Flask application factory (Flask tutorial style: no import-time side effects)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from app.context import AppContext, build_context
from app.logging import configure_logging
from app.settings import load_settings


def create_app(
    test_config: Mapping[str, Any] | None = None, *, context: AppContext | None = None
) -> Flask:
    """Build the web app.

    Args:
        test_config: settings overrides by field name (e.g. ``{"database_url": ...}``); the
            environment supplies the rest.
        context: a ready :class:`AppContext` (scenario runner, tests); built from settings
            when None.

    Returns:
        The Flask app; its context is ``app.extensions["frontdesk"]``.

    Raises:
        SettingsError: an environment variable is invalid.
    """
    if context is None:
        settings = load_settings(**dict(test_config or {}))
        configure_logging(settings.log_level)
        context = build_context(settings)
    app = Flask(__name__)
    app.extensions["frontdesk"] = context

    from app.payment_routes import bp as payments_bp
    from app.staff_api import bp as staff_bp
    from knowledge.api import bp as knowledge_bp
    from messaging.webhooks import bp as carrier_bp

    app.register_blueprint(carrier_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(knowledge_bp)
    app.register_blueprint(staff_bp)

    @app.get("/healthz")
    def healthz() -> Response:
        with context.db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return Response("ok\n", mimetype="text/plain")

    return app
