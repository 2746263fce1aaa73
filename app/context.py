"""The composition root: one :class:`AppContext` per process holds every live dependency.

``create_app()`` and the worker's start-up build it from :class:`~app.settings.Settings`;
nothing is connected at import time. Packages reach it through the Flask app
(``current_app.extensions["frontdesk"]``) or as the first argument of a job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session

from agent.models.base import ChatModel
from app.clock import Clock, SystemClock
from app.db import Database
from app.jobs import InlineQueue, JobQueue, RQQueue
from app.settings import Settings
from booking.terms import ClinicTerms
from emr.base import EMRClient
from knowledge.clinic_file import ClinicFile
from knowledge.retrieval import Embedder
from messaging.base import SmsGateway
from messaging.email import PENDING_KEY as EMAIL_PENDING_KEY
from messaging.email import Mailer, RecordingMailer, SmtpMailer
from messaging.outbound import PENDING_KEY
from messaging.recording import RecordingGateway
from payments.base import DepositProvider

log = structlog.get_logger(__name__)

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
    _gateways: dict[str, SmsGateway] = field(default_factory=dict)
    _emrs: dict[str, EMRClient] = field(default_factory=dict)
    _locks: dict[int, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)
    _routes: dict[str, tuple[float, str | None]] = field(default_factory=dict)

    # --- SMS ---------------------------------------------------------------------------
    def default_sms_provider(self) -> str:
        """The carrier for texts that answer no inbound message (staff, reminders)."""
        s = self.settings
        if s.sms_provider != "auto":
            return s.sms_provider
        if s.telnyx_api_key:
            return "telnyx"
        if s.twilio_account_sid and s.twilio_auth_token:
            return "twilio"
        return "recording"

    def gateway_for(self, provider: str) -> SmsGateway:
        """The gateway that sends for ``provider``; the recording one when that carrier's
        credentials are unset or ``SMS_PROVIDER=recording``."""
        s = self.settings
        if s.sms_provider == "recording":
            return self.recording
        if provider in self._gateways:
            return self._gateways[provider]
        gateway: SmsGateway = self.recording
        if provider == "telnyx" and s.telnyx_api_key:
            from messaging.telnyx import TelnyxGateway

            gateway = TelnyxGateway(s.telnyx_api_key, s.telnyx_messaging_profile_id)
        elif provider == "twilio" and s.twilio_account_sid and s.twilio_auth_token:
            from messaging.twilio import TwilioGateway

            gateway = TwilioGateway(
                s.twilio_account_sid,
                s.twilio_auth_token,
                status_callback_url=f"{s.public_base_url}/webhooks/twilio/status",
            )
        self._gateways[provider] = gateway
        return gateway

    # --- clinics -------------------------------------------------------------------------
    def clinic(self, clinic_id: str) -> ClinicFile | None:
        """The clinic's records as last seeded, or None."""
        from knowledge.store import load_clinic

        return load_clinic(self.db, clinic_id)

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
            sms_provider=self.default_sms_provider(),
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
            from emr.nextech import nextech_from_env

            section = info.emr.model_dump()
            section.setdefault("prospect_email", info.staff_alert_email)
            emr = nextech_from_env(
                section,
                {p.id: p.emr_id for p in clinic.providers},
                {s.id: s.emr for s in clinic.services},
            )
            redis = getattr(self.jobs, "redis", None)
            if redis is not None:
                from emr.cache import CachedEMR

                emr = CachedEMR(emr, redis, ttl_seconds=60, namespace=f"frontdesk:emr:{info.id}")
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
            )
            emr = LocalEMR(self.db, calendar, self.clock)
        self._emrs[key] = emr
        return emr

    # --- concurrency ------------------------------------------------------------------------
    @contextmanager
    def conversation_lock(self, conversation_id: int) -> Iterator[None]:
        """Hold the lock that lets one worker at a time run a conversation's turn.

        With Redis: a Redis lock shared by every worker process. Without: a lock in this
        process (the embedded default runs jobs inline in one process).
        """
        redis = getattr(self.jobs, "redis", None)
        if redis is not None:
            with redis.lock(
                f"frontdesk:conversation:{conversation_id}", timeout=60, blocking_timeout=60
            ):
                yield
            return
        with self._locks_guard:
            lock = self._locks.setdefault(conversation_id, threading.Lock())
        with lock:
            yield


