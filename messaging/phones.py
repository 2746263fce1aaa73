"""Phone-number helpers: E.164 normalisation (via ``phonenumbers``) and masking for logs."""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str, default_region: str = "US", *, strict: bool = False) -> str:
    """Normalise a phone number as people write it to E.164 (``+15125550123``).

    Args:
        raw: the number in any common notation ("(512) 555-0123", "+1 512 555 0123",
            "512.555.0123"); numbers without a ``+`` are read in ``default_region``.
        default_region: ISO 3166 region used when ``raw`` has no country code.
        strict: when False (the default) a number only has to be *possible* (the right length
            for its country), so fictional test numbers such as ``+1555...`` are accepted; when
            True it must also be valid in the numbering plan (``phonenumbers.is_valid_number``).

    Returns:
        The number as ``+`` country code and national number, digits only.

    Raises:
        ValueError: ``raw`` cannot be parsed, or is not a possible (or, if ``strict``, valid)
            number. The message does not repeat the number.

    Source: libphonenumber (https://github.com/google/libphonenumber) via ``phonenumbers``.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("phone number is empty")
    try:
        parsed = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("phone number cannot be parsed") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("phone number has the wrong length for its country")
    if strict and not phonenumbers.is_valid_number(parsed):
        raise ValueError("phone number is not valid in its numbering plan")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str | None) -> str:
    """Mask a phone number for logs: keep the country code, 3 more digits and the last 2.

    Examples: ``+15125550123`` -> ``+1512*****23``; ``+442079460958`` -> ``+44207*****58``.
    Values that are not E.164 (short codes, "anonymous", garbage) keep at most their last 2
    characters, so nothing identifying ever reaches a log line.

    Args:
        phone: any string (or None).

    Returns:
        The masked string; ``"<none>"`` for None or empty input.
    """
    if not phone:
        return "<none>"
    phone = phone.strip()
    digits = phone[1:] if phone.startswith("+") else ""
    if digits.isdigit() and len(digits) >= 8:
        cc_len = _country_code_length(digits)
        keep_head = cc_len + 3
        hidden = len(digits) - keep_head - 2
        if hidden >= 1:
            return "+" + digits[:keep_head] + "*" * hidden + digits[-2:]
    tail = phone[-2:] if len(phone) > 4 else ""
    return "*" * max(len(phone) - len(tail), 1) + tail


def _country_code_length(digits: str) -> int:
    """Length of the ITU country calling code at the start of ``digits`` (1 to 3)."""
    for length in (1, 2, 3):
        code = int(digits[:length])
        if phonenumbers.region_code_for_country_code(code) != phonenumbers.UNKNOWN_REGION:
            return length
    return 1
