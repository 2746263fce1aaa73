"""Retry rules shared by the vendor adapters: what is worth retrying, and how long to wait.

A leaf module: it imports only the standard library, ``httpx`` and ``tenacity``, never a
vendor SDK and nothing of ours, so every adapter (``agent/models/openai.py``,
``knowledge/embeddings.py``, ``emr/nextech_http.py``, ``payments/square.py``) can use it.
Each adapter keeps its vendor's own facts: which SDK exception means which status, error
codes that make a 429 final (OpenAI's ``insufficient_quota``), whether a request is safe to
repeat (Nextech's bookings), client-side rate limits and idempotency keys.

What it offers:

* :func:`is_transient_status` / :func:`is_transient_exception` / :func:`request_never_sent`:
  transient (429, 5xx, timeouts, connection errors) versus permanent failures.
* :func:`parse_retry_after` / :func:`retry_after_from_headers` / :func:`retry_after_of`: the
  server's ``Retry-After`` hint in seconds (RFC 9110 §10.2.3, both forms), with a cap.
* :class:`RetryAfterWait`: a tenacity wait strategy, exponential backoff with jitter that is
  stretched to the server's hint.
* :func:`retrying`: a ``tenacity.Retrying`` with an injectable sleep (tests never sleep), and
  :func:`log_retries`, a ``before_sleep`` hook that logs one content-free line per retry.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
import tenacity

__all__ = [
    "InfoLogger",
    "RetryAfterWait",
    "is_transient_exception",
    "is_transient_status",
    "log_retries",
    "parse_retry_after",
    "request_never_sent",
    "retry_after_from_headers",
    "retry_after_of",
    "retrying",
]

Sleep = Callable[[float], None]
"""A sleep function taking seconds (``time.sleep``, or ``list.append`` in tests)."""


class InfoLogger(Protocol):
    """A logger with a structlog-style ``info(event, **fields)`` (e.g. a structlog logger)."""

    def info(self, event: str, **fields: Any) -> Any:
        """Log ``event`` at info level with keyword ``fields``."""


# --- transient or permanent --------------------------------------------------------------------


def is_transient_status(status: int) -> bool:
    """Whether an HTTP status is worth the same request again, later.

    429 Too Many Requests (RFC 6585 §4: the client is asked to slow down) and 5xx server
    errors (RFC 9110 §15.6) are transient; every other status (4xx client errors, and
    successes) is permanent: repeating the same request cannot change the answer. Adapters
    add their vendor's exceptions on top (e.g. OpenAI's ``insufficient_quota`` 429 is final,
    Square's documented ``REQUEST_TIMEOUT`` 408 is retryable).

    Args:
        status: the HTTP status code of the answer.

    Returns:
        True for 429 and for 500 and above.
    """
    return status == 429 or status >= 500


def is_transient_exception(exc: BaseException) -> bool:
    """Whether an ``httpx`` exception is a transient failure.

    Args:
        exc: any exception raised by, or around, an ``httpx`` call.

    Returns:
        True for a transport failure (``httpx.TransportError``: connection refused or reset,
        DNS failure, connect/read/write/pool timeouts, protocol errors) and for an
        ``httpx.HTTPStatusError`` whose status :func:`is_transient_status` accepts; False for
        anything else (redirect loops, decoding errors, other exception types).
    """
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return is_transient_status(exc.response.status_code)
    return False


def request_never_sent(exc: BaseException) -> bool:
    """Whether an ``httpx`` failure proves the request never reached the server.

    Such a failure is safe to retry even for a request that is not idempotent (RFC 9110
    §9.2.2), e.g. a POST that creates a booking: the server cannot have acted on it.

    Args:
        exc: the exception an ``httpx`` call raised.

    Returns:
        True for ``httpx.ConnectError``, ``httpx.ConnectTimeout`` and ``httpx.PoolTimeout``
        (no connection was made, or none was free); False otherwise, including read and
        write timeouts, after which the server may have received the request.
    """
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


# --- Retry-After -------------------------------------------------------------------------------


def parse_retry_after(
    value: str | None, *, now: dt.datetime | None = None, cap: float | None = None
) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header value.

    RFC 9110 §10.2.3 (https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3):
    ``Retry-After = HTTP-date / delay-seconds``, e.g. ``Retry-After: 120`` or
    ``Retry-After: Fri, 31 Dec 1999 23:59:59 GMT``. All three HTTP-date forms of §5.6.7 are
    read (IMF-fixdate, obsolete RFC 850 and asctime); a date is always UTC. A decimal
    delay (``"1.5"``), which some servers send, is accepted as well.

    Args:
        value: the header value, or None when the header was absent.
        now: the current time for an HTTP-date (default: the system clock, UTC); naive
            values are taken as UTC.
        cap: the largest result in seconds (None: no cap).

    Returns:
        Seconds (>= 0, at most ``cap``): the delay, or the time until the date (0.0 for a
        date already past). None for an absent, empty, negative or unreadable value.
        Never raises.
    """
    text = (value or "").strip()
    if not text:
        return None
    seconds = _delay_seconds(text)
    if seconds is None and not _looks_numeric(text):
        seconds = _seconds_until(text, now)
    if seconds is None:
        return None
    return min(seconds, cap) if cap is not None else seconds


