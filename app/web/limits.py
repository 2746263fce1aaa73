"""Limits on what a request may make the app read, set on the app by ``create_app``.

A webhook is public: anyone can POST to it before any signature is checked, and Twilio's
signature needs the parsed form. So a request declaring a ``Content-Length`` over its route's
cap is a 413 before any view runs, without reading a byte; a body sent without one (chunked)
is read only up to the cap, never further (Werkzeug's ``LimitedStream``); and a form may hold
only so many fields, whatever its encoding. Flask's settings
(https://flask.palletsprojects.com/en/stable/config/#MAX_CONTENT_LENGTH, ``MAX_FORM_MEMORY_SIZE``
and ``MAX_FORM_PARTS``) do the first and cap multipart forms; Werkzeug does not count the fields
of a urlencoded form (``FormDataParser._parse_urlencoded`` reads it whole and parses every
field), which :class:`LimitedRequest` adds. A route that needs more (the knowledge API's
clinic files) is given its own cap by endpoint name in :func:`install`.

A NUL in the URL path names nothing we serve: it is a 404 before any view runs (a NUL reaching
a Postgres query as a clinic id or link id was a 500).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from flask import Flask, Request, abort, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

#: The largest request body any route reads by default, in bytes (1 MiB). Carrier and Square
#: webhooks are a few kilobytes (shared/reference/protocols.md).
MAX_REQUEST_BYTES = 1024 * 1024
#: The largest text field of a multipart form held in memory, in bytes (Flask's default).
MAX_FORM_MEMORY_SIZE = 500_000
#: The most fields (multipart parts or urlencoded pairs) a form may have. Twilio's largest
#: webhook, an MMS with 10 media, has about 50.
MAX_FORM_PARTS = 1_000

_URLENCODED = "application/x-www-form-urlencoded"


class _FieldCountingParser(FormDataParser):
    """Werkzeug's form parser, refusing a urlencoded form of more than ``max_form_parts``
    fields with a 413 before it is split into fields."""

    def parse(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> tuple[IO[bytes], Any, Any]:
        """As :meth:`FormDataParser.parse`; raises ``RequestEntityTooLarge`` (413) for a
        urlencoded body with more than ``max_form_parts`` ``&``-separated fields."""
        if mimetype != _URLENCODED or self.max_form_parts is None:
            return super().parse(stream, mimetype, content_length, options)
        data = stream.read()  # already limited to max_content_length
        if data.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge(f"a form may have at most {self.max_form_parts} fields")
        return super().parse(io.BytesIO(data), mimetype, len(data), options)


class LimitedRequest(Request):
    """Flask's request whose form parser also counts urlencoded fields."""

    form_data_parser_class = _FieldCountingParser


def install(app: Flask, route_caps: Mapping[str, int] | None = None) -> None:
    """Apply the limits to ``app``: body cap, form caps, field counting and the NUL-path 404.

    Args:
        app: the Flask app ``create_app`` is building (before it serves any request).
        route_caps: body caps in bytes by endpoint name (``"blueprint.view"``) for the routes
            that take more than :data:`MAX_REQUEST_BYTES`.
    """
    caps = dict(route_caps or {})
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_MEMORY_SIZE,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
    )
    app.request_class = LimitedRequest

    @app.before_request
    def _guard() -> None:
        """404 for a NUL in the path; the route's cap, and a 413 for a declared length over it."""
        if "\x00" in request.path:
            abort(404)
        if request.endpoint in caps:
            request.max_content_length = caps[request.endpoint]
        limit = request.max_content_length
        if limit is not None and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge(f"a request body may have at most {limit} bytes")
