"""The model registry: every package's ``models`` module, so ``Base.metadata`` knows all tables.

Alembic's ``env.py``, the embedded default's start-up and the tests import it; the packages'
``models`` modules import only :mod:`app.db`, so nothing imports in a circle.
"""

from __future__ import annotations

from app.db import Database


def import_all_models() -> None:
    """Import every package's ``models`` module (idempotent; Python caches modules)."""
    import agent.store  # noqa: F401
    import app.accounts  # noqa: F401
    import booking.funnel  # noqa: F401
    import booking.models  # noqa: F401
    import booking.reminder_models  # noqa: F401
    import booking.waitlist_models  # noqa: F401
    import emr.models  # noqa: F401
    import knowledge.models  # noqa: F401
    import messaging.models  # noqa: F401
    import payments.models  # noqa: F401


def create_all(db: Database) -> None:
    """Create every table of every package on ``db`` (tests and the embedded default)."""
    import_all_models()
    db.create_all()
