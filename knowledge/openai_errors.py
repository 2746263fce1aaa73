"""The ``openai`` SDK's errors, classified once for both OpenAI adapters: the chat model
(:mod:`agent.models.openai`, which may import ``knowledge``) and the embeddings
(:mod:`knowledge.embeddings`). The generic HTTP rules (429 and 5xx are transient,
``Retry-After``) are :mod:`app.vendor_http`; what is OpenAI's own lives here.

Error codes: https://platform.openai.com/docs/guides/error-codes
"""

from __future__ import annotations

import re

import openai

from app.vendor_http import is_transient_status

#: Longest part of an API error message kept in our own error text.
MAX_ERROR_TEXT = 200
#: API keys and bearer tokens an error message might echo back.
SECRET_RE = re.compile(r"(sk-|Bearer\s+)[A-Za-z0-9_\-*.]+")


def is_retryable(exc: BaseException) -> bool:
    """Whether an ``openai`` SDK error is transient (retry) or permanent.

    Args:
        exc: the exception the SDK raised.

    Returns:
        True for connection errors and timeouts (``APIConnectionError``, which includes
        ``APITimeoutError``), 5xx and 429, except a 429 with code ``insufficient_quota``
        (out of credits: retrying cannot help); False for anything else.
    """
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429 and exc.code == "insufficient_quota":
            return False
        return is_transient_status(exc.status_code)
    return False


def describe_error(exc: BaseException, what: str) -> str:
    """Our error text for an SDK error: ``"<what> failed: HTTP 429 (rate_limit_exceeded):
    ..."`` with the kind, HTTP status, API error code or type and a truncated, key-redacted
    API message. Never includes request content (patient text).

    Args:
        exc: the exception the SDK raised.
        what: the operation, e.g. "chat completion" or "embeddings".
    """
    if isinstance(exc, openai.APITimeoutError):
        return f"{what} failed: request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return f"{what} failed: connection error"
    if isinstance(exc, openai.APIStatusError):
        parts = [f"{what} failed: HTTP {exc.status_code}"]
        label = exc.code or exc.type
        if label:
            parts.append(f"({label})")
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(message, str) and message:
            redacted = SECRET_RE.sub(r"\1***", message)[:MAX_ERROR_TEXT]
            parts.append(f": {redacted}")
        return " ".join(parts).replace(" :", ":")
    return f"{what} failed: {type(exc).__name__}"
