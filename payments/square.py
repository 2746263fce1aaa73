"""Square adapter: deposit payment links, refunds, webhook signatures and webhook events.

The only module that talks to Square. It uses the official ``squareup`` SDK (Fern, httpx)
with SDK retries switched off: the job layer owns retries, so every failure surfaces at once
as a :class:`~payments.base.PaymentError` whose ``permanent`` flag tells the caller whether a
retry (with the same idempotency key) may succeed.

Square docs: https://developer.squareup.com/docs/checkout-api/quick-pay-checkout (links),
https://developer.squareup.com/docs/build-basics/handling-errors (errors), and each function's
own reference link below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

import httpx
from square import Square
from square.core.api_error import ApiError
from square.core.request_options import RequestOptions
from square.environment import SquareEnvironment
from square.requests.checkout_options import CheckoutOptionsParams
from square.utils.webhooks_helper import verify_signature as _sdk_verify_signature

from app.untrusted import fit
from app.vendor_http import is_transient_status
from payments.base import PaymentError, PaymentLink, Refund
from payments.models import EVENT_ID_LENGTH, EVENT_TYPE_LENGTH

SIGNATURE_HEADER = "x-square-hmacsha256-signature"
"""The HTTP header that carries Square's webhook signature."""

# Documented request limits (CreatePaymentLinkRequest / RefundPaymentRequest).
_LINK_KEY_MAX = 192
_REFUND_KEY_MAX = 45
_REASON_MAX = 192
_NOTE_MAX = 500
_NAME_MAX = 255
_DETAIL_MAX = 300

# Every call: no SDK retries (the job layer retries), so no sleeping inside the SDK either.
_NO_RETRIES: RequestOptions = {"max_retries": 0}


class SquareApiError(PaymentError):
    """Square answered with an HTTP error, or could not be reached.

    Attributes:
        permanent: False for 408/429/5xx, timeouts and connection failures; True otherwise.
        status_code: the HTTP status, or None when no response arrived.
        error_codes: Square's error ``code`` values in order, e.g.
            ``("MISSING_REQUIRED_PARAMETER",)`` or ``("RATE_LIMITED",)``; empty when no
            response arrived. See https://developer.squareup.com/docs/build-basics/handling-errors
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status_code: int | None = None,
        error_codes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, permanent=permanent)
        self.status_code = status_code
        self.error_codes = error_codes


def _transient_status(status: int | None) -> bool:
    """Retryable: no answer, an unreadable non-error, Square's 408, or 429/5xx (shared rule)."""
    return status is None or status == 408 or status < 400 or is_transient_status(status)


def _api_error(operation: str, exc: ApiError) -> SquareApiError:
    """Turn an SDK ``ApiError`` into a :class:`SquareApiError` naming Square's codes.

    The message holds the status and each error's category/code/detail/field; never headers
    or the request (which carries the access token).
    """
    status = exc.status_code
    parts: list[str] = []
    codes: list[str] = []
    for err in exc.errors or []:
        code = str(err.code or "")
        if code:
            codes.append(code)
        piece = "/".join(str(x) for x in (err.category, err.code) if x)
        if err.detail:
            piece += f": {str(err.detail)[:_DETAIL_MAX]}"
        if err.field:
            piece += f" (field {err.field})"
        parts.append(piece)
    detail = "; ".join(p for p in parts if p) or "no error details"
    return SquareApiError(
        f"Square {operation} failed: HTTP {status}: {detail}",
        permanent=not _transient_status(status),
        status_code=status,
        error_codes=tuple(codes),
    )


def _raise_mapped(operation: str, exc: Exception) -> NoReturn:
    """Raise the :class:`SquareApiError` for ``exc``; SDK/httpx exceptions are not chained.

    ``from None`` keeps the SDK's frames (whose locals hold the Authorization header) out of
    any traceback a logger might render.
    """
    if isinstance(exc, ApiError):
        raise _api_error(operation, exc) from None
    if isinstance(exc, httpx.RequestError):  # timeouts, connection and protocol failures
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "got no answer"
        msg = f"Square {operation} {what} ({type(exc).__name__})"
        raise SquareApiError(msg, permanent=False) from None
    raise exc


def _fit_key(key: str, limit: int) -> str:
    """``key`` if Square accepts its length, else a stable digest (retries stay idempotent)."""
    if len(key.encode("utf-8")) <= limit:
        return key
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:limit]


