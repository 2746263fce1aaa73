"""OpenAI embeddings for fused retrieval (DESIGN.md §3, "embeddings" row).

:class:`OpenAIEmbedder` implements :class:`knowledge.retrieval.Embedder` with the ``openai``
SDK's embeddings endpoint (https://platform.openai.com/docs/api-reference/embeddings/create),
against OpenAI or any OpenAI-compatible server. :func:`embedder_from_env` builds one from
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` / ``OPENAI_EMBEDDING_MODEL``, or returns None, in which
case retrieval stays lexical (the embedded default).

Transient failures (429 other than ``insufficient_quota``, 5xx, timeouts, connection errors)
are retried here with the shared policy of :mod:`app.vendor_http` (the same as the chat
model's); the SDK's own retries are off so that ours are the only ones.
Every other failure, and an answer that does not fit the request, raises
:class:`EmbeddingError` whose message carries the HTTP status and the API's error code, never
the texts or the key.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

import openai
import structlog
import tenacity

from app.vendor_http import RetryAfterWait, log_retries, retrying
from knowledge.openai_errors import describe_error, is_retryable

log = structlog.get_logger(__name__)

DEFAULT_MODEL = "text-embedding-3-small"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Inputs per request; the API accepts up to 2048.
DEFAULT_BATCH_SIZE = 128
#: Characters kept of each text: at most one token per character, so under the 8192-token
#: input limit of OpenAI's embedding models. Knowledge chunks and SMS texts are far shorter.
MAX_INPUT_CHARS = 8000
#: Values of OPENAI_EMBEDDING_MODEL that switch embeddings off (lexical retrieval only).
DISABLED = frozenset({"", "none", "off", "false", "0"})


class EmbeddingError(RuntimeError):
    """The embeddings endpoint failed or answered something unusable (message says which)."""


class OpenAIEmbedder:
    """Embeddings via OpenAI or an OpenAI-compatible server.

    Args:
        api_key: the API key (``OPENAI_API_KEY``); never logged.
        model: embedding model (``OPENAI_EMBEDDING_MODEL``), default ``text-embedding-3-small``.
        base_url: API base URL (``OPENAI_BASE_URL``); None means ``https://api.openai.com/v1``.
        http_client: optional ``httpx.Client`` / ``httpx2.Client`` for the SDK (proxies, tests:
            the SDK's default transport is ``httpx2``, which ``respx`` does not intercept).
        batch_size: inputs per request (1..2048).
        timeout_seconds: per-attempt HTTP timeout.
        max_attempts: total attempts per request, including the first (>= 1).
        wait: tenacity wait strategy between attempts; default
            :class:`app.vendor_http.RetryAfterWait`: exponential backoff with jitter (0.5 s
            doubling, at most 8 s), stretched to the server's ``retry-after-ms`` /
            ``Retry-After`` hint (at most 8 s). Tests pass ``tenacity.wait_none()``.
        sleep: the sleep function tenacity calls between attempts (default ``time.sleep``).

    Raises:
        ValueError: empty ``api_key``, ``batch_size`` outside 1..2048, or ``max_attempts`` < 1.
    """

    def __init__(
        self,
        api_key: str,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        http_client: Any | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        *,
        timeout_seconds: float = 20.0,
        max_attempts: int = 4,
        wait: tenacity.wait.wait_base | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must be non-empty")
        if not 1 <= batch_size <= 2048:
            raise ValueError("batch_size must be between 1 and 2048")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.model = model
        self.base_url = base_url or DEFAULT_BASE_URL
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self._wait: tenacity.wait.wait_base = wait if wait is not None else RetryAfterWait()
        self._sleep = sleep
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=self.base_url,
            timeout=timeout_seconds,
            max_retries=0,  # ours (tenacity) are the only retries
            http_client=cast(Any, http_client),
        )

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model!r}, base_url={self.base_url!r})"

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in input order, all of one dimension.

        Texts are sent in batches of ``batch_size``; an empty text is sent as a single space
        (the API rejects empty strings) and a text longer than :data:`MAX_INPUT_CHARS` is cut.

        Raises:
            EmbeddingError: a non-retryable API error (400, 401, 403, 404, ...), retries
                exhausted, or an answer with the wrong number of vectors, missing indexes,
                mixed dimensions or non-finite values.
        """
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [(t[:MAX_INPUT_CHARS] or " ") for t in texts[start : start + self.batch_size]]
            vectors.extend(self._embed_batch(batch))
        if vectors and len({len(v) for v in vectors}) != 1:
            raise EmbeddingError("embeddings answer mixed vector dimensions")
        return vectors

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        policy = retrying(
            max_attempts=self.max_attempts,
            retry=is_retryable,
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=log_retries(log, "embeddings_retry"),
        )
        started = time.monotonic()
        try:
            response = policy(
                self._client.embeddings.create,
                model=self.model,
                input=batch,
                encoding_format="float",
            )
        except openai.OpenAIError as exc:
            log.warning(
                "embeddings_failed",
                model=self.model,
                error=type(exc).__name__,
                status=getattr(exc, "status_code", None),
                seconds=round(time.monotonic() - started, 3),
            )
            raise EmbeddingError(describe_error(exc, "embeddings")) from None
        data = sorted(response.data or [], key=lambda item: item.index)
        if [item.index for item in data] != list(range(len(batch))):
            raise EmbeddingError(
                f"embeddings answer has {len(data)} vectors for {len(batch)} texts"
            )
        vectors = [[float(x) for x in item.embedding] for item in data]
        if any(not v or not all(math.isfinite(x) for x in v) for v in vectors):
            raise EmbeddingError("embeddings answer holds an empty or non-finite vector")
        usage = getattr(response, "usage", None)
        log.info(
            "embeddings",
            model=self.model,
            texts=len(batch),
            tokens=getattr(usage, "total_tokens", None),
            seconds=round(time.monotonic() - started, 3),
        )
        return vectors


def embedder_from_env(env: Mapping[str, str]) -> OpenAIEmbedder | None:
    """An :class:`OpenAIEmbedder` from environment variables, or None (lexical only).

    ``OPENAI_API_KEY`` switches embeddings on; ``OPENAI_BASE_URL`` points at an
    OpenAI-compatible server; ``OPENAI_EMBEDDING_MODEL`` names the model (default
    ``text-embedding-3-small``), and ``none``/``off`` switches embeddings off while keeping
    the chat model (e.g. a compatible server that serves no embedding model).
    """
    api_key = (env.get("OPENAI_API_KEY") or "").strip()
    if not api_key:
        return None
    model = (env.get("OPENAI_EMBEDDING_MODEL") or DEFAULT_MODEL).strip()
    if model.lower() in DISABLED:
        return None
    base_url = (env.get("OPENAI_BASE_URL") or "").strip() or None
    return OpenAIEmbedder(api_key=api_key, model=model, base_url=base_url)
