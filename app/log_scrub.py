"""The last guard before a log line is written: no patient data, no payment-link ids.

Callers already mask numbers (:func:`messaging.phones.mask`) and never log message text; this
structlog processor holds the rule even when a caller slips: every E.164 number in any value
(plain or URL-encoded, inside a longer string or an exception's traceback) is masked, and
fields that carry a message body or a payment link are dropped whole. It runs for structlog's
own loggers and, through :class:`structlog.stdlib.ProcessorFormatter`, for the standard
library's (vendor adapters, gunicorn's error and access logs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

from messaging.phones import mask

#: Keys whose value is dropped whatever it holds (a message body, a payment link or its id).
DROPPED_KEYS = frozenset(
    {
        "body",
        "text",
        "message_body",
        "content",
        "sms",
        "summary",
        "payment_link",
        "payment_link_id",
        "payment_url",
        "link",
        "link_id",
        "link_url",
        "checkout_url",
        "url",
    }
)
#: Key endings dropped the same way (``reply_body``, ``deposit_link_id``, ``square_link_url``).
DROPPED_SUFFIXES = ("_body", "_text", "link_id", "_link", "link_url", "_payment_url")
#: What a dropped value is replaced by (the key stays, so a reader sees something was there).
DROPPED = "[dropped]"

#: An E.164 number (``+`` or URL-encoded ``%2B``, 8 to 15 digits) not glued to other digits.
_E164 = re.compile(r"(?<![\w*])(?:\+|%2[Bb])(\d{8,15})(?!\d)")
#: Payment links and their ids: Square's hosted links, and the local checkout's ``loc_<hex>``.
_PAYMENT_LINK = re.compile(
    r"https?://(?:[\w-]+\.)*square\.link/\S+|https?://\S+/checkout/\S+|\bloc_[0-9a-f]{6,}\b"
)


def scrub_text(text: str) -> str:
    """Mask every E.164 number in ``text`` and replace payment links and their ids.

    Args:
        text: any string (a log message, a field value, a formatted traceback).

    Returns:
        ``text`` with ``+15125550123`` as ``+1512*****23`` and links as ``[payment link]``.
    """
    text = _PAYMENT_LINK.sub("[payment link]", text)
    return _E164.sub(lambda m: mask("+" + m.group(1)), text)


def _dropped(key: str) -> bool:
    lowered = key.lower()
    return lowered in DROPPED_KEYS or lowered.endswith(DROPPED_SUFFIXES)


def _scrub_value(value: Any) -> Any:
    """Scrub strings, and the strings inside lists, tuples and dicts, recursively."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: (DROPPED if _dropped(str(k)) else _scrub_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub_value(v) for v in value]
    return value


def scrub(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: drop body and payment-link fields, mask numbers everywhere else.

    Args:
        _logger: unused (structlog's processor signature).
        _method: unused.
        event_dict: the log event; ``event`` (the message) is scrubbed like any value.

    Returns:
        The same mapping, scrubbed in place. Keys starting with ``_`` (structlog's own
        ``_record`` and ``_from_structlog``) are left alone.
    """
    for key in list(event_dict):
        if key.startswith("_") or key == "event" and not isinstance(event_dict[key], str):
            continue
        if key != "event" and _dropped(key):
            event_dict[key] = DROPPED
        else:
            event_dict[key] = _scrub_value(event_dict[key])
    return event_dict
