"""Operations routes (DESIGN.md §4.4): ``/healthz``, ``/readyz`` and ``/metrics``.

* ``/healthz``: liveness; the process answers and its database pool connects.
* ``/readyz``: readiness; the database answers and is migrated to the Alembic head, and, when
  ``REDIS_URL`` is set, Redis answers and a worker's heartbeat (:mod:`app.heartbeat`) is younger
  than ``HEARTBEAT_MAX_AGE_SECONDS``. 503 with a JSON body naming each failing check.
* ``/metrics``: Prometheus text format (:mod:`app.metrics`, :mod:`app.metrics_db`).

:func:`install` also times every webhook answer (route and status) and, with
``TRUSTED_PROXY=1``, trusts one proxy hop's ``X-Forwarded-For``/``-Proto`` (Werkzeug's
``ProxyFix``), so a request that reached Caddy over HTTPS is seen as ``https`` from the
client's address.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from werkzeug.middleware.proxy_fix import ProxyFix

from app.context import AppContext
from app.heartbeat import age_seconds
from app.metrics import observe_ack, process_registry
from app.metrics_db import DatabaseCollector, QueueCollector
from app.migrate import alembic_config

bp = Blueprint("ops", __name__)

#: Paths whose answers are counted as webhook acknowledgements.
WEBHOOK_PREFIX = "/webhooks/"


def _ctx() -> AppContext:
    ctx: AppContext = current_app.extensions["frontdesk"]
    return ctx


def install(app: Flask, ctx: AppContext) -> None:
    """Register the routes, the webhook timing hooks and (``TRUSTED_PROXY``) ``ProxyFix``."""
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_count_webhook)
    if ctx.settings.trusted_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]


def _start_timer() -> None:
    if request.path.startswith(WEBHOOK_PREFIX):
        g.frontdesk_ack_start = time.perf_counter()


def _count_webhook(response: Response) -> Response:
    start = g.pop("frontdesk_ack_start", None)
    if start is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        observe_ack(route, response.status_code, time.perf_counter() - start)
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: 200 ``ok`` when a database connection opens."""
    with _ctx().db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    return Response("ok\n", mimetype="text/plain")


@bp.get("/metrics")
def metrics() -> Response:
    """Every metric in Prometheus text format (process counters, then database state)."""
    ctx = _ctx()
    state = CollectorRegistry(auto_describe=False)
    state.register(DatabaseCollector(ctx.db))
    state.register(QueueCollector(ctx.jobs))
    body = generate_latest(process_registry()) + generate_latest(state)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: 200 when every check passes, else 503; the body names each check.

    Body: ``{"status": "ready" | "not ready", "failing": [...], "checks": {name: {"ok":
    bool, "detail": str}}}``; details never carry URLs or secrets.
    """
    checks = readiness(_ctx())
    failing = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "not ready" if failing else "ready", "failing": failing, "checks": checks}
    return jsonify(body), 503 if failing else 200


def readiness(ctx: AppContext) -> dict[str, dict[str, Any]]:
    """Run the readiness checks.

    Returns:
        ``database`` and ``migrations`` always; ``redis`` and ``worker`` when ``REDIS_URL``
        is set. Each is ``{"ok": bool, "detail": str}``.
    """
    checks: dict[str, dict[str, Any]] = {}
    checks["database"], checks["migrations"] = _database(ctx)
    if ctx.redis is not None:
        checks["redis"], checks["worker"] = _redis_and_worker(ctx)
    return checks


def _check(ok: bool, detail: str) -> dict[str, Any]:
    return {"ok": ok, "detail": detail}


@cache
def _head_revisions() -> frozenset[str]:
    """The Alembic heads of this code's migrations (read once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _database(ctx: AppContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """(database reachable, migrated to head)."""
    from alembic.runtime.migration import MigrationContext

    try:
        with ctx.db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any failure means not reachable
        return _check(False, f"unreachable: {type(exc).__name__}"), _check(False, "not checked")
    heads = _head_revisions()
    if current == heads:
        return _check(True, "reachable"), _check(True, f"at head {', '.join(sorted(heads))}")
    have = ", ".join(sorted(current)) or "none (run `frontdesk db upgrade`)"
    return _check(True, "reachable"), _check(
        False, f"at {have}; head is {', '.join(sorted(heads))}"
    )


def _redis_and_worker(ctx: AppContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Redis answers PING, a worker beat within the allowed age)."""
    limit = ctx.settings.heartbeat_max_age_seconds
    try:
        ctx.redis.ping()
        age = age_seconds(ctx.redis, ctx.clock.now().timestamp())
    except Exception as exc:  # noqa: BLE001 - any failure means not reachable
        return _check(False, f"unreachable: {type(exc).__name__}"), _check(False, "not checked")
    if age is None:
        return _check(True, "reachable"), _check(False, "no heartbeat: is `frontdesk worker` up?")
    if age > limit:
        return _check(True, "reachable"), _check(False, f"heartbeat {age:.0f}s old (> {limit}s)")
    return _check(True, "reachable"), _check(True, f"heartbeat {age:.0f}s old")