def _check_amount(amount_cents: int, currency: str) -> str:
    """Validate a positive integer amount; return the upper-cased currency code.

    Raises:
        SquareApiError: (permanent) the amount is not a positive int or currency is empty.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise SquareApiError(
            f"amount_cents must be a positive integer, got {amount_cents!r}", permanent=True
        )
    code = (currency or "").strip().upper()
    if len(code) != 3:
        raise SquareApiError(f"currency must be an ISO 4217 code, got {currency!r}", permanent=True)
    return code


class SquareDeposits:
    """:class:`~payments.base.DepositProvider` backed by Square quick-pay payment links.

    Args:
        access_token: a Square access token (``SQUARE_ACCESS_TOKEN``). Kept only inside the
            SDK client; never logged, never in ``repr`` or error messages.
        location_id: the Square location that takes the deposits (``SQUARE_LOCATION_ID``).
        environment: ``"sandbox"`` (default) or ``"production"`` (``SQUARE_ENVIRONMENT``).
        base_url: overrides the environment's API host (tests, proxies).
        redirect_url: where Square sends the patient after paying (optional).
        timeout_seconds: per-request HTTP timeout; a timeout is a transient ``PaymentError``.
        httpx_client: an ``httpx.Client`` to use instead of a new one (connection reuse, tests).

    Raises:
        ValueError: empty token or location, or an unknown environment.
    """

    name = "square"

    def __init__(
        self,
        access_token: str,
        location_id: str,
        environment: Literal["sandbox", "production"] = "sandbox",
        base_url: str | None = None,
        *,
        redirect_url: str | None = None,
        timeout_seconds: float = 20.0,
        httpx_client: httpx.Client | None = None,
    ) -> None:
        if not access_token:
            raise ValueError("Square access token is empty")
        if not location_id:
            raise ValueError("Square location id is empty")
        envs = {"sandbox": SquareEnvironment.SANDBOX, "production": SquareEnvironment.PRODUCTION}
        if environment not in envs:
            raise ValueError(
                f"SQUARE_ENVIRONMENT must be sandbox or production, not {environment!r}"
            )
        self.location_id = location_id
        self.environment = environment
        self.redirect_url = redirect_url
        self._client = Square(
            token=access_token,
            environment=envs[environment],
            base_url=base_url,
            timeout=timeout_seconds,
            httpx_client=httpx_client,
        )

    def __repr__(self) -> str:
        return f"SquareDeposits(location_id={self.location_id!r}, environment={self.environment!r})"

    def create_link(
        self, *, idempotency_key: str, amount_cents: int, currency: str, title: str, note: str
    ) -> PaymentLink:
        """Create a quick-pay payment link (POST /v2/online-checkout/payment-links).

        Args:
            idempotency_key: stable per deposit; the same key returns the same link. Keys over
                Square's 192-character limit are replaced by a stable digest.
            amount_cents: the deposit in the currency's smallest unit (cents); must be > 0.
            currency: ISO 4217 code, e.g. "USD" (must be the location's currency).
            title: the line-item name the patient sees, e.g. "Botox deposit".
            note: added to the resulting Square ``Payment`` as its note (staff-facing).

        Returns:
            ``PaymentLink(id, url, order_id)``: Square's link id, its short ``url`` (falling back
            to ``long_url``), and the ``order_id`` that ``payment.updated`` events carry.

        Raises:
            SquareApiError: (a ``PaymentError``) permanent for 4xx other than 408/429 and for
                bad arguments; transient for 408/429/5xx, timeouts and connection errors.

        Docs: https://developer.squareup.com/reference/square/checkout-api/create-payment-link
        """
        code = _check_amount(amount_cents, currency)
        if not idempotency_key:
            raise SquareApiError("idempotency_key is empty", permanent=True)
        checkout_options: CheckoutOptionsParams = {"allow_tipping": False}
        if self.redirect_url:
            checkout_options["redirect_url"] = self.redirect_url
        extra: dict[str, Any] = {}
        if note:
            extra["payment_note"] = note[:_NOTE_MAX]
        try:
            resp = self._client.checkout.payment_links.create(
                idempotency_key=_fit_key(idempotency_key, _LINK_KEY_MAX),
                quick_pay={
                    "name": (title or "Deposit")[:_NAME_MAX],
                    "price_money": {"amount": amount_cents, "currency": code},
                    "location_id": self.location_id,
                },
                checkout_options=checkout_options,
                request_options=_NO_RETRIES,
                **extra,
            )
        except (ApiError, httpx.HTTPError) as exc:
            _raise_mapped("create payment link", exc)
        link = resp.payment_link
        url = (link.url or link.long_url) if link is not None else None
        if link is None or not link.id or not url or not link.order_id:
            raise SquareApiError(
                "Square create payment link returned no complete payment_link", permanent=False
            )
        return PaymentLink(id=link.id, url=url, order_id=link.order_id)

    def cancel_link(self, link_id: str) -> None:
        """Delete a payment link (DELETE /v2/online-checkout/payment-links/{id}).

        Square also cancels the link's order, so it can no longer be paid. A 404 means the
        link is already gone (e.g. a retry after a lost response) and counts as success.

        Raises:
            SquareApiError: as for :meth:`create_link`.

        Docs: https://developer.squareup.com/reference/square/checkout-api/delete-payment-link
        """
        if not link_id:
            raise SquareApiError("link_id is empty", permanent=True)
        try:
            self._client.checkout.payment_links.delete(link_id, request_options=_NO_RETRIES)
        except ApiError as exc:
            if exc.status_code == 404:
                return
            _raise_mapped("delete payment link", exc)
        except httpx.HTTPError as exc:
            _raise_mapped("delete payment link", exc)

    def refund(
        self,
        *,
        idempotency_key: str,
        payment_id: str,
        amount_cents: int,
        currency: str,
        reason: str,
    ) -> Refund:
        """Refund part or all of a payment (POST /v2/refunds).

        Args:
            idempotency_key: stable per refund; keys over Square's 45-character limit are
                replaced by a stable digest.
            payment_id: the Square ``Payment`` id (from the ``payment.updated`` event).
            amount_cents: amount to refund in the smallest currency unit; must be > 0.
            currency: ISO 4217 code of the payment.
            reason: shown to the seller in Square (truncated to 192 characters).

        Returns:
            ``Refund(id, status)``; status is usually ``"PENDING"`` then moves to ``COMPLETED``,
            ``REJECTED`` or ``FAILED`` (reported by ``refund.updated`` events).

        Raises:
            SquareApiError: as for :meth:`create_link`.

        Docs: https://developer.squareup.com/reference/square/refunds-api/refund-payment
        """
        code = _check_amount(amount_cents, currency)
        if not idempotency_key or not payment_id:
            raise SquareApiError("idempotency_key and payment_id are required", permanent=True)
        extra: dict[str, Any] = {}
        if reason:
            extra["reason"] = reason[:_REASON_MAX]
        try:
            resp = self._client.refunds.refund_payment(
                idempotency_key=_fit_key(idempotency_key, _REFUND_KEY_MAX),
                amount_money={"amount": amount_cents, "currency": code},
                payment_id=payment_id,
                request_options=_NO_RETRIES,
                **extra,
            )
        except (ApiError, httpx.HTTPError) as exc:
            _raise_mapped("refund payment", exc)
        refund = resp.refund
        if refund is None or not refund.id:
            raise SquareApiError("Square refund payment returned no refund", permanent=False)
        return Refund(id=refund.id, status=refund.status or "PENDING")


def verify_signature(
    signature_key: str,
    notification_url: str,
    raw_body: bytes | str,
    signature: str | None,
) -> bool:
    """Check a Square webhook's ``x-square-hmacsha256-signature`` header.

    The signature is ``base64(HMAC-SHA256(signature_key, notification_url + raw_body))``,
    computed by the SDK's ``square.utils.webhooks_helper.verify_signature`` (constant-time
    compare).

    Args:
        signature_key: the subscription's signature key (``SQUARE_WEBHOOK_SIGNATURE_KEY``).
        notification_url: the exact URL configured in Square for the subscription
            (built from ``PUBLIC_BASE_URL`` + ``/webhooks/square``).
        raw_body: the request body exactly as received (bytes, or already-decoded text).
        signature: the header value, or None when it was absent.

    Returns:
        True only when the signature matches. False for a missing/empty signature, body, key
        or URL, or a body that is not UTF-8. Never raises.

    Docs: https://developer.squareup.com/docs/webhooks/step3validate
    """
    if not signature or not signature_key or not notification_url or not raw_body:
        return False
    if isinstance(raw_body, bytes):
        try:
            body = raw_body.decode("utf-8")
        except UnicodeDecodeError:
            return False
    else:
        body = raw_body
    try:
        return _sdk_verify_signature(
            request_body=body,
            signature_header=signature.strip(),
            signature_key=signature_key,
            notification_url=notification_url,
        )
    except (ValueError, UnicodeError):
        return False


class MalformedEvent(ValueError):
    """A webhook payload is not a Square event we can read (answer 400, store nothing)."""


@dataclass(frozen=True)
class SquareEvent:
    """The parts of a Square webhook event the booking flow acts on.

    Attributes:
        event_id: Square's unique event id (dedupe on it).
        type: e.g. ``"payment.updated"``, ``"refund.updated"``.
        payment_id: the payment's id (payment events), or the refunded payment (refund events).
        order_id: the payment's order; equals ``PaymentLink.order_id`` for link payments. For
            refund events it is the refund's order; join refunds on ``payment_id`` instead.
        payment_status: APPROVED, PENDING, COMPLETED, CANCELED or FAILED (payment events).
        refund_id, refund_status: PENDING, COMPLETED, REJECTED or FAILED (refund events).
        amount_cents: ``amount_money.amount`` of the payment or refund (smallest unit).
        currency: ``amount_money.currency``.

    Fields that do not apply to the event type, or are absent, are None.
    """

    event_id: str
    type: str
    payment_id: str | None = None
    order_id: str | None = None
    payment_status: str | None = None
    refund_id: str | None = None
    refund_status: str | None = None
    amount_cents: int | None = None
    currency: str | None = None

    @property
    def is_payment_completed(self) -> bool:
        """True for a payment event whose payment status is COMPLETED (the deposit is paid)."""
        return self.type.startswith("payment.") and self.payment_status == "COMPLETED"


_PAYMENT_TYPES = frozenset({"payment.created", "payment.updated"})
_REFUND_TYPES = frozenset({"refund.created", "refund.updated"})


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """``obj[key]`` as a non-empty string, or None when absent/null/empty."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedEvent(f"{where}.{key} must be a string")
    return value


