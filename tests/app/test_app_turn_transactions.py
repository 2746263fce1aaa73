"""A turn costs few database transactions (issue 9): the turn flow reads everything it needs
in one and writes its outcome in another; only the tools the model calls add their own.

Counted from the engine's real ``begin`` events while the turn job runs, on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection

from app.flows import turn as turn_flow
from app.flows.sending import send_message
from tests.app.conftest import JANE, Desk
from tests.steps import HeldJobs


@contextmanager
def _counting(desk: Desk) -> Iterator[list[int]]:
    """Count transactions begun on the desk's engine while the block runs."""
    begun = [0]

    def on_begin(_conn: Connection) -> None:
        begun[0] += 1

    event.listen(desk.ctx.db.engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(desk.ctx.db.engine, "begin", on_begin)


def _turn_transactions(desk: Desk, body: str) -> tuple[int, list[str]]:
    """Store ``body``, then run its turn alone; the transactions it began and its replies."""
    live, held = desk.ctx.jobs, HeldJobs()
    desk.ctx.jobs = held  # type: ignore[assignment]
    try:
        assert desk.text(body).status_code == 200
        [(job, (conversation_id,))] = held.jobs
        assert job is turn_flow.take_turn
        held.jobs.clear()
        with _counting(desk) as begun:
            turn_flow.take_turn(desk.ctx, conversation_id)
    finally:
        desk.ctx.jobs = live
    for job, args in held.jobs:  # the replies' send jobs, enqueued after the turn committed
        assert job is send_message
        send_message(desk.ctx, *args)
    return begun[0], desk.ctx.recording.bodies(JANE)


def test_a_question_answered_from_the_records_is_two_transactions(desk: Desk) -> None:
    count, replies = _turn_transactions(desk, "hi how much is botox")
    assert replies and "$13" in replies[0]
    assert count == 2  # take the text and read the transcript; save transcript and reply


def test_a_question_that_searches_the_documents_is_three(desk: Desk) -> None:
    count, replies = _turn_transactions(desk, "do you validate parking")
    assert replies and "park" in replies[0].lower()
    assert count == 3  # the search tool reads the index in a transaction of its own
