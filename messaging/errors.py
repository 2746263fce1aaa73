"""Errors raised by the carrier adapters while reading a webhook.

Both carry a short description of *what* is wrong (a missing header, a field name), never the
message text or a full phone number, so they are safe to log and to return in a 4xx body.
"""

from __future__ import annotations


class InvalidSignature(Exception):  # noqa: N818 - the name is the shared contract
    """The webhook's signature is missing, malformed, stale or does not match the body.

    The web layer answers 403 (or 401) and does nothing else with the request.
    """


class MalformedPayload(Exception):  # noqa: N818 - the name is the shared contract
    """The webhook body is not shaped like the carrier's documented payload.

    Raised after the signature checked out, so it means a carrier change or a bug, not an
    attacker; the web layer answers 400 and logs the message (which names fields, not values).
    """
