"""An ``SmsGateway`` that sends nothing: it records outbound texts (embedded default, tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from messaging.base import RECORDED_STATUS, OutboundSms, SendError, SendResult


class RecordingGateway:
    """Records every accepted ``OutboundSms`` in ``self.sent`` and answers ``rec-<n>`` ids.

    Used when no carrier is configured (the CLI prints what would have gone out through
    ``on_send``) and in tests, which can script carrier failures with ``fail_with``.

    It does not dedupe on ``idempotency_key`` (Twilio would not either): a job layer that sends
    one row twice shows up as two entries in ``sent``.

    Args:
        fail_with: scripted outcomes consumed one per ``send`` call, in order: a ``SendError``
            is raised for that call, ``None`` lets it succeed; once used up, every send succeeds.
        on_send: called with each accepted message and its result (e.g. to print it).

    Attributes:
        sent: accepted messages, in send order.
        attempts: every message passed to ``send``, including the ones that failed.
    """

    name = "recording"

    def __init__(
        self,
        fail_with: Iterable[SendError | None] | None = None,
        on_send: Callable[[OutboundSms, SendResult], None] | None = None,
    ) -> None:
        self.sent: list[OutboundSms] = []
        self.attempts: list[OutboundSms] = []
        self._script: list[SendError | None] = list(fail_with or [])
        self._on_send = on_send
        self._lock = threading.Lock()
        self._counter = 0

    def send(self, message: OutboundSms) -> SendResult:
        """Record ``message``, or raise the next scripted ``SendError``.

        Returns:
            ``SendResult(carrier_message_id="rec-<n>", status="recorded")``, n counting from
            1: the row is stored as ``recorded``, never ``sent``, since no phone got it.

        Raises:
            SendError: when the next entry of ``fail_with`` is an error.
        """
        with self._lock:
            self.attempts.append(message)
            failure = self._script.pop(0) if self._script else None
            if failure is not None:
                raise failure
            self._counter += 1
            result = SendResult(carrier_message_id=f"rec-{self._counter}", status=RECORDED_STATUS)
            self.sent.append(message)
        if self._on_send is not None:
            self._on_send(message, result)
        return result

    def fail_next(self, *outcomes: SendError | None) -> None:
        """Append scripted outcomes (same meaning as ``fail_with``)."""
        with self._lock:
            self._script.extend(outcomes)

    def bodies(self, to_number: str | None = None) -> list[str]:
        """Texts of the accepted messages, optionally only those sent to ``to_number``."""
        with self._lock:
            return [m.body for m in self.sent if to_number is None or m.to_number == to_number]

    def clear(self) -> None:
        """Forget everything recorded (the id counter keeps counting, so ids stay unique)."""
        with self._lock:
            self.sent.clear()
            self.attempts.clear()