def _delay_seconds(text: str | None) -> float | None:
    """A non-negative, finite number of seconds written in ``text``, else None."""
    try:
        seconds = float((text or "").strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _looks_numeric(text: str) -> bool:
    """True for a number, even a negative or non-finite one (never read as a date)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _seconds_until(http_date: str, now: dt.datetime | None) -> float | None:
    """Seconds from ``now`` until an HTTP-date (0.0 when past), or None when unreadable."""
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    current = now or dt.datetime.now(dt.UTC)
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    current = current if current.tzinfo else current.replace(tzinfo=dt.UTC)
    return max((when - current).total_seconds(), 0.0)


def retry_after_from_headers(
    headers: Mapping[str, str] | None, *, now: dt.datetime | None = None
) -> float | None:
    """The server's wait hint in seconds from response headers.

    Reads ``retry-after-ms`` first (milliseconds; in no RFC, but sent by OpenAI and Azure
    OpenAI beside the standard header and honoured by the ``openai`` SDK), then
    ``retry-after`` (RFC 9110 §10.2.3, read by :func:`parse_retry_after`).

    Args:
        headers: response headers; an ``httpx.Headers`` is case-insensitive, a plain mapping
            must use lower-case names. None means no response.
        now: the current time for an HTTP-date (default: the system clock).

    Returns:
        Seconds (>= 0, uncapped), or None when neither header holds a usable value.
    """
    if headers is None:
        return None
    millis = _delay_seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    return parse_retry_after(headers.get("retry-after"), now=now)


def retry_after_of(exc: BaseException | None) -> float | None:
    """The wait hint in seconds an exception carries, if any.

    Args:
        exc: the failure of the last attempt (or None).

    Returns:
        The exception's own ``retry_after`` attribute when it is a number (adapters that
        wrap errors store the parsed hint there), else the hint in the headers of its
        ``response`` attribute (``httpx.HTTPStatusError``, SDK status errors) read by
        :func:`retry_after_from_headers`; None when there is neither, or it is negative.
    """
    if exc is None:
        return None
    own = getattr(exc, "retry_after", None)
    if isinstance(own, int | float) and not isinstance(own, bool):
        return float(own) if own >= 0 else None
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return retry_after_from_headers(headers) if isinstance(headers, Mapping) else None


# --- waiting and retrying ----------------------------------------------------------------------


class RetryAfterWait(tenacity.wait.wait_base):
    """Tenacity wait strategy: exponential backoff with jitter, stretched to ``Retry-After``.

    Before attempt ``n + 1`` it waits ``min(initial * 2**(n-1) + U(0, jitter), maximum)``
    seconds, or the server's hint (capped at ``retry_after_cap``) when that is longer. The
    backoff follows AWS's "Exponential backoff and jitter" advice; the hint is RFC 9110
    §10.2.3 ``Retry-After``.

    Args:
        initial: first backoff in seconds; it doubles with each attempt.
        maximum: cap on the backoff (jitter included), in seconds.
        jitter: largest random extra in seconds (0 for none).
        retry_after_cap: cap on the server's hint in seconds; None means ``maximum``.
        hint: reads the hint (seconds or None) from the last attempt's exception; default
            :func:`retry_after_of`.

    Raises:
        ValueError: a negative ``initial``, ``maximum``, ``jitter`` or ``retry_after_cap``.
    """

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 8.0,
        jitter: float = 0.5,
        *,
        retry_after_cap: float | None = None,
        hint: Callable[[BaseException | None], float | None] = retry_after_of,
    ) -> None:
        cap = maximum if retry_after_cap is None else retry_after_cap
        if min(initial, maximum, jitter, cap) < 0:
            raise ValueError("waits must not be negative")
        self._exponential = tenacity.wait_exponential(multiplier=initial, max=maximum)
        self._jitter = jitter
        self._maximum = maximum
        self._cap = cap
        self._hint = hint

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        """Seconds to wait before the next attempt.

        Args:
            retry_state: tenacity's state; ``attempt_number`` is the attempt just failed.

        Returns:
            The backoff, or the capped server hint when that is longer (seconds).
        """
        backoff = float(self._exponential(retry_state))
        if self._jitter:
            backoff += random.uniform(0, self._jitter)
        backoff = min(backoff, self._maximum)
        outcome = retry_state.outcome
        hint = self._hint(outcome.exception() if outcome is not None else None)
        if hint is None:
            return backoff
        return max(backoff, min(hint, self._cap))


def retrying(
    *,
    max_attempts: int,
    retry: Callable[[BaseException], bool],
    wait: tenacity.wait.wait_base | Callable[[tenacity.RetryCallState], float] | None = None,
    sleep: Sleep = time.sleep,
    before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
) -> tenacity.Retrying:
    """A ``tenacity.Retrying`` for one vendor call: bounded attempts, last error re-raised.

    Use as ``retrying(...)(func, *args)`` or ``for attempt in retrying(...): with attempt:``.

    Args:
        max_attempts: attempts in all, the first included; below 1 counts as 1 (the call is
            always made once).
        retry: True when an exception is worth another attempt (e.g. a wrapper of
            :func:`is_transient_exception` with the vendor's own rules).
        wait: seconds between attempts; default :class:`RetryAfterWait` ().
        sleep: called with those seconds (tests pass ``list.append``: nothing really sleeps).
        before_sleep: hook called before each wait (e.g. :func:`log_retries`).

    Returns:
        The configured ``Retrying``; once attempts run out, or an exception is not
        retryable, it re-raises the last exception itself (never ``tenacity.RetryError``).
    """
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(max_attempts, 1)),
        wait=wait if wait is not None else RetryAfterWait(),
        retry=tenacity.retry_if_exception(retry),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def log_retries(
    log: InfoLogger, event: str, **fields: object
) -> Callable[[tenacity.RetryCallState], None]:
    """A tenacity ``before_sleep`` hook that logs one line per retry, never any content.

    Args:
        log: a structlog-style logger; ``log.info(event, **fields)`` is looked up and called
            at each retry (so ``structlog.testing.capture_logs`` sees it).
        event: the event name, e.g. ``"chat_completion_retry"``.
        **fields: constant fields added to every line (e.g. ``model=...``).

    Returns:
        The hook; each line has ``attempt`` (the attempt that failed), ``error`` (exception
        type name), ``status`` (its ``status_code`` attribute, if any) and ``wait_seconds``.
    """

    def hook(retry_state: tenacity.RetryCallState) -> None:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        log.info(
            event,
            **fields,
            attempt=retry_state.attempt_number,
            error=type(exc).__name__ if exc is not None else None,
            status=getattr(exc, "status_code", None),
            wait_seconds=round(retry_state.upcoming_sleep, 3),
        )

    return hook
