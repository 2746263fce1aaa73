"""app.vendor_http: transient-or-permanent, Retry-After (RFC 9110 §10.2.3), backoff, retrying.

The adapters' own HTTP-level fakes (respx) prove that each of them still retries and fails as
before; these tests pin the shared rules themselves. Nothing here really sleeps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import tenacity

from app.vendor_http import (
    RetryAfterWait,
    is_transient_exception,
    is_transient_status,
    log_retries,
    parse_retry_after,
    request_never_sent,
    retry_after_from_headers,
    retry_after_of,
    retrying,
)

#: RFC 9110 §10.2.3's own example date, and a "now" two minutes before it.
RFC_DATE = "Fri, 31 Dec 1999 23:59:59 GMT"
BEFORE_RFC_DATE = dt.datetime(1999, 12, 31, 23, 57, 59, tzinfo=dt.UTC)
REQUEST = httpx.Request("GET", "https://vendor.example/v1/thing")


def status_error(status: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    response = httpx.Response(status, headers=headers, request=REQUEST)
    return httpx.HTTPStatusError(f"HTTP {status}", request=REQUEST, response=response)


# --- transient or permanent --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (200, False),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, False),  # adapters decide (Square retries it)
        (409, False),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_status_classification(status: int, transient: bool) -> None:
    assert is_transient_status(status) is transient


@pytest.mark.parametrize(
    ("exc", "transient", "never_sent"),
    [
        (httpx.ConnectError("refused", request=REQUEST), True, True),
        (httpx.ConnectTimeout("slow connect", request=REQUEST), True, True),
        (httpx.PoolTimeout("no free connection", request=REQUEST), True, True),
        (httpx.ReadTimeout("slow answer", request=REQUEST), True, False),
        (httpx.WriteTimeout("slow upload", request=REQUEST), True, False),
        (httpx.RemoteProtocolError("dropped", request=REQUEST), True, False),
        (httpx.ReadError("reset", request=REQUEST), True, False),
        (status_error(503), True, False),
        (status_error(429), True, False),
        (status_error(400), False, False),
        (httpx.TooManyRedirects("loop", request=REQUEST), False, False),
        (ValueError("not HTTP at all"), False, False),
    ],
)
def test_exception_classification(exc: BaseException, transient: bool, never_sent: bool) -> None:
    assert is_transient_exception(exc) is transient
    assert request_never_sent(exc) is never_sent


# --- Retry-After -------------------------------------------------------------------------------


def test_rfc_9110_delay_seconds_example() -> None:
    assert parse_retry_after("120") == 120.0


def test_rfc_9110_http_date_example() -> None:
    assert parse_retry_after(RFC_DATE, now=BEFORE_RFC_DATE) == 120.0


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 31 Dec 1999 23:59:59 GMT",  # IMF-fixdate (RFC 9110 §5.6.7)
        "Friday, 31-Dec-99 23:59:59 GMT",  # obsolete RFC 850 form
        "Fri Dec 31 23:59:59 1999",  # ANSI C asctime() form
    ],
)
def test_all_three_http_date_forms_are_read(value: str) -> None:
    assert parse_retry_after(value, now=BEFORE_RFC_DATE) == 120.0


def test_a_naive_now_counts_as_utc() -> None:
    assert parse_retry_after(RFC_DATE, now=BEFORE_RFC_DATE.replace(tzinfo=None)) == 120.0


def test_a_past_date_means_retry_now() -> None:
    later = dt.datetime(2000, 1, 1, 0, 5, tzinfo=dt.UTC)
    assert parse_retry_after(RFC_DATE, now=later) == 0.0


def test_a_date_against_the_system_clock_is_past_by_now() -> None:
    assert parse_retry_after(RFC_DATE) == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), (" 3 ", 3.0), ("1.5", 1.5), ("120", 30.0), (RFC_DATE, 30.0)],
)
def test_the_cap_bounds_both_forms(value: str, expected: float) -> None:
    assert parse_retry_after(value, now=BEFORE_RFC_DATE, cap=30.0) == expected


@pytest.mark.parametrize(
    "value", [None, "", "   ", "-5", "soon", "nan", "inf", "-inf", "Fri, 99 Foo 1999"]
)
def test_absent_negative_or_unreadable_values_give_no_hint(value: str | None) -> None:
    assert parse_retry_after(value, now=BEFORE_RFC_DATE) is None


def test_headers_prefer_milliseconds_then_the_standard_header() -> None:
    both = httpx.Headers({"Retry-After-Ms": "1500", "Retry-After": "9"})
    assert retry_after_from_headers(both) == 1.5
    bad_ms = httpx.Headers({"retry-after-ms": "soon", "retry-after": "9"})
    assert retry_after_from_headers(bad_ms) == 9.0
    dated = httpx.Headers({"Retry-After": RFC_DATE})
    assert retry_after_from_headers(dated, now=BEFORE_RFC_DATE) == 120.0
    assert retry_after_from_headers(httpx.Headers()) is None
    assert retry_after_from_headers(None) is None


class Wrapped(Exception):
    def __init__(self, retry_after: Any) -> None:
        super().__init__("wrapped")
        self.retry_after = retry_after


def test_hint_of_an_exception() -> None:
    assert retry_after_of(status_error(429, {"Retry-After": "7"})) == 7.0
    assert retry_after_of(status_error(503)) is None
    assert retry_after_of(Wrapped(2)) == 2.0
    assert retry_after_of(Wrapped(-1)) is None
    assert retry_after_of(Wrapped(None)) is None
    assert retry_after_of(Wrapped(True)) is None
    assert retry_after_of(ValueError("plain")) is None
    assert retry_after_of(None) is None


# --- waiting -----------------------------------------------------------------------------------


def state_after(attempt: int, exc: BaseException) -> tenacity.RetryCallState:
    """The tenacity state after ``attempt`` failed with ``exc``."""
    state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_backoff_doubles_up_to_the_maximum_without_jitter() -> None:
    wait = RetryAfterWait(0.5, 8.0, jitter=0.0)
    waits = [wait(state_after(n, status_error(503))) for n in range(1, 8)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_adds_at_most_its_amount_and_never_passes_the_maximum() -> None:
    wait = RetryAfterWait(0.5, 8.0, jitter=0.5)
    for _ in range(200):
        assert 0.5 <= wait(state_after(1, status_error(503))) <= 1.0
        assert wait(state_after(6, status_error(503))) == 8.0


def test_a_longer_server_hint_stretches_the_wait_up_to_its_cap() -> None:
    default_cap = RetryAfterWait(0.5, 8.0, jitter=0.0)
    assert default_cap(state_after(1, status_error(429, {"Retry-After": "3"}))) == 3.0
    assert default_cap(state_after(1, status_error(429, {"Retry-After": "120"}))) == 8.0
    nextech_like = RetryAfterWait(0.5, 8.0, jitter=0.0, retry_after_cap=30.0)
    assert nextech_like(state_after(1, status_error(429, {"Retry-After": "120"}))) == 30.0
    assert nextech_like(state_after(1, Wrapped(12.0))) == 12.0


def test_a_shorter_server_hint_does_not_shorten_the_backoff() -> None:
    wait = RetryAfterWait(0.5, 8.0, jitter=0.0)
    assert wait(state_after(4, status_error(429, {"Retry-After": "0"}))) == 4.0


def test_the_hint_reader_is_injectable() -> None:
    wait = RetryAfterWait(0.5, 8.0, jitter=0.0, hint=lambda exc: 6.0)
    assert wait(state_after(1, ValueError("x"))) == 6.0


def test_negative_waits_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryAfterWait(-1.0)
    with pytest.raises(ValueError):
        RetryAfterWait(retry_after_cap=-1.0)


# --- retrying ----------------------------------------------------------------------------------


class Flaky:
    """Fails with the given exceptions in turn, then answers ``"ok"``."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_transient_failures_are_retried_with_the_servers_hint_and_no_real_sleep() -> None:
    slept: list[float] = []
    call = Flaky(status_error(429, {"Retry-After": "120"}), httpx.ReadTimeout("slow"))
    policy = retrying(max_attempts=3, retry=is_transient_exception, sleep=slept.append)
    assert policy(call) == "ok"
    assert call.calls == 3
    assert slept[0] == 8.0  # the hint, capped at the default maximum
    assert 1.0 <= slept[1] <= 1.5  # second backoff plus jitter


