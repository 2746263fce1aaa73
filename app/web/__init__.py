"""The Flask application factory (Flask tutorial style: no import-time side effects).

``create_app()`` builds the context (or takes a ready one) and registers every route: the
carriers' and Square's webhooks (their routes live with their adapters and hand events to the
flows of ``app/flows``), the local checkout (only where :func:`app.web.checkout.enabled`), the
knowledge and staff APIs, website leads, the staff and owner web app (``/app``), and operations
(:mod:`app.web.ops`: health, readiness, metrics). Every request is held to :mod:`app.web.limits` (a 1 MiB
body cap applied before the body is read, form field caps, a 404 for a NUL in the path).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Flask

from app.context import AppContext
from app.flows import missed_call, payment
from app.flows.inbound_text import receive_text
from app.flows.sending import receive_status
from app.logging import configure_logging
from app.settings import load_settings
from app.web import checkout, inbox, knowledge_api, leads, limits, ops, staff_api
from app.wiring import build_context
from messaging import webhooks as carrier_webhooks
from payments import square_webhook


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
        configure_logging(settings.log_level, settings.log_format)
        context = build_context(settings)
    ctx = context
    app = Flask(__name__)
    limits.install(app, {"knowledge_api.update_knowledge": knowledge_api.MAX_BODY_BYTES})
    app.extensions["frontdesk"] = ctx
    carrier_webhooks.install(
        app,
        carrier_webhooks.CarrierHandlers(
            settings=ctx.settings,
            now=ctx.clock.now,
            text=partial(receive_text, ctx),
            status=partial(receive_status, ctx),
            telnyx_call=partial(missed_call.on_telnyx_call_event, ctx),
            twilio_voice=partial(missed_call.on_twilio_voice, ctx),
            twilio_dial=partial(missed_call.on_twilio_dial_status, ctx),
        ),
    )
    square_webhook.install(
        app,
        square_webhook.SquareHandlers(
            settings=ctx.settings,
            db=ctx.db,
            now=ctx.clock.now,
            event=partial(payment.receive_square_event, ctx),
        ),
    )
    if checkout.enabled(ctx):
        app.register_blueprint(checkout.bp)
    app.register_blueprint(knowledge_api.bp)
    app.register_blueprint(staff_api.bp)
    app.register_blueprint(leads.bp)
    ops.install(app, ctx)
    inbox.install(app, ctx)
    return app
