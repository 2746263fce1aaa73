"""``CachedEMR`` on the real Redis at ``REDIS_TEST_URL`` wrapping the ``local`` EMR."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from emr.base import Slot, SlotQuery, SlotUnavailable
from emr.cache import CachedEMR
from emr.local import LocalEMR

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
TZ = ZoneInfo("America/Chicago")
PHONE = "+15125550123"


class Counting:
    """Delegates to an EMR and counts ``find_slots`` calls."""

    def __init__(self, inner: LocalEMR) -> None:
        self.inner = inner
        self.searches = 0

    def find_slots(self, query: SlotQuery) -> list[Slot]:
        self.searches += 1
        return self.inner.find_slots(query)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def redis_client() -> Iterator[Redis]:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    yield client
    client.close()


@pytest.fixture
def namespace(redis_client: Redis) -> Iterator[str]:
    ns = f"frontdesk-test:emr:{uuid.uuid4().hex}"
    yield ns
    keys = list(redis_client.scan_iter(f"{ns}:*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def counting(emr: LocalEMR) -> Counting:
    return Counting(emr)


@pytest.fixture
def cached(counting: Counting, redis_client: Redis, namespace: str) -> CachedEMR:
    return CachedEMR(counting, redis_client, ttl_seconds=60, namespace=namespace)  # type: ignore[arg-type]


def tuesday(provider: str = "dr-lee", minutes: int = 30) -> SlotQuery:
    start = dt.datetime(2026, 3, 3, tzinfo=TZ)
    return SlotQuery("botox", minutes, (provider,), start, start + dt.timedelta(days=1))


def test_second_search_is_served_from_redis(cached: CachedEMR, counting: Counting) -> None:
    first = cached.find_slots(tuesday())
    second = cached.find_slots(tuesday())
    assert first and second == first
    assert counting.searches == 1
    assert all(s.start.tzinfo is not None for s in second)


def test_cache_keys_separate_queries_and_expire(
    cached: CachedEMR, counting: Counting, redis_client: Redis, namespace: str
) -> None:
    cached.find_slots(tuesday())
    cached.find_slots(tuesday(minutes=60))
    cached.find_slots(tuesday(provider="nurse-kim"))
    assert counting.searches == 3
    keys = list(redis_client.scan_iter(f"{namespace}:slots:*"))
    assert len(keys) == 3
    assert all(0 < redis_client.ttl(k) <= 60 for k in keys)


def test_booking_invalidates_and_the_booked_slot_disappears(
    cached: CachedEMR, counting: Counting
) -> None:
    slots = cached.find_slots(tuesday())
    patient = cached.create_patient(PHONE, "Jane")
    appt = cached.book(slots[0], patient.id)
    after = cached.find_slots(tuesday())
    assert counting.searches == 2
    assert slots[0].start not in {s.start for s in after}
    cached.find_slots(tuesday())
    assert counting.searches == 2  # cached again until the next change
    cached.confirm(appt.id)
    cached.find_slots(tuesday())
    assert counting.searches == 3
    cached.cancel(appt.id)
    assert slots[0].start in {s.start for s in cached.find_slots(tuesday())}
    assert counting.searches == 4


def test_a_refused_booking_also_invalidates(cached: CachedEMR, counting: Counting) -> None:
    slots = cached.find_slots(tuesday())
    patient = cached.create_patient(PHONE)
    cached.book(slots[0], patient.id)
    cached.find_slots(tuesday())
    with pytest.raises(SlotUnavailable):
        cached.book(slots[0], patient.id)
    cached.find_slots(tuesday())
    assert counting.searches == 3


def test_invalidation_is_per_clinic(
    counting: Counting, redis_client: Redis, namespace: str
) -> None:
    clinic_a = CachedEMR(counting, redis_client, namespace=namespace + ":a")  # type: ignore[arg-type]
    clinic_b = CachedEMR(counting, redis_client, namespace=namespace + ":b")  # type: ignore[arg-type]
    clinic_a.find_slots(tuesday())
    clinic_b.find_slots(tuesday())
    clinic_b.invalidate()
    clinic_a.find_slots(tuesday())
    assert counting.searches == 2
    assert int(redis_client.get(clinic_b.generation_key) or 0) == 1


def test_reschedule_goes_through_and_drops_cached_availability(cached: CachedEMR) -> None:
    slots = cached.find_slots(tuesday())
    patient = cached.create_patient("+15125550123")
    old = cached.book(slots[0], patient.id)
    moved = cached.reschedule(old.id, slots[3])
    fresh = cached.find_slots(tuesday())  # not the stale cached list
    assert slots[0].start in [s.start for s in fresh]
    assert slots[3].start not in [s.start for s in fresh]
    assert moved.start == slots[3].start


def test_unreachable_redis_falls_through_to_the_emr(counting: Counting) -> None:
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    cached = CachedEMR(counting, dead, namespace="frontdesk-test:dead")  # type: ignore[arg-type]
    assert cached.find_slots(tuesday()) == counting.inner.find_slots(tuesday())
    cached.invalidate()  # logged, not raised
    assert counting.searches == 1
