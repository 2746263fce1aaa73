"""Helpers for tests and the scenario runner: sign webhooks the way the carriers do.

Not used on any production path. The fixed key is RFC 8032 section 7.1 test 1, the same key
behind the self-made vector in ``shared/reference/protocols.md``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

from nacl.signing import SigningKey
from twilio.request_validator import RequestValidator

TEST_TELNYX_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
"""32-byte Ed25519 private seed (RFC 8032 test 1); its public key is ``TEST_TELNYX_PUBLIC_KEY``."""

TEST_TELNYX_PUBLIC_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


def sign_telnyx(body: bytes, timestamp: int, private_seed: bytes) -> str:
    """Sign a webhook body as Telnyx does: Ed25519 over ``f"{timestamp}|{body}"``.

    Args:
        body: the exact bytes that will be POSTed.
        timestamp: unix seconds, also sent as the ``telnyx-timestamp`` header.
        private_seed: the 32-byte Ed25519 seed (e.g. ``TEST_TELNYX_SEED``).

    Returns:
        The base64 signature for the ``telnyx-signature-ed25519`` header.

    Raises:
        ValueError: ``private_seed`` is not 32 bytes.
    """
    if len(private_seed) != 32:
        raise ValueError("Ed25519 seed must be 32 bytes")
    signed = SigningKey(private_seed).sign(str(timestamp).encode("ascii") + b"|" + body)
    return base64.b64encode(signed.signature).decode("ascii")


def telnyx_public_key(private_seed: bytes) -> str:
    """The base64 Ed25519 public key (``TELNYX_PUBLIC_KEY``) for ``private_seed``."""
    return base64.b64encode(bytes(SigningKey(private_seed).verify_key)).decode("ascii")


def telnyx_headers(
    body: bytes, timestamp: int, private_seed: bytes = TEST_TELNYX_SEED
) -> dict[str, str]:
    """The two signature headers Telnyx would send with ``body`` at ``timestamp``."""
    return {
        "telnyx-signature-ed25519": sign_telnyx(body, timestamp, private_seed),
        "telnyx-timestamp": str(timestamp),
    }


def sign_twilio(url: str, params: Mapping[str, str | Sequence[str]], auth_token: str) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for a form POST to ``url``.

    Args:
        url: the full URL (as configured at Twilio, query string included).
        params: the form fields; list values stand for repeated keys.
        auth_token: the account auth token.

    Returns:
        The base64 HMAC-SHA1 signature (``RequestValidator.compute_signature``).
    """
    flat: dict[str, list[str]] = {
        k: [v] if isinstance(v, str) else list(v) for k, v in params.items()
    }

    class _Form(dict[str, list[str]]):
        def getlist(self, key: str) -> list[str]:
            return self[key]

    return str(RequestValidator(auth_token).compute_signature(url, _Form(flat)))
