"""Counting texts per patient number in fixed time windows (the per-number rate limits).

:class:`RateCounter` is the small interface :mod:`app.flows.limits` counts through: Redis
(:class:`RedisRateCounter`, shared by every worker) when ``REDIS_URL`` is set, else a counter
in this process (:class:`MemoryRateCounter`, the embedded default runs each turn in the process
that received its text). Windows are fixed and aligned to the epoch (10:00:00-10:00:59 is one
minute), taken from the caller's clock, so a frozen clock in tests needs no sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any, Protocol

import structlog
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)


class RateCounter(Protocol):
    """Adds to a named count within a fixed window and says how many the window now holds."""

    def hit(self, key: str, amount: int, *, window_seconds: int, now: dt.datetime) -> int:
        """Add ``amount`` to ``key``'s count in the ``window_seconds`` window that holds
        ``now`` (aware).

        Returns:
            The window's count after adding (0 when the count is unavailable: callers let
            the text through rather than stop the front desk).
        """
        ...


def _window(window_seconds: int, now: dt.datetime) -> int:
    """The index of the fixed window of ``window_seconds`` that holds ``now``."""
    return int(now.timestamp()) // window_seconds


class MemoryRateCounter:
    """Counts in this process's memory (the embedded default: inline jobs, one process).

    Each key keeps only its current window; stale windows are dropped once there are more
    than :attr:`PRUNE_ABOVE` keys, so memory stays bounded by the numbers texting now.
    """

    PRUNE_ABOVE = 10_000

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], tuple[int, int]] = {}
        self._guard = threading.Lock()

    def hit(self, key: str, amount: int, *, window_seconds: int, now: dt.datetime) -> int:
        """See :meth:`RateCounter.hit`."""
        index = _window(window_seconds, now)
        slot = (key, window_seconds)
        with self._guard:
            held, count = self._counts.get(slot, (index, 0))
            count = (count if held == index else 0) + amount
            self._counts[slot] = (index, count)
            if len(self._counts) > self.PRUNE_ABOVE:
                self._prune(now)
            return count

    def _prune(self, now: dt.datetime) -> None:
        """Drop every key whose window has passed (the caller holds the guard)."""
        self._counts = {
            slot: value for slot, value in self._counts.items() if value[0] == _window(slot[1], now)
        }


class RedisRateCounter:
    """Counts in Redis, shared by every web and worker process.

    One key per (key, window), ``INCRBY`` then ``EXPIRE`` in one ``MULTI`` transaction: the
    fixed-window rate limiter of the Redis ``INCR`` documentation
    (https://redis.io/docs/latest/commands/incr/, "Pattern: Rate limiter 1"). Keys live two
    windows, so Redis forgets a number that stopped texting.
    """

    def __init__(self, redis: Any, namespace: str = "frontdesk:rate") -> None:
        """
        Args:
            redis: a ``redis.Redis`` client.
            namespace: prefix of every key (tests give each run its own).
        """
        self.redis = redis
        self.namespace = namespace

    def hit(self, key: str, amount: int, *, window_seconds: int, now: dt.datetime) -> int:
        """See :meth:`RateCounter.hit`; 0 (and a warning) when Redis fails (fail open)."""
        name = f"{self.namespace}:{key}:{window_seconds}:{_window(window_seconds, now)}"
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.incrby(name, amount)
            pipe.expire(name, 2 * window_seconds)
            count, _ = pipe.execute()
        except RedisError as exc:
            log.warning("rate_counter_unavailable", error=type(exc).__name__)
            return 0
        return int(count)
