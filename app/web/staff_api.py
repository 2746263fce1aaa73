"""The staff API: see every conversation, take one over, reply, hand it back to the AI.

Authenticated with the clinic's API key (``frontdesk api-key create CLINIC``) as a Bearer
token; a key of another clinic, or none, gets 401. Routes, all JSON:

- ``GET  /staff/<clinic_id>/conversations``: newest first, with ``ai_paused`` and alerts.
- ``GET  /staff/<clinic_id>/conversations/<id>``: the messages of one conversation.
- ``POST /staff/<clinic_id>/conversations/<id>/reply`` ``{"text": "..."}``: text the patient
  from the clinic number; the AI pauses on that conversation.
- ``POST /staff/<clinic_id>/conversations/<id>/resume``: the AI answers again.
- ``POST /staff/<clinic_id>/appointments/<id>/no-show``: the patient did not come (404 for
  another clinic's or an unknown appointment, 409 when it is not booked or not yet started).
- ``GET  /staff/<clinic_id>/unconfirmed?hours=48``: booked visits in the next ``hours``
  (1..720) the patient has not confirmed, soonest first.
- ``GET  /staff/<clinic_id>/closure-conflicts``: booked or held visits on days the clinic is
  now closed (:func:`booking.closure_conflicts.closure_conflicts`), soonest first.
- ``GET  /staff/<clinic_id>/waitlist[?all=1]``: the waitlist in join order
  (:func:`booking.waitlist_staff.waitlist_rows`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select

from app.context import AppContext
from app.flows.no_show import no_show_by_clinic
from app.flows.staff import resume_ai, staff_send
from app.untrusted import UntrustedJSON, load_json
from booking.closure_conflicts import closure_conflicts
from booking.no_show import NoShowRefused
from booking.reminders import describe_unconfirmed, unconfirmed
from booking.waitlist_staff import waitlist_rows
from knowledge.apikeys import verify_key
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, Message, StaffAlert

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _ctx() -> AppContext:
    return current_app.extensions["frontdesk"]  # type: ignore[no-any-return]


def _authorized(ctx: AppContext, clinic_id: str) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    with ctx.db.session() as session:
        return verify_key(session, clinic_id, header.removeprefix("Bearer ").strip())


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _conversation(ctx: AppContext, clinic_id: str, conversation_id: int) -> Conversation | None:
    with ctx.db.session() as session:
        row = session.get(Conversation, conversation_id)
        return row if row is not None and row.clinic_id == clinic_id else None


@bp.get("/<clinic_id>/conversations")
def list_conversations(clinic_id: str) -> Any:
    """Conversations of the clinic, newest activity first (at most 200)."""
    ctx = _ctx()
    if not _authorized(ctx, clinic_id):
        return _error(401, "a valid API key for this clinic is required")
    with ctx.db.session() as session:
        alerts = dict(
            session.execute(
                select(StaffAlert.conversation_id, func.count())
                .where(StaffAlert.clinic_id == clinic_id, StaffAlert.kind == "alert")
                .group_by(StaffAlert.conversation_id)
            ).all()
        )
        rows = (
            session.execute(
                select(Conversation)
                .where(Conversation.clinic_id == clinic_id)
                .order_by(Conversation.last_inbound_at.desc().nulls_last(), Conversation.id.desc())
                .limit(200)
            )
            .scalars()
            .all()
        )
        return jsonify(
            {
                "conversations": [
                    {
                        "id": c.id,
                        "patient_phone": c.patient_phone,
                        "ai_paused": c.ai_paused,
                        "alerts": alerts.get(c.id, 0),
                        "last_inbound_at": c.last_inbound_at.isoformat()
                        if c.last_inbound_at
                        else None,
                    }
                    for c in rows
                ]
            }
        )


@bp.get("/<clinic_id>/conversations/<int:conversation_id>")
def show_conversation(clinic_id: str, conversation_id: int) -> Any:
    """One conversation's messages, oldest first."""
    ctx = _ctx()
    if not _authorized(ctx, clinic_id):
        return _error(401, "a valid API key for this clinic is required")
    conversation = _conversation(ctx, clinic_id, conversation_id)
    if conversation is None:
        return _error(404, "no such conversation")
    with ctx.db.session() as session:
        messages = (
            session.execute(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            )
            .scalars()
            .all()
        )
        return jsonify(
            {
                "id": conversation.id,
                "patient_phone": conversation.patient_phone,
                "ai_paused": conversation.ai_paused,
                "messages": [
                    {
                        "id": m.id,
                        "direction": m.direction,
                        "kind": m.kind,
                        "body": m.body,
                        "status": m.status,
                        "at": m.created_at.isoformat(),
                    }
                    for m in messages
                ],
            }
        )


