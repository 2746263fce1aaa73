"""The local test checkout page and money formatting."""

from __future__ import annotations

import pytest

from payments.money import format_money
from payments.templates import render_checkout_page


def _page(**overrides: object) -> str:
    args: dict[str, object] = {
        "clinic_name": "Glow Med Spa",
        "title": "Botox deposit",
        "amount_cents": 5000,
        "currency": "USD",
        "pay_url": "/checkout/loc_abc/pay",
        "state": "open",
    }
    args.update(overrides)
    return render_checkout_page(**args)  # type: ignore[arg-type]


def test_open_page_has_amount_button_and_form() -> None:
    html = _page()
    assert html.startswith("<!doctype html>")
    assert '<meta name="viewport"' in html
    assert '<form method="post" action="/checkout/loc_abc/pay">' in html
    assert "Pay $50.00 deposit" in html
    assert "Test checkout — no card is charged" in html
    assert "Glow Med Spa" in html and "Botox deposit" in html
    assert "<script" not in html


def test_paid_and_closed_states_have_no_form() -> None:
    paid = _page(state="paid", message="See you Thursday at 4:00 PM")
    assert "Paid, thank you" in paid and "<form" not in paid
    assert "See you Thursday at 4:00 PM" in paid
    closed = _page(state="closed")
    assert "This link is no longer active" in closed and "<form" not in closed
    assert "Test checkout" in closed


def test_inputs_are_escaped() -> None:
    evil = '<script>alert("x")</script>'
    html = _page(
        clinic_name=evil,
        title=f"{evil} & more",
        message=evil,
        pay_url='https://spa.example/pay?a=1&b="><script>',
    )
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "&amp; more" in html
    assert 'action="https://spa.example/pay?a=1&amp;b=&quot;&gt;&lt;script&gt;"' in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "pay", "//evil"])
def test_unsafe_pay_url_refused(url: str) -> None:
    with pytest.raises(ValueError):
        _page(pay_url=url)


def test_unknown_state_refused() -> None:
    with pytest.raises(ValueError):
        _page(state="refunded")


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (5000, "USD", "$50.00"),
        (5, "USD", "$0.05"),
        (0, "usd", "$0.00"),
        (123456, "USD", "$1,234.56"),
        (-500, "USD", "-$5.00"),
        (2500, "CAD", "CA$25.00"),
        (2500, "GBP", "£25.00"),
        (500, "JPY", "¥500"),
        (1234, "CHF", "12.34 CHF"),
    ],
)
def test_format_money(cents: int, currency: str, text: str) -> None:
    assert format_money(cents, currency) == text


def test_format_money_default_and_type() -> None:
    assert format_money(5000) == "$50.00"
    with pytest.raises(TypeError):
        format_money(50.0)  # type: ignore[arg-type]
