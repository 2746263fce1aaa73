"""One :class:`AppContext` per process holds every live dependency.

:func:`app.wiring.build_context` builds it from :class:`~app.settings.Settings` (in
``create_app()``, the worker's start-up and the CLI); nothing is connected at import time.
Flows get it as their first argument; web routes through ``current_app.extensions["frontdesk"]``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session

from agent.models.base import ChatModel
from app.clock import Clock
from app.db import Database
from app.jobs import JobQueue
from app.settings import Settings
from booking.terms import ClinicTerms, ReminderPlan
from emr.base import EMRClient
from knowledge.clinic_file import ClinicFile
from knowledge.retrieval import Embedder
from messaging.base import SmsGateway
from messaging.email import Mailer, RecordingMailer
from messaging.rate_counter import MemoryRateCounter, RateCounter
from messaging.recording import RecordingGateway
from payments.base import DepositProvider

log = structlog.get_logger(__name__)

#: How long the conversation lock lives without renewal (seconds). A running turn renews it
#: every third of that, so however slow the turn, it keeps the lock; a killed worker's lock
#: lapses within this long and the sweeper's retry can answer its texts.
CONVERSATION_LOCK_SECONDS = 30
#: How long a process trusts its cached number -> clinic routing (seconds).
ROUTING_TTL_SECONDS = 30.0


@dataclass
class AppContext:
    """Live dependencies of one process.

    Attributes:
        settings: the validated settings.
        db: database engine and sessions.
        clock: the source of "now" (frozen in tests and scenarios).
        jobs: inline or RQ job queue.
        chat_model: the agent's backend (OpenAI-compatible or offline).
        deposits: the deposit provider (Square or the local test checkout).
        recording: the gateway that records texts instead of sending them.
        mailer: sends staff emails (SMTP when ``SMTP_URL`` is set, else recorded in memory).
        embedder: embeddings for retrieval (OpenAI-compatible), or None for lexical only.
        redis: the Redis client when ``REDIS_URL`` is set (locks, caches), else None.
        rates: counts each patient number's texts for the clinic's rate limits (Redis when
            ``REDIS_URL`` is set, else in this process; :mod:`app.flows.limits`).
    """

    settings: Settings
    db: Database
    clock: Clock
    jobs: JobQueue
    chat_model: ChatModel
    deposits: DepositProvider
    recording: RecordingGateway = field(default_factory=RecordingGateway)
    mailer: Mailer = field(default_factory=RecordingMailer)
    embedder: Embedder | None = None
    redis: Any = None
    rates: RateCounter = field(default_factory=MemoryRateCounter)
    _gateways: dict[str, SmsGateway] = field(default_factory=dict)
    _emrs: dict[str, EMRClient] = field(default_factory=dict)
    _locks: dict[int, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)
    _routes: dict[str, tuple[float, str | None]] = field(default_factory=dict)
    _clinics: dict[str, tuple[float, ClinicFile | None]] = field(default_factory=dict)

    # --- SMS ---------------------------------------------------------------------------
    def default_carrier(self) -> str:
        """The carrier for texts that answer no inbound message (staff, reminders)."""
        s = self.settings
        if s.sms_carrier != "auto":
            return s.sms_carrier
        if s.telnyx_api_key:
            return "telnyx"
        if s.twilio_account_sid and s.twilio_auth_token:
            return "twilio"
        return "recording"

    def gateway_for(self, carrier: str) -> SmsGateway:
        """The gateway that sends for ``carrier``; the recording one when that carrier's
        credentials are unset or ``SMS_CARRIER=recording``."""
        s = self.settings
        if s.sms_carrier == "recording":
            return self.recording
        if carrier in self._gateways:
            return self._gateways[carrier]
        gateway: SmsGateway = self.recording
        if carrier == "telnyx" and s.telnyx_api_key:
            from messaging.telnyx import TelnyxGateway

            gateway = TelnyxGateway(s.telnyx_api_key, s.telnyx_messaging_profile_id)
        elif carrier == "twilio" and s.twilio_account_sid and s.twilio_auth_token:
            from messaging.twilio import TwilioGateway

            gateway = TwilioGateway(
                s.twilio_account_sid,
                s.twilio_auth_token,
                status_callback_url=f"{s.public_base_url}/webhooks/twilio/status",
            )
        self._gateways[carrier] = gateway
        return gateway

    # --- clinics -------------------------------------------------------------------------
    def clinic(self, clinic_id: str) -> ClinicFile | None:
        """The clinic's records as last seeded, or None."""
        from knowledge.store import load_clinic

        return load_clinic(self.db, clinic_id)

    def clinic_cached(self, clinic_id: str) -> ClinicFile | None:
        """:meth:`clinic`, cached per process for :data:`ROUTING_TTL_SECONDS` (jobs that run
        thousands of times a minute, such as reminders, read the clinic file once)."""
        now = time.monotonic()
        hit = self._clinics.get(clinic_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        clinic = self.clinic(clinic_id)
        self._clinics[clinic_id] = (now + ROUTING_TTL_SECONDS, clinic)
        return clinic

    def clinic_for_number(self, session: Session, phone: str) -> str | None:
        """The clinic that owns ``phone`` (E.164), or None.

        Cached per process for :data:`ROUTING_TTL_SECONDS`: every webhook routes, and numbers
        change only when a clinic re-seeds.
        """
        from knowledge.store import clinic_for_number

        now = time.monotonic()
        hit = self._routes.get(phone)
        if hit is not None and hit[0] > now:
            return hit[1]
        clinic_id = clinic_for_number(session, phone)
        self._routes[phone] = (now + ROUTING_TTL_SECONDS, clinic_id)
        return clinic_id

    def clinic_terms(self, clinic: ClinicFile) -> ClinicTerms:
        """The booking package's view of ``clinic``."""
        info = clinic.clinic
        return ClinicTerms(
            clinic_id=info.id,
            name=info.name,
            timezone=info.timezone,
            phone=info.phone_numbers[0],
            hold_minutes=info.booking.hold_minutes,
            cancellation_notice_hours=info.booking.cancellation_notice_hours,
            currency=info.booking.currency,
            staff_alert_phone=info.staff_alert_phone,
            sms_carrier=self.default_carrier(),
            closures={c.date: tuple(_minutes(i) for i in c.hours or ()) for c in info.closures},
            time_off={p.id: tuple((t.start, t.end) for t in p.time_off) for p in clinic.providers},
            reminders=reminder_plan(clinic),
        )

    def emr_for(self, clinic: ClinicFile) -> EMRClient:
        """The clinic's EMR adapter: ``local`` or ``nextech`` (availability cached in Redis
        when ``REDIS_URL`` is set). Adapters are built once per clinic configuration."""
        info = clinic.clinic
        dump = clinic.model_dump_json(include={"clinic", "providers", "services"})
        key = f"{info.id}:{hash(dump)}"
        if key in self._emrs:
            return self._emrs[key]
        emr: EMRClient
        if info.emr.kind == "nextech":
            from emr.nextech import nextech_from_env, shared_limiter

            section = info.emr.model_dump()
            section.setdefault("prospect_email", info.staff_alert_email)
            nextech = nextech_from_env(
                section,
                {p.id: p.emr_id for p in clinic.providers},
                {s.id: s.emr for s in clinic.services},
            )
            if self.redis is not None:  # Nextech's 20 req/s shared by every process
                nextech.transport.limiter = shared_limiter(self.redis, nextech.config)
            emr = nextech
            if self.redis is not None:
                from emr.cache import CachedEMR

                emr = CachedEMR(
                    emr, self.redis, ttl_seconds=60, namespace=f"frontdesk:emr:{info.id}"
                )
        else:
            from emr.local import LocalCalendar, LocalEMR

            calendar = LocalCalendar(
                clinic_id=info.id,
                timezone=info.timezone,
                provider_hours={p.id: p.hours for p in clinic.providers},
                slot_interval_minutes=info.booking.slot_interval_minutes,
                max_days_ahead=info.booking.max_days_ahead,
                min_notice_minutes=info.booking.min_notice_minutes,
                clinic_hours=info.hours or None,
                closures={c.date: list(c.hours or ()) for c in info.closures},
                provider_time_off={
                    p.id: [(t.start, t.end) for t in p.time_off] for p in clinic.providers
                },
            )
            emr = LocalEMR(self.db, calendar, self.clock)
        self._emrs[key] = emr
        return emr

    # --- concurrency ------------------------------------------------------------------------
    @contextmanager
    def conversation_lock(self, conversation_id: int) -> Iterator[None]:
        """Hold the lock that lets one worker at a time run a conversation's turn.

        With Redis: a Redis lock shared by every worker process, renewed while the turn runs
        (:func:`_renewed`), so a slow turn keeps it and a killed worker's lock lapses within
        :data:`CONVERSATION_LOCK_SECONDS`. Without: a lock in this process (the embedded
        default runs jobs inline in one process).

        Raises:
            redis.exceptions.LockError: another worker held the conversation for a whole
                minute (the job fails and RQ runs it again).
        """
        if self.redis is not None:
            lock = self.redis.lock(
                f"frontdesk:conversation:{conversation_id}",
                timeout=CONVERSATION_LOCK_SECONDS,
                blocking_timeout=60,
                thread_local=False,  # the renewal thread must see the owner's token
            )
            with lock, _renewed(lock):
                yield
            return
        with self._locks_guard:
            lock = self._locks.setdefault(conversation_id, threading.Lock())
        with lock:
            yield


@contextmanager
def _renewed(lock: Any) -> Iterator[None]:
    """Keep renewing a held redis-py ``Lock`` (``reacquire``: its TTL back to the full
    timeout) every third of its timeout until the block ends
    (https://redis-py.readthedocs.io/en/stable/lock.html)."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(CONVERSATION_LOCK_SECONDS / 3):
            try:
                lock.reacquire()
            except Exception:  # noqa: BLE001 - lost or Redis down: the turn's save is all or nothing
                log.warning("conversation_lock_renewal_failed")
                return

    renewer = threading.Thread(target=renew, name="conversation-lock-renewal", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


def _minutes(interval: tuple[str, str]) -> tuple[int, int]:
    """A clinic-file ``("HH:MM", "HH:MM")`` interval as minutes from local midnight."""
    a, b = (int(t[:2]) * 60 + int(t[3:5]) for t in interval)
    return a, b


def reminder_plan(clinic: ClinicFile) -> ReminderPlan:
    """The booking package's view of the clinic file's ``clinic.reminders`` section."""
    r = clinic.clinic.reminders
    return ReminderPlan(
        confirm=r.confirm,
        hours_before=tuple(r.hours_before),
        aftercare_hours=r.aftercare_hours,
        aftercare_service_ids=frozenset(s.id for s in clinic.services if s.aftercare.strip()),
        review=r.review_url is not None,
        review_hour=r.review_hour,
        review_every_days=r.review_every_days,
    )
