"""The owner's pages: the dashboard and the clinic's API keys (owners only; staff get 403).

- ``GET /app/dashboard?days=N``: the funnel report (:mod:`booking.funnel_report`, shaped by
  :mod:`.dashboard_data`: the numbers ``frontdesk report funnel`` prints) by day and by ISO
  week with inline SVG charts (:mod:`.chart`), deposit revenue and first-answer times.
- ``GET /app/keys``: the API keys (ids, labels, use; never a key); ``POST /app/keys`` makes
  one (shown once on the answering page); ``POST /app/keys/<key_id>/revoke`` revokes one;
  ``POST /app/keys/<key_id>/rotate`` makes a new key with the same label and revokes the old.
  The operations are :mod:`knowledge.apikeys`, as ``frontdesk api-key`` runs them.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from app.web.inbox.base import account, bp, clinic_zone, ctx, owner_required
from app.web.inbox.chart import bar_chart
from app.web.inbox.dashboard_data import Bucket, Dashboard, dashboard_data
from booking.funnel import BOOKED, CONVERSATION_STARTED, MISSED_CALL_RECOVERED
from knowledge.apikeys import ApiKeyError, create_key, list_keys, revoke_key

#: The periods the dashboard offers (days).
PERIODS = (7, 30, 90)


@bp.get("/dashboard")
@owner_required
def dashboard() -> Any:
    """The owner's dashboard."""
    days = request.args.get("days", type=int) or 30
    if days not in PERIODS:
        days = 30
    with ctx().db.sessions() as session:
        board = dashboard_data(
            session, account().clinic_id, clinic_zone().key, ctx().clock.now(), days=days
        )
    return render_template(
        "dashboard.html", board=board, days=days, periods=PERIODS, charts=_charts(board)
    )


#: The steps the charts draw, one bar each.
CHARTED = (CONVERSATION_STARTED, BOOKED, MISSED_CALL_RECOVERED)


def _charts(board: Dashboard) -> dict[str, Any]:
    """The day and week charts: conversations, booked, missed calls recovered."""
    labels = dict(board.steps)

    def chart(buckets: list[Bucket], title: str) -> Any:
        series = [(labels[s], [b.counts[s] for b in buckets]) for s in CHARTED]
        return bar_chart([b.label for b in buckets], series, title)

    return {"days": chart(board.days, "By day"), "weeks": chart(board.weeks, "By ISO week")}


@bp.get("/keys")
@owner_required
def keys() -> Any:
    """The clinic's API keys."""
    return _keys_page()


def _keys_page(new_key: str | None = None) -> Any:
    with ctx().db.sessions() as session:
        rows = list_keys(session, account().clinic_id)
    return render_template("keys.html", keys=rows, new_key=new_key)


@bp.post("/keys")
@owner_required
def key_create() -> Any:
    """Make a key; the answering page shows it once."""
    try:
        key = create_key(ctx().db, account().clinic_id, request.form.get("label", ""))
    except ApiKeyError as exc:
        flash(str(exc))
        return redirect(url_for("inbox.keys")), 303
    return _keys_page(new_key=key)


@bp.post("/keys/<key_id>/revoke")
@owner_required
def key_revoke(key_id: str) -> Any:
    """Revoke one of the clinic's keys (404 for any other)."""
    if not revoke_key(ctx().db, account().clinic_id, key_id):
        abort(404)
    flash(f"Key {key_id} revoked.")
    return redirect(url_for("inbox.keys")), 303


@bp.post("/keys/<key_id>/rotate")
@owner_required
def key_rotate(key_id: str) -> Any:
    """Make a new key with the old one's label, then revoke the old one."""
    with ctx().db.sessions() as session:
        old = [k for k in list_keys(session, account().clinic_id) if k.key_id == key_id]
    if not old or not old[0].active:
        abort(404)
    key = create_key(ctx().db, account().clinic_id, old[0].label)
    revoke_key(ctx().db, account().clinic_id, key_id)
    return _keys_page(new_key=key)
