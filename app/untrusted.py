"""Making untrusted request input safe to store: the webhooks' and web routes' common guard.

A leaf module (it imports nothing of ours), so every package's webhook route may use it.

- :func:`clean_text` removes NUL (U+0000) and replaces lone surrogates (U+D800..U+DFFF) with
  U+FFFD: Postgres rejects NUL in ``text``/``varchar`` ("invalid byte sequence for encoding
  UTF8: 0x00", https://www.postgresql.org/docs/current/datatype-character.html) and a lone
  surrogate cannot be encoded as UTF-8 at all, so either one made a signed text a 500.
- :func:`load_json` decodes a JSON body with every string cleaned, bounded nesting and finite
  numbers only (Postgres ``json`` accepts neither ``NaN`` nor ``Infinity``), raising one
  :class:`UntrustedJSON` (a 400) for everything the routes must refuse.
- :func:`fit` shortens a provider id to its column width deterministically (prefix plus
  SHA-256), so an over-long id is stored, and a redelivery of it still dedupes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

#: Deepest JSON nesting a route accepts. Telnyx bodies nest 5 levels, Square's 6-8
#: (shared/reference/protocols.md); anything far deeper is an attack, not an event.
MAX_JSON_DEPTH = 32

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


class UntrustedJSON(ValueError):
    """A body that is not UTF-8 JSON we accept: invalid, too deeply nested, or non-finite."""


def _replace(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


def clean_text(value: str) -> str:
    """``value`` without NUL characters and with each lone surrogate replaced by U+FFFD.

    Args:
        value: any Python string (a decoded JSON string, a form field).

    Returns:
        A string Postgres and UTF-8 accept; ``value`` itself when it was already clean.
    """
    return _UNSAFE.sub(_replace, value) if _UNSAFE.search(value) else value


def fit(value: str, length: int) -> str:
    """``value`` if it has at most ``length`` characters, else a stable shortening of it.

    The shortening keeps the first characters and ends with ``~`` and 32 hex digits of the
    SHA-256 of the whole value, so two long ids that share a prefix stay distinct and the same
    id always maps to the same stored value (deduplication on it still works).

    Args:
        value: a provider id (event id, message SID, call session id...).
        length: the column's width in characters; at least 33.

    Returns:
        A string of at most ``length`` characters.

    Raises:
        ValueError: ``length`` is below 33 (no room for the digest).
    """
    if len(value) <= length:
        return value
    if length < 33:
        raise ValueError("fit needs a length of at least 33 characters")
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return value[: length - 33] + "~" + digest


def _reject_constant(name: str) -> Any:
    raise UntrustedJSON(f"{name} is not a finite number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UntrustedJSON("a number is too large to be finite")
    return number


def load_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a request body as JSON, every string (keys too) passed through :func:`clean_text`.

    Args:
        raw: the body as received (UTF-8 bytes) or already decoded.
        max_depth: the deepest nesting of arrays and objects accepted (1 = a flat object).

    Returns:
        The decoded value (dicts, lists, str, int, float, bool, None).

    Raises:
        UntrustedJSON: not UTF-8, not JSON, ``NaN``/``Infinity``/an overflowing number, an
            integer over Python's digit limit, or nested deeper than ``max_depth`` (however
            deep: a nesting that would exhaust the interpreter's stack is refused too).
    """
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise UntrustedJSON(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digit limit
        raise UntrustedJSON(str(exc)[:200]) from None
    return _clean_tree(value, max_depth)


def _clean_tree(value: Any, max_depth: int) -> Any:
    """A copy of a decoded JSON value with its strings cleaned (iterative: no recursion)."""
    if isinstance(value, str):
        return clean_text(value)
    if not isinstance(value, dict | list):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any, int]] = [(value, root, 1)]
    while stack:
        source, target, depth = stack.pop()
        if depth > max_depth:
            raise UntrustedJSON(f"JSON nested deeper than {max_depth} levels")
        pairs: list[tuple[Any, Any]] = (
            list(source.items()) if isinstance(source, dict) else list(enumerate(source))
        )
        for key, item in pairs:
            if isinstance(item, dict | list):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy, depth + 1))
            else:
                copy = clean_text(item) if isinstance(item, str) else item
            if isinstance(target, dict):
                target[clean_text(str(key))] = copy
            else:
                target.append(copy)
    return root
