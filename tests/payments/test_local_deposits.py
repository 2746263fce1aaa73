"""LocalDeposits: deterministic, stateless test-checkout links."""

from __future__ import annotations

import pytest

from payments.base import DepositProvider, PaymentError, PaymentLink, Refund
from payments.local import LocalDeposits, local_payment_id


def _link(provider: LocalDeposits, key: str, amount: int = 5000) -> PaymentLink:
    return provider.create_link(
        idempotency_key=key, amount_cents=amount, currency="USD", title="Botox deposit", note=""
    )


def test_satisfies_protocol() -> None:
    provider: DepositProvider = LocalDeposits("http://127.0.0.1:5000")
    assert provider.name == "local"


def test_same_key_same_link_across_instances() -> None:
    a = _link(LocalDeposits("http://127.0.0.1:5000/"), "deposit-1")
    b = _link(LocalDeposits("http://127.0.0.1:5000"), "deposit-1")
    assert a == b
    assert a.id.startswith("loc_") and a.order_id.startswith("lord_")
    assert a.url == f"http://127.0.0.1:5000/checkout/{a.id}"
    assert a.id[4:] == a.order_id[5:]


def test_different_keys_different_links() -> None:
    provider = LocalDeposits("https://spa.example")
    a, b = _link(provider, "deposit-1"), _link(provider, "deposit-2")
    assert a.id != b.id and a.order_id != b.order_id


def test_cancel_is_a_stateless_no_op() -> None:
    provider = LocalDeposits("https://spa.example")
    link = _link(provider, "deposit-1")
    provider.cancel_link(link.id)
    assert _link(provider, "deposit-1") == link


def test_refund_completes_deterministically() -> None:
    provider = LocalDeposits("https://spa.example")
    kwargs = dict(payment_id="lpay_x", amount_cents=5000, currency="USD", reason="expired")
    first = provider.refund(idempotency_key="refund-1", **kwargs)  # type: ignore[arg-type]
    again = provider.refund(idempotency_key="refund-1", **kwargs)  # type: ignore[arg-type]
    other = provider.refund(idempotency_key="refund-2", **kwargs)  # type: ignore[arg-type]
    assert first == again
    assert first.status == "COMPLETED" and first.id.startswith("lref_")
    assert isinstance(first, Refund) and other.id != first.id


def test_local_payment_id() -> None:
    order_id = _link(LocalDeposits("https://spa.example"), "deposit-1").order_id
    assert local_payment_id(order_id) == local_payment_id(order_id)
    assert local_payment_id(order_id).startswith("lpay_")
    assert local_payment_id(order_id) != local_payment_id(order_id + "x")


@pytest.mark.parametrize("amount", [0, -100])
def test_bad_amount_is_permanent(amount: int) -> None:
    with pytest.raises(PaymentError) as info:
        _link(LocalDeposits("https://spa.example"), "k", amount)
    assert info.value.permanent is True


def test_empty_key_and_base_url_refused() -> None:
    with pytest.raises(PaymentError):
        _link(LocalDeposits("https://spa.example"), "")
    with pytest.raises(ValueError):
        LocalDeposits("")
