"""A request rate shared by every process of the deployment (Redis sliding window).

Nextech allows "20 requests per second per user per endpoint" and answers 429 beyond
(Nextech API docs, ``_rate-limiting.md``); every worker and web process calls it with the same
API user, so a per-process limiter lets N processes send N x 20. :class:`SharedRateLimiter`
keeps one window in Redis for all of them: a sorted set of request instants, trimmed to the
last second and counted atomically in one Lua script (https://redis.io/docs/latest/develop/
interact/programmability/eval-intro/). With Redis unreachable it falls back to the process's
own :class:`emr.nextech_http.RateLimiter`-style wait, never to no limit.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

__all__ = ["Limiter", "SharedRateLimiter", "shared_key"]

# KEYS[1] the window; ARGV: now (s, float), per_second, member. Returns 0 when the request fits
# (and records it), else the seconds to wait until the oldest request leaves the window.
_WINDOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 1.0)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 2000)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + 1.0 - tonumber(ARGV[1]))
"""


class Limiter(Protocol):
    """Anything that blocks until one more request may go (:meth:`acquire`)."""

    def acquire(self) -> None:
        """Block until one more request fits."""


def shared_key(namespace: str, user: str) -> str:
    """The Redis key of ``user``'s window (the user name hashed: no account name in Redis)."""
    digest = hashlib.sha256(user.encode()).hexdigest()[:16]
    return f"{namespace}:{digest}"


class SharedRateLimiter:
    """At most ``per_second`` acquisitions in any rolling second across every process that
    shares ``key`` on ``redis``.

    Args:
        redis: a redis-py client.
        key: the window's key (:func:`shared_key`).
        per_second: the limit (Nextech: 20).
        clock: wall-clock seconds (every process must agree, so not monotonic).
        sleep: how to wait (tests inject one).
        fallback: used while Redis is unreachable.
    """

    def __init__(
        self,
        redis: Any,
        key: str,
        per_second: int,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        fallback: Limiter | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be greater than 0")
        self.key = key
        self.per_second = per_second
        self._script = redis.register_script(_WINDOW)
        self._clock = clock
        self._sleep = sleep
        self._fallback = fallback

    def acquire(self) -> None:
        """Block until one more request fits in the shared window.

        Raises:
            redis.exceptions.RedisError: Redis failed and no ``fallback`` was given.
        """
        from redis.exceptions import RedisError

        while True:
            try:
                wait = float(
                    self._script(
                        keys=[self.key],
                        args=[f"{self._clock():.6f}", self.per_second, uuid.uuid4().hex],
                    )
                )
            except RedisError:
                if self._fallback is None:
                    raise
                log.warning("shared_rate_limit_unavailable")
                self._fallback.acquire()
                return
            if wait <= 0:
                return
            self._sleep(max(wait, 0.001))
