"""``CachedEMR``: a short-lived Redis cache of availability in front of any ``EMRClient``.

Why: a patient's "thursday after 4?" and the follow-up "and friday?" search the same window
seconds apart, and Nextech asks API users to cache and to stay under 20 requests per second
(selectapidocspub ``_gettingstarted.md``, "Best practices to avoid Rate Limiting").

How: ``find_slots`` answers are stored under
``{namespace}:slots:{generation}:{sha256(service, duration, providers, start, end)}`` for
``ttl_seconds``. ``{namespace}:gen`` is the clinic's generation counter: every booking change
made through this wrapper (``book``, ``confirm``, ``cancel``, ``reschedule``; on success or
failure, since a refusal also means availability moved) increments it, so all of the clinic's
cached searches are dropped in one O(1) ``INCR``; the orphaned keys expire on their own.

Redis failures never break booking: reads fall through to the EMR, writes are skipped (logged).
Give the client short socket timeouts (and few retries): redis-py's default retries with
backoff would add seconds to every search while Redis is down.
A cached slot can at worst be stale for ``ttl_seconds`` when the change happened outside this
wrapper (staff booking in the EMR); booking such a slot fails with ``SlotUnavailable`` at the
EMR, which also clears the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from redis import Redis
from redis.exceptions import RedisError

from emr.base import EMRAppointment, EMRClient, EMRError, EMRPatient, Slot, SlotQuery

log = logging.getLogger(__name__)

T = TypeVar("T")


class CachedEMR:
    """Wrap ``inner`` (any :class:`EMRClient`) with a per-clinic Redis availability cache.

    Args:
        inner: the real adapter.
        redis: a connected ``redis.Redis`` (``decode_responses`` either way).
        ttl_seconds: how long a search answer is reused.
        namespace: key prefix naming one clinic, e.g. ``"frontdesk:emr:bloom-denver"``.
    """

    def __init__(
        self,
        inner: EMRClient,
        redis: Redis,
        ttl_seconds: int = 60,
        namespace: str = "frontdesk:emr",
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be greater than 0")
        self.inner = inner
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self.namespace = namespace.rstrip(":")

    @property
    def generation_key(self) -> str:
        """The clinic's generation counter key."""
        return f"{self.namespace}:gen"

    # --- cached read ------------------------------------------------------------------------
    def find_slots(self, query: SlotQuery) -> list[Slot]:
        """``inner.find_slots``, reused for ``ttl_seconds`` until a booking change."""
        key = None
        try:
            generation = int(self.redis.get(self.generation_key) or 0)
            key = self._slots_key(generation, query)
            cached = self.redis.get(key)
            if cached is not None:
                return _load_slots(cached)
        except (RedisError, ValueError, KeyError, TypeError) as exc:
            log.warning("emr cache: read failed (%s); asking the EMR", exc)
        slots = self.inner.find_slots(query)
        if key is not None:
            try:
                self.redis.set(key, _dump_slots(slots), ex=self.ttl_seconds)
            except RedisError as exc:
                log.warning("emr cache: write failed (%s)", exc)
        return slots

    def invalidate(self) -> None:
        """Drop every cached search of this clinic (one ``INCR``)."""
        try:
            self.redis.incr(self.generation_key)
        except RedisError as exc:
            log.warning(
                "emr cache: invalidation failed (%s); entries expire in %ss", exc, self.ttl_seconds
            )

    # --- pass-through ---------------------------------------------------------------------
    def find_patients(self, phone: str) -> list[EMRPatient]:
        """Not cached (patient details change outside this process)."""
        return self.inner.find_patients(phone)

    def create_patient(
        self,
        phone: str,
        given_name: str | None = None,
        family_name: str | None = None,
        email: str | None = None,
    ) -> EMRPatient:
        """Not cached."""
        return self.inner.create_patient(phone, given_name, family_name, email)

    def get_appointment(self, appointment_id: str) -> EMRAppointment:
        """Not cached."""
        return self.inner.get_appointment(appointment_id)

    # --- writes: invalidate ------------------------------------------------------------------
    def book(self, slot: Slot, patient_id: str) -> EMRAppointment:
        """``inner.book``; then the clinic's cached availability is dropped."""
        return self._write(lambda: self.inner.book(slot, patient_id))

    def confirm(self, appointment_id: str) -> EMRAppointment:
        """``inner.confirm``; then the clinic's cached availability is dropped."""
        return self._write(lambda: self.inner.confirm(appointment_id))

    def cancel(self, appointment_id: str) -> EMRAppointment:
        """``inner.cancel``; then the clinic's cached availability is dropped."""
        return self._write(lambda: self.inner.cancel(appointment_id))

    def no_show(self, appointment_id: str) -> EMRAppointment:
        """``inner.no_show``; then the clinic's cached availability is dropped."""
        return self._write(lambda: self.inner.no_show(appointment_id))

    def reschedule(self, appointment_id: str, new_slot: Slot) -> EMRAppointment:
        """``inner.reschedule`` (adapters that have one); then availability is dropped.

        Raises:
            EMRError: the inner adapter cannot reschedule, or failed.
        """
        reschedule: Callable[[str, Slot], EMRAppointment] | None = getattr(
            self.inner, "reschedule", None
        )
        if reschedule is None:
            raise EMRError(f"{type(self.inner).__name__} cannot reschedule")
        return self._write(lambda: reschedule(appointment_id, new_slot))

    def _write(self, call: Callable[[], T]) -> T:
        try:
            return call()
        finally:
            self.invalidate()

    def _slots_key(self, generation: int, query: SlotQuery) -> str:
        parts = [
            query.service_id,
            query.duration_minutes,
            sorted(query.provider_ids),
            query.start.astimezone(dt.UTC).isoformat(),
            query.end.astimezone(dt.UTC).isoformat(),
        ]
        digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
        return f"{self.namespace}:slots:{generation}:{digest}"


def _dump_slots(slots: list[Slot]) -> str:
    return json.dumps(
        [
            [s.service_id, s.provider_id, s.start.isoformat(), s.end.isoformat(), s.token]
            for s in slots
        ]
    )


def _load_slots(raw: Any) -> list[Slot]:
    if isinstance(raw, bytes):
        raw = raw.decode()
    return [
        Slot(
            service,
            provider,
            dt.datetime.fromisoformat(start),
            dt.datetime.fromisoformat(end),
            token,
        )
        for service, provider, start, end, token in json.loads(raw)
    ]
