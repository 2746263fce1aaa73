"""The local test checkout page (embedded default): one self-contained, mobile-friendly page.

The HTML lives here rather than in a ``.html`` file so that it ships with the package without
package-data configuration. Every value is HTML-escaped; the page has no scripts and no
external resources.
"""

from __future__ import annotations

from html import escape
from typing import Literal
from urllib.parse import urlsplit

from payments.money import format_money

__all__ = ["CheckoutState", "render_checkout_page"]

CheckoutState = Literal["open", "paid", "closed"]

_TEST_NOTICE = "Test checkout — no card is charged"

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,
sans-serif;background:#f5f5f7;color:#1d1d1f;line-height:1.45}
main{max-width:420px;margin:0 auto;padding:24px 16px}
.notice{background:#fff4d6;border:1px solid #f0c36d;border-radius:10px;padding:10px 12px;
font-size:14px;margin-bottom:16px;text-align:center}
.card{background:#fff;border-radius:14px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:24px}
.clinic{font-size:14px;color:#6e6e73;margin:0 0 4px}
h1{font-size:22px;margin:0 0 16px}
.amount{font-size:34px;font-weight:600;margin:0 0 20px}
.message{margin:0 0 20px}
button{width:100%;border:0;border-radius:10px;padding:14px;font-size:17px;font-weight:600;
background:#006aff;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #99c2ff;outline-offset:2px}
.state{border-radius:10px;padding:14px;font-weight:600;text-align:center;margin:0}
.paid{background:#e3f6e8;color:#146c2e}
.closed{background:#eeeeef;color:#3a3a3c}
"""


def _check_pay_url(pay_url: str) -> str:
    """Accept an http(s) URL or a site-relative path; refuse anything else (javascript:...)."""
    parts = urlsplit(pay_url)
    relative = not parts.scheme and not parts.netloc and pay_url.startswith("/")
    if not (relative or (parts.scheme in ("http", "https") and parts.netloc)):
        raise ValueError(f"pay_url must be an http(s) URL or a path, got {pay_url!r}")
    return pay_url


def render_checkout_page(
    *,
    clinic_name: str,
    title: str,
    amount_cents: int,
    currency: str,
    pay_url: str,
    state: CheckoutState,
    message: str = "",
) -> str:
    """Render the local test checkout page for one deposit.

    Args:
        clinic_name: shown above the title, e.g. "Bloom Aesthetics".
        title: what is being paid for, e.g. "Botox deposit".
        amount_cents: the deposit in the smallest currency unit (cents), shown as "$50.00".
        currency: ISO 4217 code, e.g. "USD".
        pay_url: where the "Pay" form POSTs (http(s) URL or a path starting with "/").
        state: ``"open"`` shows the pay button; ``"paid"`` shows "Paid, thank you";
            ``"closed"`` shows "This link is no longer active".
        message: optional extra line (e.g. "Your appointment is confirmed for Thu 4:00 PM").

    Returns:
        A complete UTF-8 HTML document (str). All inputs are HTML-escaped; no scripts.

    Raises:
        ValueError: unknown ``state`` or an unacceptable ``pay_url``.
        TypeError: ``amount_cents`` is not an int.
    """
    if state not in ("open", "paid", "closed"):
        raise ValueError(f"state must be open, paid or closed, got {state!r}")
    amount = format_money(amount_cents, currency)
    if state == "open":
        body = (
            f'<form method="post" action="{escape(_check_pay_url(pay_url), quote=True)}">'
            f'<button type="submit">Pay {escape(amount)} deposit</button></form>'
        )
    elif state == "paid":
        body = '<p class="state paid" role="status">Paid, thank you</p>'
    else:
        body = '<p class="state closed" role="status">This link is no longer active</p>'
    extra = f'<p class="message">{escape(message)}</p>' if message else ""
    page_title = f"{title} · {clinic_name}" if clinic_name else title
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(page_title)}</title><style>{_STYLE}</style></head>\n"
        "<body><main>"
        f'<p class="notice" role="note">{escape(_TEST_NOTICE)}</p>'
        '<section class="card">'
        f'<p class="clinic">{escape(clinic_name)}</p>'
        f"<h1>{escape(title)}</h1>"
        f'<p class="amount">{escape(amount)}</p>'
        f"{extra}{body}"
        "</section></main></body></html>\n"
    )
