"""agent turn limit

A turn can now end at the clinic's daily model-token budget: ``agent_turns.outcome`` accepts
``limit`` (its CHECK constraint ``ck_agent_turns_outcome`` is dropped and created again with
it), and ``agent_turns.created_at`` is indexed, since every turn sums the clinic's tokens of
the day. ``agent_turns`` has no children, so SQLite's batch rebuild (copy, drop, rename) loses
nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: ``agent_turns.outcome`` values before this revision (frozen: a later change needs its own).
BEFORE = ("ok", "guardrail", "ungrounded", "time_budget", "step_cap", "model_error", "empty", "error")
AFTER = (*BEFORE, "limit")
INDEX = "ix_agent_turns_created_at"


def _outcomes(values: tuple[str, ...]) -> None:
    """Make ``ck_agent_turns_outcome`` allow exactly ``values``."""
    condition = "outcome IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    with op.batch_alter_table("agent_turns") as batch:
        batch.drop_constraint(op.f("ck_agent_turns_outcome"), type_="check")
        batch.create_check_constraint(op.f("ck_agent_turns_outcome"), condition)


def upgrade() -> None:
    _outcomes(AFTER)
    op.create_index(INDEX, "agent_turns", ["created_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="agent_turns")
    # The nearest earlier word: the turn was answered before any model ran.
    op.execute("UPDATE agent_turns SET outcome = 'guardrail' WHERE outcome = 'limit'")
    _outcomes(BEFORE)
