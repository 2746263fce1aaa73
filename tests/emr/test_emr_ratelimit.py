"""Nextech's 20 requests per second are shared by every process through Redis: two workers
together never send more than 20 in a second (real Redis at REDIS_TEST_URL)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from emr.nextech_http import RateLimiter
from emr.ratelimit import SharedRateLimiter, shared_key

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


class FakeTime:
    """A wall clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def client() -> redis.Redis:
    conn = redis.Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")
    return conn


@pytest.mark.redis
def test_two_workers_share_one_window_of_twenty(client: redis.Redis) -> None:
    time = FakeTime()
    key = shared_key("test:nextech:rate", f"user-{uuid.uuid4()}")
    workers = [
        SharedRateLimiter(client, key, 20, clock=time.clock, sleep=time.sleep) for _ in range(2)
    ]
    for i in range(20):
        workers[i % 2].acquire()
    assert time.slept == []  # 20 requests fit in one second, whoever sends them
    workers[0].acquire()  # the 21st waits until the first leaves the window
    assert time.slept and abs(sum(time.slept) - 1.0) < 0.01


def test_per_process_limiters_alone_would_let_two_workers_send_forty() -> None:
    time = FakeTime()
    workers = [RateLimiter(20, clock=time.clock, sleep=time.sleep) for _ in range(2)]
    for i in range(40):
        workers[i % 2].acquire()
    assert time.slept == []  # why the shared window exists


def test_redis_down_falls_back_to_the_process_limit() -> None:
    time = FakeTime()
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    limiter = SharedRateLimiter(
        down,
        "test:nextech:rate:down",
        2,
        clock=time.clock,
        sleep=time.sleep,
        fallback=RateLimiter(2, clock=time.clock, sleep=time.sleep),
    )
    for _ in range(3):
        limiter.acquire()
    assert time.slept  # still limited, never unlimited