@bp.post("/<clinic_id>/conversations/<int:conversation_id>/reply")
def reply(clinic_id: str, conversation_id: int) -> Any:
    """Staff text the patient; the AI stays silent on this conversation until resumed."""
    ctx = _ctx()
    if not _authorized(ctx, clinic_id):
        return _error(401, "a valid API key for this clinic is required")
    if _conversation(ctx, clinic_id, conversation_id) is None:
        return _error(404, "no such conversation")
    try:  # cleaned of NUL and lone surrogates; deeply nested JSON is refused
        body = load_json(request.get_data(cache=False)) if request.is_json else None
    except UntrustedJSON:
        body = None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return _error(400, 'send JSON {"text": "..."} with a non-empty text')
    message_id = staff_send(ctx, conversation_id, text.strip())
    return jsonify({"message_id": message_id, "ai_paused": True}), 201


@bp.post("/<clinic_id>/conversations/<int:conversation_id>/resume")
def resume(clinic_id: str, conversation_id: int) -> Any:
    """Hand the conversation back to the AI."""
    ctx = _ctx()
    if not _authorized(ctx, clinic_id):
        return _error(401, "a valid API key for this clinic is required")
    if _conversation(ctx, clinic_id, conversation_id) is None:
        return _error(404, "no such conversation")
    resume_ai(ctx, conversation_id)
    return jsonify({"ai_paused": False})


@bp.post("/<clinic_id>/appointments/<int:appointment_id>/no-show")
def no_show(clinic_id: str, appointment_id: int) -> Any:
    """Mark a booked appointment whose time has passed a no-show; the patient gets one
    rebook offer. 404: no such appointment at this clinic; 409: not booked or not started."""
    ctx = _ctx()
    if not _authorized(ctx, clinic_id):
        return _error(401, "a valid API key for this clinic is required")
    try:
        marked = no_show_by_clinic(ctx, clinic_id, appointment_id)
    except NoShowRefused as exc:
        return _error(409, str(exc))
    except LookupError:
        return _error(404, "no such appointment")
    return jsonify(
        {
            "appointment_id": marked.appointment_id,
            "status": "no_show",
            "deposit_kept_cents": marked.deposit_kept_cents,
        }
    )


@bp.get("/<clinic_id>/unconfirmed")
def list_unconfirmed(clinic_id: str) -> Any:
    """Upcoming booked visits the patient has not confirmed (``?hours=``, default 48)."""
    ctx = _ctx()
    if not _authorized(ctx, clinic_id):
        return _error(401, "a valid API key for this clinic is required")
    raw = request.args.get("hours", "48")
    if not raw.isdigit() or not 1 <= int(raw) <= 720:
        return _error(400, "hours must be a whole number from 1 to 720")
    with ctx.db.session() as session:
        rows = unconfirmed(session, clinic_id, ctx.clock.now(), int(raw))
        return jsonify({"appointments": [describe_unconfirmed(a) for a in rows]})


def _clinic_for_key(clinic_id: str) -> tuple[AppContext, ClinicFile | None, Any]:
    """The context and ``clinic_id``'s file when the request's API key is for it; else no
    file and the error response to return (401 without a valid key, 404 for no clinic)."""
    ctx = _ctx()
    if not _authorized(ctx, clinic_id):
        return ctx, None, _error(401, "a valid API key for this clinic is required")
    clinic = ctx.clinic(clinic_id)
    if clinic is None:
        return ctx, None, _error(404, "no such clinic")
    return ctx, clinic, None


@bp.get("/<clinic_id>/waitlist")
def waitlist(clinic_id: str) -> Any:
    """The clinic's waitlist in join order (``?all=1``: booked and removed entries too)."""
    ctx, clinic, refused = _clinic_for_key(clinic_id)
    if clinic is None:
        return refused
    everyone = request.args.get("all", "") in ("1", "true", "yes")
    with ctx.db.session() as session:
        rows = waitlist_rows(session, clinic_id, clinic.clinic.zone, everyone=everyone)
    return jsonify({"waitlist": rows})


@bp.get("/<clinic_id>/closure-conflicts")
def closure_conflict_list(clinic_id: str) -> Any:
    """Upcoming visits a closure in the clinic file now falls over, for staff to move."""
    ctx, clinic, refused = _clinic_for_key(clinic_id)
    if clinic is None:
        return refused
    with ctx.db.session() as session:
        rows = closure_conflicts(
            session, ctx.clinic_terms(clinic), clinic.clinic.closure_reasons, ctx.clock.now()
        )
    return jsonify({"appointments": [r.to_dict() for r in rows]})
