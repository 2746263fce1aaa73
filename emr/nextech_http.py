"""HTTP transport of the Nextech adapter: OAuth2 tokens, rate limit, retries, error mapping.

Vendor facts (NextechSystems/selectapidocspub ``source/includes/_gettingstarted.md`` and
``_authentication.md``):

* Token: ``POST https://login.microsoftonline.com/nextech-api.com/oauth2/token`` (form) with
  ``grant_type=password``, ``client_id``, ``username``, ``password`` and
  ``resource=https://select.nextech-api.com/api``; the answer has ``access_token`` (3600 s),
  ``expires_in`` and a 14-day ``refresh_token`` (``grant_type=refresh_token``). Older docs add
  a ``client_secret``; it is sent when configured.
* Every API request carries ``Authorization: Bearer {access_token}`` and ``nx-practice-id``.
* 20 requests per second per user per endpoint, then 429 "Too Many Requests": back off
  exponentially.

Retry policy. 429 is retried for every request (the server refused it, nothing happened).
5xx answers and timeouts are retried for idempotent requests (GET, the status PUTs); a
``POST`` is retried only when the connection was never made, because a 5xx or read timeout
after Nextech received an appointment could otherwise book the patient twice.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState

from app.vendor_http import (
    RetryAfterWait,
    is_transient_exception,
    is_transient_status,
    parse_retry_after,
    request_never_sent,
    retrying,
)
from emr.base import AuthError, EMRError, EMRUnavailable, RateLimited
from emr.ratelimit import Limiter

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://select.nextech-api.com/api"
DEFAULT_TOKEN_URL = "https://login.microsoftonline.com/nextech-api.com/oauth2/token"
DEFAULT_RESOURCE = "https://select.nextech-api.com/api"
TOKEN_SKEW_SECONDS = 60
"""A token is renewed this long before Nextech says it expires."""
MAX_RETRY_AFTER_SECONDS = 30.0
"""The longest ``Retry-After`` hint honoured; the backoff alone stops growing at 8 s."""

Wait = Callable[[RetryCallState], float]


class _Transient(Exception):
    """A failure worth another attempt; ``error`` is raised when the attempts run out.

    ``retry_after`` (seconds) is the server's hint, read by :class:`RetryAfterWait`.
    """

    def __init__(self, error: EMRError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass(frozen=True)
class Credentials:
    """Resource-owner credentials of one Nextech API user (secrets: never logged)."""

    client_id: str
    username: str
    password: str
    client_secret: str | None = None
    resource: str = DEFAULT_RESOURCE

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, username={self.username!r}, ...)"


class RateLimiter:
    """At most ``per_second`` acquisitions in any rolling second (thread-safe, blocking)."""

    def __init__(
        self,
        per_second: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be greater than 0")
        self.per_second = per_second
        self._clock = clock
        self._sleep = sleep
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request fits in the window."""
        with self._lock:
            while True:
                now = self._clock()
                while self._times and self._times[0] <= now - 1.0:
                    self._times.popleft()
                if len(self._times) < self.per_second:
                    self._times.append(now)
                    return
                self._sleep(max(self._times[0] + 1.0 - now, 0.001))


def _default_wait() -> RetryAfterWait:
    """Exponential backoff (0.5 s, 1 s, 2 s ... capped at 8 s, no jitter) that honours
    ``Retry-After`` up to :data:`MAX_RETRY_AFTER_SECONDS` (Nextech: "back off exponentially")."""
    return RetryAfterWait(0.5, 8.0, jitter=0.0, retry_after_cap=MAX_RETRY_AFTER_SECONDS)


def _retry_after(response: httpx.Response) -> float | None:
    """The answer's ``Retry-After`` in seconds (RFC 9110 §10.2.3, either form), or None."""
    return parse_retry_after(response.headers.get("Retry-After"))


