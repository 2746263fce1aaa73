"""Money formatting for patient-facing text: integer cents in, "$50.00" out."""

from __future__ import annotations

__all__ = ["format_money"]

# Symbols for the currencies a US/Canadian/UK/Australian clinic is likely to bill in. Any other
# ISO 4217 code is shown after the amount ("12.34 CHF"), which is unambiguous if less pretty.
_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "CAD": "CA$",
    "AUD": "A$",
    "GBP": "£",
    "EUR": "€",
    "JPY": "¥",
}

# Currencies whose smallest unit is the whole unit (Square amounts are in the smallest unit).
# https://developer.squareup.com/docs/build-basics/common-data-types/working-with-monetary-amounts
_ZERO_DECIMAL: frozenset[str] = frozenset({"JPY", "KRW"})


def format_money(amount_cents: int, currency: str = "USD") -> str:
    """Format an amount in the currency's smallest unit for people to read.

    Args:
        amount_cents: the amount in the smallest unit of ``currency`` (cents for USD, CAD, EUR,
            ...; whole yen for JPY), as Square and this project store money. May be negative.
        currency: ISO 4217 code, case-insensitive; "USD" by default.

    Returns:
        A string such as ``"$50.00"``, ``"$1,234.50"``, ``"-$5.00"``, ``"¥500"`` or, for a
        currency without a known symbol, ``"12.34 CHF"``.

    Raises:
        TypeError: ``amount_cents`` is not an ``int`` (floats are refused so that rounding
            errors cannot reach a patient).
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError(f"amount_cents must be an int, got {type(amount_cents).__name__}")
    code = (currency or "USD").strip().upper()
    sign = "-" if amount_cents < 0 else ""
    magnitude = abs(amount_cents)
    if code in _ZERO_DECIMAL:
        number = f"{magnitude:,}"
    else:
        number = f"{magnitude // 100:,}.{magnitude % 100:02d}"
    symbol = _SYMBOLS.get(code)
    if symbol is None:
        return f"{sign}{number} {code}"
    return f"{sign}{symbol}{number}"