def _enqueue_after_commit(ctx: AppContext) -> None:
    """Send every outbound row and staff email a committed session saved (see
    messaging.outbound and messaging.email)."""

    def after_commit(session: Session) -> None:
        ids = session.info.pop(PENDING_KEY, None)
        email_ids = session.info.pop(EMAIL_PENDING_KEY, None)
        for message_id in ids or ():
            ctx.jobs.enqueue("send_message", message_id)
        for email_id in email_ids or ():
            ctx.jobs.enqueue("send_staff_email", email_id)

    def after_rollback(session: Session) -> None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(EMAIL_PENDING_KEY, None)

    event.listen(ctx.db.sessions, "after_commit", after_commit)
    event.listen(ctx.db.sessions, "after_soft_rollback", lambda s, _t: after_rollback(s))


def build_context(
    settings: Settings,
    *,
    clock: Clock | None = None,
    chat_model: ChatModel | None = None,
    deposits: DepositProvider | None = None,
    jobs: JobQueue | None = None,
    raise_job_errors: bool = False,
) -> AppContext:
    """Connect everything ``settings`` describes.

    Args:
        clock: defaults to the system clock.
        chat_model: defaults to OpenAI when ``OPENAI_API_KEY`` is set, else the offline model.
        deposits: defaults to Square when ``SQUARE_ACCESS_TOKEN`` is set, else the local checkout.
        jobs: defaults to RQ when ``REDIS_URL`` is set, else inline.
        raise_job_errors: inline jobs re-raise errors (scenario runs and tests).

    Raises:
        SettingsError: a vendor is half-configured (e.g. Square token without location id).
    """
    from app.settings import SettingsError

    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    if chat_model is None:
        if settings.openai_api_key:
            from agent.models.openai import OpenAIChatModel

            chat_model = OpenAIChatModel(
                api_key=settings.openai_api_key,
                model=settings.openai_model,
                base_url=settings.openai_base_url,
            )
        else:
            from agent.offline import OfflineModel

            chat_model = OfflineModel()
    if deposits is None:
        if settings.square_access_token:
            if not settings.square_location_id:
                raise SettingsError(
                    "invalid setting SQUARE_LOCATION_ID: required with SQUARE_ACCESS_TOKEN"
                )
            from payments.square import SquareDeposits

            deposits = SquareDeposits(
                settings.square_access_token,
                settings.square_location_id,
                environment=settings.square_environment,
            )
        else:
            from payments.local import LocalDeposits

            deposits = LocalDeposits(settings.public_base_url)
    inline: InlineQueue | None = None
    if jobs is None:
        if settings.redis_url:
            jobs = RQQueue(settings.redis_url)
        else:
            inline = InlineQueue(raise_errors=raise_job_errors)
            jobs = inline
    ctx = AppContext(
        settings=settings,
        db=db,
        clock=clock or SystemClock(),
        jobs=jobs,
        chat_model=chat_model,
        deposits=deposits,
    )
    if inline is not None:
        inline.ctx = ctx
    if settings.smtp_url:
        ctx.mailer = SmtpMailer.from_url(
            settings.smtp_url, settings.smtp_from, timeout=settings.smtp_timeout_seconds
        )
    if settings.openai_api_key and settings.openai_embedding_model.lower() not in ("none", "off"):
        from knowledge.embeddings import OpenAIEmbedder

        ctx.embedder = OpenAIEmbedder(
            settings.openai_api_key,
            model=settings.openai_embedding_model,
            base_url=settings.openai_base_url,
        )
    _enqueue_after_commit(ctx)
    return ctx


def describe(ctx: AppContext) -> dict[str, Any]:
    """Which backend serves each concern (printed by the CLI; no secrets)."""
    return {
        "database": ctx.db.engine.dialect.name,
        "jobs": type(ctx.jobs).__name__,
        "chat_model": ctx.chat_model.name,
        "deposits": ctx.deposits.name,
        "sms": ctx.default_sms_provider(),
        "email": type(ctx.mailer).__name__,
    }