def test_a_permanent_failure_is_raised_at_once() -> None:
    slept: list[float] = []
    call = Flaky(status_error(400))
    policy = retrying(max_attempts=3, retry=is_transient_exception, sleep=slept.append)
    with pytest.raises(httpx.HTTPStatusError):
        policy(call)
    assert call.calls == 1 and slept == []


def test_the_last_failure_itself_is_raised_when_attempts_run_out() -> None:
    call = Flaky(*[httpx.ConnectError("refused") for _ in range(5)])
    policy = retrying(
        max_attempts=2,
        retry=is_transient_exception,
        wait=tenacity.wait_none(),
        sleep=lambda _s: None,
    )
    with pytest.raises(httpx.ConnectError):
        policy(call)
    assert call.calls == 2


def test_fewer_than_one_attempt_still_calls_once() -> None:
    call = Flaky(httpx.ConnectError("refused"))
    with pytest.raises(httpx.ConnectError):
        retrying(max_attempts=0, retry=is_transient_exception, sleep=lambda _s: None)(call)
    assert call.calls == 1


class RecordingLogger:
    """An :class:`app.vendor_http.InfoLogger` that keeps each line (global log config aside)."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})


def test_retries_are_logged_without_content() -> None:
    log = RecordingLogger()
    call = Flaky(status_error(503, {"Retry-After": "1"}))
    policy = retrying(
        max_attempts=2,
        retry=is_transient_exception,
        wait=tenacity.wait_fixed(0.25),
        sleep=lambda _s: None,
        before_sleep=log_retries(log, "vendor_retry", vendor="example"),
    )
    assert policy(call) == "ok"
    assert log.lines == [
        {
            "event": "vendor_retry",
            "vendor": "example",
            "attempt": 1,
            "error": "HTTPStatusError",
            "status": None,
            "wait_seconds": 0.25,
        }
    ]
