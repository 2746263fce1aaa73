"""Signing helpers for tests (re-exported from ``app.eval.signing``, where the scenario runner uses them)."""

from app.eval.signing import (
    TEST_TELNYX_PUBLIC_KEY,
    TEST_TELNYX_SEED,
    sign_telnyx,
    sign_twilio,
    telnyx_headers,
    telnyx_public_key,
)

__all__ = [
    "TEST_TELNYX_PUBLIC_KEY",
    "TEST_TELNYX_SEED",
    "sign_telnyx",
    "sign_twilio",
    "telnyx_headers",
    "telnyx_public_key",
]
