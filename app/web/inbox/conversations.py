"""The inbox and one conversation: read it, take over, reply as staff, hand back to the AI.

- ``GET /app``: the inbox page; its list (``GET /app/inbox/list``) is polled by htmx every
  few seconds, so a new text shows without a reload.
- ``GET /app/conversations/<id>``: the messages (polled likewise through ``.../messages``),
  with the patient's full number for calling back.
- ``POST .../take-over``, ``.../reply`` (field ``text``), ``.../resume``: the staff flow of
  :mod:`app.flows.staff`; replying also takes over.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.flows.staff import resume_ai, staff_send, take_over
from app.untrusted import clean_text
from app.web.inbox.base import account, bp, ctx, login_required
from app.web.inbox.inbox_data import inbox_rows
from messaging.models import AlertKind, Conversation, Message, StaffAlert

#: Polling period of the live lists (seconds).
POLL_SECONDS = 3
#: The longest staff reply accepted (characters; about ten SMS segments).
MAX_REPLY_CHARS = 1600


@bp.get("")
@login_required
def inbox() -> Any:
    """The inbox page."""
    return render_template("inbox.html", poll=POLL_SECONDS, **_lists())


@bp.get("/inbox/list")
@login_required
def inbox_list() -> Any:
    """The inbox's lists alone (htmx polls this)."""
    return render_template("_inbox_list.html", **_lists())


def _lists() -> dict[str, Any]:
    with ctx().db.sessions() as session:
        needing, recent = inbox_rows(session, account().clinic_id)
    return {"needing": needing, "recent": recent}


def owned_conversation(conversation_id: int) -> Conversation:
    """The signed-in clinic's conversation, else 404 (another clinic's too)."""
    with ctx().db.sessions() as session:
        row = session.get(Conversation, conversation_id)
        if row is None or row.clinic_id != account().clinic_id:
            abort(404)
        session.expunge(row)
        return row


@bp.get("/conversations/<int:conversation_id>")
@login_required
def conversation(conversation_id: int) -> Any:
    """One conversation with its actions."""
    conv = owned_conversation(conversation_id)
    return render_template("conversation.html", conv=conv, poll=POLL_SECONDS, **_thread(conv.id))


@bp.get("/conversations/<int:conversation_id>/messages")
@login_required
def conversation_messages(conversation_id: int) -> Any:
    """The conversation's messages alone (htmx polls this)."""
    conv = owned_conversation(conversation_id)
    return render_template("_messages.html", conv=conv, **_thread(conv.id))


def _thread(conversation_id: int) -> dict[str, Any]:
    with ctx().db.sessions() as session:
        messages = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        ).all()
        alerts = session.scalars(
            select(StaffAlert)
            .where(StaffAlert.conversation_id == conversation_id)
            .order_by(StaffAlert.id)
        ).all()
        session.expunge_all()
    return {
        "messages": messages,
        "alerts": [a for a in alerts if a.kind == AlertKind.ALERT],
    }


@bp.post("/conversations/<int:conversation_id>/take-over")
@login_required
def conversation_take_over(conversation_id: int) -> Any:
    """Pause the AI: staff answer this patient from now on."""
    take_over(ctx(), owned_conversation(conversation_id).id)
    flash("You have taken over; the AI stays silent until you hand it back.")
    return redirect(url_for("inbox.conversation", conversation_id=conversation_id)), 303


@bp.post("/conversations/<int:conversation_id>/reply")
@login_required
def conversation_reply(conversation_id: int) -> Any:
    """Text the patient as staff (takes over)."""
    conv = owned_conversation(conversation_id)
    text = clean_text(request.form.get("text", "")).strip()
    if not text or len(text) > MAX_REPLY_CHARS:
        flash(f"Write a reply of 1 to {MAX_REPLY_CHARS} characters.")
        return redirect(url_for("inbox.conversation", conversation_id=conv.id)), 303
    staff_send(ctx(), conv.id, text)
    return redirect(url_for("inbox.conversation", conversation_id=conv.id)), 303


@bp.post("/conversations/<int:conversation_id>/resume")
@login_required
def conversation_resume(conversation_id: int) -> Any:
    """Hand the conversation back to the AI."""
    resume_ai(ctx(), owned_conversation(conversation_id).id)
    flash("The AI answers this patient again.")
    return redirect(url_for("inbox.conversation", conversation_id=conversation_id)), 303
