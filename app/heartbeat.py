"""The worker's heartbeat in Redis: ``/readyz`` and the worker container's healthcheck read it.

Every :data:`BEAT_SECONDS` a thread of each worker writes the time (epoch seconds) to
:data:`LATEST_KEY` (any worker alive) and to its host's key (this container's worker alive);
both expire after :data:`KEY_TTL_SECONDS`, so a dead worker leaves no fresh value behind.

``python -m app.heartbeat`` (the worker container's ``HEALTHCHECK``) exits 0 when this host's
worker beat within ``HEARTBEAT_MAX_AGE_SECONDS`` (default 30), else 1 with the reason on stderr.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger(__name__)

#: Seconds between beats (the readiness limit is 30 s: three beats may be missed).
BEAT_SECONDS = 10.0
#: Keys expire after this many seconds without a beat.
KEY_TTL_SECONDS = 120
#: The newest beat of any worker.
LATEST_KEY = "frontdesk:heartbeat"


def host_key(host: str | None = None) -> str:
    """The key of one host's (container's) worker beat."""
    return f"{LATEST_KEY}:{host or socket.gethostname()}"


def beat(redis: Any, now: float) -> None:
    """Write one beat at ``now`` (epoch seconds) to the latest and the host key."""
    pipe = redis.pipeline()
    pipe.set(LATEST_KEY, repr(now), ex=KEY_TTL_SECONDS)
    pipe.set(host_key(), repr(now), ex=KEY_TTL_SECONDS)
    pipe.execute()


def age_seconds(redis: Any, now: float, key: str = LATEST_KEY) -> float | None:
    """Seconds since the beat stored at ``key``; None when there is none.

    Raises:
        redis.exceptions.RedisError: Redis is unreachable.
    """
    raw = redis.get(key)
    if raw is None:
        return None
    try:
        return max(0.0, now - float(raw))
    except ValueError:
        return None


def start_beating(redis: Any, now: Callable[[], float], stop: threading.Event) -> None:
    """Beat at once and then every :data:`BEAT_SECONDS` in a daemon thread until ``stop``."""

    def run() -> None:
        while True:
            try:
                beat(redis, now())
            except Exception as exc:  # noqa: BLE001 - Redis away for a moment: the next beat retries
                log.warning("heartbeat_failed", error=type(exc).__name__)
            if stop.wait(BEAT_SECONDS):
                return

    threading.Thread(target=run, name="heartbeat", daemon=True).start()


def main() -> int:
    """Exit 0 when this host's worker beat recently (a container healthcheck), else 1."""
    import time

    from redis import Redis
    from redis.exceptions import RedisError

    from app.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not settings.redis_url:
        print("REDIS_URL is not set: there is no worker", file=sys.stderr)
        return 1
    try:
        redis = Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3)
        age = age_seconds(redis, time.time(), host_key())
    except RedisError as exc:
        print(f"redis unreachable: {type(exc).__name__}", file=sys.stderr)
        return 1
    if age is None or age > settings.heartbeat_max_age_seconds:
        print(
            f"worker heartbeat {'missing' if age is None else f'{age:.0f}s old'}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
