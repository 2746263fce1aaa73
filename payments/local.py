"""The embedded default ``DepositProvider``: a test checkout served by the app itself.

No network and no state: every id is derived from the caller's idempotency key, so the same
key always yields the same link in any process, and nothing has to be remembered between a
worker that creates a link and the web process that serves its checkout page.

The checkout page (see :func:`payments.templates.render_checkout_page`) lives at
``{public_base_url}/checkout/{link_id}``; the app looks the deposit up in its database by
link id and, on the page's POST, records a payment with id :func:`local_payment_id` for the
link's order, just as a Square ``payment.updated`` COMPLETED event would.
"""

from __future__ import annotations

import hashlib

from payments.base import PaymentError, PaymentLink, Refund

__all__ = [
    "LINK_PREFIX",
    "LocalDeposits",
    "local_payment_id",
]

LINK_PREFIX = "loc_"
"""Prefix of every local payment link id (``loc_<24 hex>``)."""
_ORDER_PREFIX = "lord_"
_PAYMENT_PREFIX = "lpay_"
_REFUND_PREFIX = "lref_"


def _digest(*parts: str) -> str:
    """First 24 hex characters (96 bits) of SHA-256 over the NUL-joined ``parts``."""
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:24]


def local_payment_id(order_id: str) -> str:
    """The payment id the local checkout records when ``order_id`` is paid.

    Args:
        order_id: a local order id (``lord_<hex>``) from :meth:`LocalDeposits.create_link`.

    Returns:
        ``"lpay_<24 hex>"``; the same order always yields the same payment id, so a double
        submit of the checkout form is one payment.
    """
    return _PAYMENT_PREFIX + _digest("payment", order_id)


class LocalDeposits:
    """:class:`~payments.base.DepositProvider` for the embedded default: no card is charged.

    Args:
        public_base_url: the app's public address, e.g. ``"http://127.0.0.1:5000"``
            (``PUBLIC_BASE_URL``); a trailing slash is ignored.

    Raises:
        ValueError: ``public_base_url`` is empty.
    """

    name = "local"

    def __init__(self, public_base_url: str) -> None:
        if not public_base_url:
            raise ValueError("public_base_url is empty")
        self.public_base_url = public_base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"LocalDeposits(public_base_url={self.public_base_url!r})"

    def create_link(
        self, *, idempotency_key: str, amount_cents: int, currency: str, title: str, note: str
    ) -> PaymentLink:
        """Return the test checkout link for ``idempotency_key`` (no network, no state).

        Args:
            idempotency_key: stable per deposit; link id and order id are derived from it only.
            amount_cents: the deposit in cents; must be a positive int (shown by the app's
                checkout page, which reads it from the deposit row).
            currency: ISO 4217 code (unused here beyond validation).
            title, note: unused (the app renders the page from its own rows).

        Returns:
            ``PaymentLink(id="loc_<hex>", url="{public_base_url}/checkout/loc_<hex>",
            order_id="lord_<hex>")``; the same key always gives the same link.

        Raises:
            PaymentError: (permanent) empty key, or an amount that is not a positive int.
        """
        if not idempotency_key:
            raise PaymentError("idempotency_key is empty", permanent=True)
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
            raise PaymentError(
                f"amount_cents must be a positive integer, got {amount_cents!r}", permanent=True
            )
        digest = _digest("link", idempotency_key)
        link_id = LINK_PREFIX + digest
        return PaymentLink(
            id=link_id,
            url=f"{self.public_base_url}/checkout/{link_id}",
            order_id=_ORDER_PREFIX + digest,
        )

    def cancel_link(self, link_id: str) -> None:
        """Do nothing: local links hold no state to cancel.

        A cancelled link stays unpayable because the app's checkout route refuses payment
        (and shows "This link is no longer active") for any deposit whose database row is no
        longer open. That check, not this method, is what closes a local link.
        """
        return None

    def refund(
        self,
        *,
        idempotency_key: str,
        payment_id: str,
        amount_cents: int,
        currency: str,
        reason: str,
    ) -> Refund:
        """Pretend to refund: nothing was charged, so the refund completes at once.

        Returns:
            ``Refund(id="lref_<24 hex>", status="COMPLETED")``, the id derived from
            ``idempotency_key`` so a retried refund is the same refund.

        Raises:
            PaymentError: (permanent) empty key or payment id, or a non-positive amount.
        """
        if not idempotency_key or not payment_id:
            raise PaymentError("idempotency_key and payment_id are required", permanent=True)
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
            raise PaymentError(
                f"amount_cents must be a positive integer, got {amount_cents!r}", permanent=True
            )
        return Refund(id=_REFUND_PREFIX + _digest("refund", idempotency_key), status="COMPLETED")
