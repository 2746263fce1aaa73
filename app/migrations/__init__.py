"""Alembic migrations (``versions/``) and the registry of every package's tables."""
