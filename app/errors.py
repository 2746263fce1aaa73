"""Errors the command line prints without a traceback (a leaf module: imports nothing of ours)."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; ``frontdesk`` prints it to stderr and exits 2."""