class NextechHttp:
    """Authenticated, rate-limited, retrying requests to one Nextech practice.

    Args:
        credentials: the API user.
        practice_id: sent as ``nx-practice-id`` on every request.
        base_url / token_url: the API root and the Microsoft token endpoint.
        http: an ``httpx.Client`` (tests pass one routed by ``respx``); one is made otherwise.
        max_attempts: attempts per request, the first included.
        max_requests_per_second: client-side limit (Nextech's is 20).
        wait: tenacity wait strategy between attempts (tests pass ``wait_none()``).
        sleep / clock: injectable for tests (``clock`` is monotonic seconds).
        limiter: the request limiter; by default this process's own
            :class:`RateLimiter` (the app passes a :class:`emr.ratelimit.SharedRateLimiter`
            so every worker shares Nextech's 20 req/s).
    """

    def __init__(
        self,
        credentials: Credentials,
        practice_id: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        http: httpx.Client | None = None,
        timeout_seconds: float = 15.0,
        max_attempts: int = 4,
        max_requests_per_second: int = 20,
        wait: Wait | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        limiter: Limiter | None = None,
    ) -> None:
        self.credentials = credentials
        self.practice_id = practice_id
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout_seconds)
        self.max_attempts = max_attempts
        self._wait: Wait = wait or _default_wait()
        self._sleep = sleep
        self._clock = clock
        self.limiter: Limiter = limiter or RateLimiter(max_requests_per_second, clock, sleep)
        self._token_lock = threading.Lock()
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._expires_at = 0.0

    def close(self) -> None:
        """Close the HTTP client when this object made it."""
        if self._own_http:
            self.http.close()

    # --- requests ---------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one API request with auth, rate limit and retries.

        ``path`` is relative to the API root (``"/Slot"``) or an absolute URL (a Bundle
        ``next`` link). Answers other than 401/403/429/5xx are returned for the caller to map.

        Raises:
            AuthError: credentials refused, or 401/403 after one re-authentication.
            RateLimited: still 429 after the last attempt.
            EMRUnavailable: 5xx or transport failure after the last attempt (or at once for a
                non-idempotent request that may have reached Nextech).
        """
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        policy = retrying(
            max_attempts=self.max_attempts,
            retry=lambda exc: isinstance(exc, _Transient),
            wait=self._wait,
            sleep=self._sleep,
        )
        try:
            for attempt in policy:
                with attempt:
                    return self._send_authed(method, url, params, json, idempotent)
        except _Transient as exc:
            raise exc.error from None
        raise EMRError("unreachable")  # pragma: no cover - Retrying always returns or raises

    def _send_authed(
        self, method: str, url: str, params: Any, json: Any, idempotent: bool
    ) -> httpx.Response:
        response = self._send(method, url, params, json, idempotent)
        if response.status_code == 401:
            log.info("nextech: 401 from %s %s, re-authenticating once", method, url)
            self._invalidate()
            response = self._send(method, url, params, json, idempotent)
        if response.status_code in (401, 403):
            raise AuthError(
                f"Nextech refused {method} {httpx.URL(url).path}: {response.status_code}"
            )
        if response.status_code == 429:
            raise _Transient(RateLimited("Nextech rate limit (429)"), _retry_after(response))
        if is_transient_status(response.status_code):
            error = EMRUnavailable(f"Nextech answered {response.status_code} to {method}")
            if idempotent:
                raise _Transient(error)
            raise error
        return response

    def _send(
        self, method: str, url: str, params: Any, json: Any, idempotent: bool
    ) -> httpx.Response:
        token = self._token()
        headers = {
            "Authorization": f"Bearer {token}",
            "nx-practice-id": self.practice_id,
            "Accept": "application/json",
        }
        self.limiter.acquire()
        try:
            return self.http.request(method, url, params=params, json=json, headers=headers)
        except httpx.TransportError as exc:
            if request_never_sent(exc):  # safe to repeat even a booking POST
                raise _Transient(EMRUnavailable(f"Nextech unreachable: {exc!r}")) from None
            error = EMRUnavailable(f"Nextech transport error: {exc!r}")
            if idempotent and is_transient_exception(exc):
                raise _Transient(error) from None
            raise error from None

    # --- tokens ------------------------------------------------------------------------
    def _invalidate(self) -> None:
        with self._token_lock:
            self._access_token = None
            self._expires_at = 0.0

    def _token(self) -> str:
        """A valid access token: cached, else refreshed, else a new password grant."""
        with self._token_lock:
            if self._access_token and self._clock() < self._expires_at:
                return self._access_token
            if self._refresh_token:
                try:
                    return self._grant(
                        {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
                    )
                except AuthError:
                    log.info("nextech: refresh token refused, using the password grant")
                    self._refresh_token = None
            c = self.credentials
            return self._grant(
                {
                    "grant_type": "password",
                    "username": c.username,
                    "password": c.password,
                    "resource": c.resource,
                }
            )

    def _grant(self, form: Mapping[str, str]) -> str:
        data = {**form, "client_id": self.credentials.client_id}
        if self.credentials.client_secret:
            data["client_secret"] = self.credentials.client_secret
        self.limiter.acquire()
        try:
            response = self.http.post(self.token_url, data=data)
        except httpx.TransportError as exc:
            raise _Transient(EMRUnavailable(f"Nextech login unreachable: {exc!r}")) from None
        if response.status_code == 429:
            raise _Transient(RateLimited("Nextech login rate limit (429)"), _retry_after(response))
        if is_transient_status(response.status_code):
            raise _Transient(EMRUnavailable(f"Nextech login answered {response.status_code}"))
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not body.get("access_token"):
            reason = body.get("error") or response.status_code
            raise AuthError(f"Nextech login failed ({form['grant_type']}): {reason}")
        self._access_token = str(body["access_token"])
        self._refresh_token = body.get("refresh_token") or self._refresh_token
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._expires_at = self._clock() + max(lifetime - TOKEN_SKEW_SECONDS, 0.0)
        return self._access_token
