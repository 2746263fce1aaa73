"""Prometheus metrics (https://prometheus.github.io/client_python/): what ``/metrics`` shows.

Two kinds:

* **Events counted in the process** where they happen: webhook acknowledgements (route,
  status) and their latency, agent turns (latency, outcome, model latency, tokens, cost) and
  SMS sends by status. The web app counts webhooks; the worker counts turns and sends. With
  ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn's workers, and the worker container sharing the
  same volume) every process writes its counters to files there and a scrape sums them
  (prometheus-client's multiprocess mode); the files are named by host and pid, so two
  containers with the same pid never share one.
* **State counted in the database at scrape time** (:mod:`app.metrics_db`): active holds,
  bookings, appointments and deposits by status, deposit revenue, reminders and waitlist
  offers texted (message kinds), and the RQ queue's depth. They are right in any number of
  processes and after restarts.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from agent.store import AgentTurn

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _process_id() -> str:
    """Names this process's metric files: host (the container) and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


if os.environ.get(MULTIPROC_ENV):  # before any metric below creates its value
    values.ValueClass = values.MultiProcessValue(_process_id)

#: Latency buckets in seconds for webhook acknowledgements (the target is 50 ms).
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
#: Latency buckets in seconds for agent turns and model calls.
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 45.0, 90.0)

WEBHOOK_ACKS = Counter(
    "frontdesk_webhook_acks", "Webhook requests answered, by route and HTTP status.",
    ["route", "status"],
)  # fmt: skip
WEBHOOK_ACK_SECONDS = Histogram(
    "frontdesk_webhook_ack_seconds", "Time to answer a webhook, by route.", ["route"],
    buckets=ACK_BUCKETS,
)  # fmt: skip
TURN_SECONDS = Histogram(
    "frontdesk_turn_seconds", "Agent turn time, guardrails to answer.", buckets=TURN_BUCKETS
)
TURNS = Counter("frontdesk_agent_turns", "Agent turns by outcome.", ["outcome"])
MODEL_SECONDS = Histogram(
    "frontdesk_model_seconds", "Chat-model time within a turn, by model.", ["model"],
    buckets=TURN_BUCKETS,
)  # fmt: skip
MODEL_TOKENS = Counter(
    "frontdesk_model_tokens", "Chat-model tokens, by model and kind (prompt|completion).",
    ["model", "kind"],
)  # fmt: skip
MODEL_COST = Counter(
    "frontdesk_model_cost_dollars", "Estimated chat-model cost in US dollars, by model.",
    ["model"],
)  # fmt: skip
SENDS = Counter("frontdesk_sms_sends", "SMS send attempts by resulting row status.", ["status"])


def observe_ack(route: str, status: int, seconds: float) -> None:
    """Count one webhook answer.

    Args:
        route: the URL rule (``/webhooks/telnyx``), never the raw path.
        status: the HTTP status answered.
        seconds: time from request start to response.
    """
    WEBHOOK_ACKS.labels(route=route, status=str(status)).inc()
    WEBHOOK_ACK_SECONDS.labels(route=route).observe(seconds)


def observe_turn(record: AgentTurn) -> None:
    """Count one agent turn from its bookkeeping row (``agent_turns``).

    Args:
        record: the turn's :class:`~agent.store.AgentTurn` (milliseconds, tokens,
            cost in microdollars; None cost is an unknown price and adds nothing).
    """
    outcome = getattr(record.outcome, "value", str(record.outcome))
    model = record.model or "unknown"
    TURNS.labels(outcome=outcome).inc()
    TURN_SECONDS.observe((record.total_ms or 0) / 1000)
    MODEL_SECONDS.labels(model=model).observe((record.model_ms or 0) / 1000)
    MODEL_TOKENS.labels(model=model, kind="prompt").inc(record.prompt_tokens or 0)
    MODEL_TOKENS.labels(model=model, kind="completion").inc(record.completion_tokens or 0)
    if record.cost_microdollars:
        MODEL_COST.labels(model=model).inc(record.cost_microdollars / 1_000_000)


def observe_send(status: str) -> None:
    """Count one send attempt by the outbound row's status after it (sent, queued, ...)."""
    SENDS.labels(status=status).inc()


def process_registry() -> CollectorRegistry:
    """The registry holding this process's counters, or every process's in multiprocess mode.

    Returns:
        A fresh registry over ``PROMETHEUS_MULTIPROC_DIR`` when it is set, else the default
        registry (this process's counters plus Python's process and GC metrics).
    """
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return registry
