"""The floor for ``bench/webhooks.py``: a bare WSGI app that answers 200 ``ok`` to any request.

Served by the same gunicorn configuration as frontdesk (``bench.bare_wsgi:app``), it measures
what the server, the loopback and the load generator cost before any application code runs.
The request body is read (as a webhook handler must) and discarded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Read the body, answer ``200 ok``."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]
