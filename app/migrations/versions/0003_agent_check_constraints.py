"""agent check constraints

The agent's transcript columns accept only their enum's values: ``agent_steps.role`` (user,
assistant, tool, system) and ``agent_turns.outcome`` (how a turn ended, including
``guardrail`` for a turn that safety triage answered before any model ran), as CHECK
constraints named ``ck_<table>_<column>``. Neither table has children, so SQLite's batch
rebuild (copy, drop, rename) loses nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 13:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: (table, column, allowed values) at this revision (frozen: a later change needs its own).
CHECKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("agent_steps", "role", ("user", "assistant", "tool", "system")),
    (
        "agent_turns",
        "outcome",
        (
            "ok",
            "guardrail",
            "ungrounded",
            "time_budget",
            "step_cap",
            "model_error",
            "empty",
            "error",
        ),
    ),
)


def upgrade() -> None:
    for table, column, values in CHECKS:
        condition = f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(op.f(f"ck_{table}_{column}"), condition)


def downgrade() -> None:
    for table, column, _ in CHECKS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