def _money(obj: Mapping[str, Any], key: str, where: str) -> tuple[int | None, str | None]:
    """``(amount, currency)`` from a Money object at ``obj[key]``, Nones when absent."""
    money = obj.get(key)
    if money is None:
        return None, None
    if not isinstance(money, Mapping):
        raise MalformedEvent(f"{where}.{key} must be an object")
    amount = money.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise MalformedEvent(f"{where}.{key}.amount must be an integer")
    return amount, _opt_str(money, "currency", f"{where}.{key}")


def _data_object(payload: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """``payload["data"]["object"][name]``, required for payment and refund events."""
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    inner = obj.get(name) if isinstance(obj, Mapping) else None
    if not isinstance(inner, Mapping):
        raise MalformedEvent(f"data.object.{name} is missing")
    if _opt_str(inner, "id", f"data.object.{name}") is None:
        raise MalformedEvent(f"data.object.{name}.id is missing")
    return inner


def parse_event(payload: Any) -> SquareEvent:
    """Read a decoded Square webhook body into a :class:`SquareEvent`.

    Handles ``payment.created``/``payment.updated`` (``data.object.payment``: id, order_id,
    status, amount_money) and ``refund.created``/``refund.updated`` (``data.object.refund``:
    id, status, payment_id, order_id, amount_money). Any other type parses with only
    ``event_id`` and ``type`` set. Call :func:`verify_signature` on the raw body first.

    Args:
        payload: the JSON-decoded request body, e.g.
            ``{"merchant_id": ..., "type": "payment.updated", "event_id": ..., "created_at": ...,
            "data": {"type": "payment", "id": ..., "object": {"payment": {...}}}}``.

    Returns:
        The parsed event; money in the smallest currency unit (cents). An ``event_id`` or
        ``type`` longer than its :class:`~payments.models.PaymentEvent` column is shortened
        stably (``app.untrusted.fit``), so the event is stored and a redelivery still dedupes.

    Raises:
        MalformedEvent: ``payload`` is not an object; ``event_id`` or ``type`` is missing;
            a payment/refund event lacks its object or id; a field has the wrong JSON type.

    Docs: https://developer.squareup.com/reference/square/webhooks/payment.updated and
    https://developer.squareup.com/docs/refunds-api/webhooks
    """
    if not isinstance(payload, Mapping):
        raise MalformedEvent("a Square event must be a JSON object")
    event_id = _opt_str(payload, "event_id", "event")
    event_type = _opt_str(payload, "type", "event")
    if event_id is None or event_type is None:
        raise MalformedEvent("a Square event needs event_id and type")
    event_id, event_type = fit(event_id, EVENT_ID_LENGTH), fit(event_type, EVENT_TYPE_LENGTH)
    if event_type in _PAYMENT_TYPES:
        where = "data.object.payment"
        payment = _data_object(payload, "payment")
        amount, currency = _money(payment, "amount_money", where)
        if amount is None:
            amount, currency = _money(payment, "total_money", where)
        return SquareEvent(
            event_id=event_id,
            type=event_type,
            payment_id=_opt_str(payment, "id", where),
            order_id=_opt_str(payment, "order_id", where),
            payment_status=_opt_str(payment, "status", where),
            amount_cents=amount,
            currency=currency,
        )
    if event_type in _REFUND_TYPES:
        where = "data.object.refund"
        refund = _data_object(payload, "refund")
        amount, currency = _money(refund, "amount_money", where)
        return SquareEvent(
            event_id=event_id,
            type=event_type,
            payment_id=_opt_str(refund, "payment_id", where),
            order_id=_opt_str(refund, "order_id", where),
            refund_id=_opt_str(refund, "id", where),
            refund_status=_opt_str(refund, "status", where),
            amount_cents=amount,
            currency=currency,
        )
    return SquareEvent(event_id=event_id, type=event_type)
