"""Fixed-window request limits for public forms (website leads, staff sign-in).

Counts go through ``ctx.rates`` (Redis when ``REDIS_URL`` is set, shared by every web
process; else this process), keyed by a digest so no IP address or email is stored in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from app.context import AppContext


def over_limit(
    ctx: AppContext, name: str, key: str, now: dt.datetime, limit: tuple[int, int]
) -> int | None:
    """Count one request for ``key`` under the counter ``name`` and say whether it is past
    ``limit``.

    Args:
        name: the counter, e.g. ``lead:ip`` or ``login:email`` (keeps counts apart).
        key: the IP address, clinic id or email; stored only as a digest.
        now: the request's instant (aware).
        limit: ``(requests, window seconds)``.

    Returns:
        None within the limit, else the seconds until the window ends (``Retry-After``).
    """
    allowed, window = limit
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    count = ctx.rates.hit(f"{name}:{digest}", 1, window_seconds=window, now=now)
    if count <= allowed:
        return None
    return window - int(now.timestamp()) % window
