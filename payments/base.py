"""The ``DepositProvider`` interface for payment links, and its typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class PaymentError(Exception):
    """A payment provider call failed. ``permanent`` False means a retry may succeed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class PaymentLink:
    """A hosted checkout for one deposit: link id, patient-facing URL, and the order it pays."""

    id: str
    url: str
    order_id: str


@dataclass(frozen=True)
class Refund:
    """A refund as the provider reported it: id and status (PENDING, COMPLETED, ...)."""

    id: str
    status: str


class DepositProvider(Protocol):
    """Creates, cancels and refunds deposit payment links. ``name``: "square" or "local"."""

    name: str

    def create_link(
        self, *, idempotency_key: str, amount_cents: int, currency: str, title: str, note: str
    ) -> PaymentLink:
        """Create a quick-pay link for ``amount_cents``. Same key twice -> the same link.

        Raises:
            PaymentError: the provider refused or could not be reached.
        """
        ...

    def cancel_link(self, link_id: str) -> None:
        """Deactivate a link so it can no longer be paid. Raises :class:`PaymentError`."""
        ...

    def refund(
        self,
        *,
        idempotency_key: str,
        payment_id: str,
        amount_cents: int,
        currency: str,
        reason: str,
    ) -> Refund:
        """Refund ``amount_cents`` of ``payment_id``. Raises :class:`PaymentError`."""
        ...
