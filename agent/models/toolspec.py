"""Typed tool schemas: pydantic argument models -> function-calling JSON schemas, and back.

A tool's arguments are declared once, as a pydantic model::

    class FindSlotsArgs(BaseModel):
        service_id: str = Field(description="Service id from the menu, e.g. 'botox'.")
        weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None

    spec = tool_spec("find_slots", "Find open appointment slots.", FindSlotsArgs)
    ...
    args = parse_arguments(FindSlotsArgs, call.arguments)  # raises ToolArgumentError

:func:`tool_spec` turns the model's JSON schema into the ``parameters`` object that Chat
Completions function tools take (https://platform.openai.com/docs/api-reference/chat/create,
``tools[].function.parameters``): every ``$ref`` inlined, ``$defs`` and ``title`` dropped,
``description`` kept, ``additionalProperties: false`` on every object with declared properties.

:func:`parse_arguments` validates what the model sent and, on failure, raises
:class:`ToolArgumentError` whose message is short and meant to be returned to the model as the
tool result so it can correct itself.

Malformed-arguments convention: a backend that receives arguments that are not a JSON object
(invalid JSON, or JSON that is not an object) still yields a ``ToolCall``, with arguments
``{RAW_ARGUMENTS_KEY: <the raw text>, ARGUMENTS_ERROR_KEY: <why>}``.
:func:`malformed_arguments_error` detects it, and :func:`parse_arguments` turns it into a
:class:`ToolArgumentError`, so the engine needs no special case.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic

from agent.models.base import ToolSpec

RAW_ARGUMENTS_KEY = "_raw"
"""Key holding the model's raw argument text when it was not a JSON object."""

ARGUMENTS_ERROR_KEY = "_error"
"""Key holding why the raw argument text could not be used (set together with ``_raw``)."""

_MAX_LISTED_ERRORS = 8

ArgsT = TypeVar("ArgsT", bound=pydantic.BaseModel)


class ToolArgumentError(ValueError):
    """The model's arguments for a tool are invalid.

    ``str(error)`` is a short human-readable message listing the bad fields, meant to be sent
    back to the model as the tool result, e.g.
    ``"invalid arguments: weekday: Input should be 'mon' or 'tue'; service_id: Field required"``.

    Attributes:
        fields: dotted paths of the offending fields (``"()"`` for the whole object), in order.
    """

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


def tool_spec(name: str, description: str, args_model: type[pydantic.BaseModel]) -> ToolSpec:
    """Build a :class:`ToolSpec` whose ``parameters`` is a function-calling JSON schema.

    Args:
        name: tool name as the model sees it (``^[a-zA-Z0-9_-]{1,64}$`` per the Chat Completions
            API, https://platform.openai.com/docs/api-reference/chat/create).
        description: what the tool does and when to call it.
        args_model: pydantic model of the arguments. Field descriptions become schema
            descriptions; ``Literal`` / ``Enum`` become ``enum``; nested models are inlined.

    Returns:
        ``ToolSpec(name, description, parameters)`` where ``parameters`` is a JSON object schema
        with no ``$ref``/``$defs``/``title``, ``additionalProperties: false`` on every object
        that declares properties, and ``required`` listing the fields without defaults.

    Raises:
        ValueError: the name is not a valid tool name, or the model is recursive (a recursive
            schema cannot be inlined).
    """
    if (
        not name
        or len(name) > 64
        or not all(c.isascii() and (c.isalnum() or c in "_-") for c in name)
    ):
        raise ValueError(f"invalid tool name {name!r}: use 1-64 of a-z, A-Z, 0-9, _ and -")
    raw = args_model.model_json_schema()
    defs: dict[str, Any] = raw.get("$defs", {})
    parameters = _clean(raw, defs, ())
    if parameters.get("type") != "object":
        raise ValueError(f"tool {name!r}: arguments schema must be an object")
    parameters.setdefault("properties", {})
    parameters.setdefault("required", [])
    return ToolSpec(name=name, description=description, parameters=parameters)


def parse_arguments(args_model: type[ArgsT], arguments: Mapping[str, Any]) -> ArgsT:
    """Validate the model's tool-call ``arguments`` into ``args_model``.

    Unknown keys are rejected (unless ``args_model`` is configured with ``extra="allow"``), so
    a misspelt field is reported instead of silently ignored.

    Args:
        args_model: the pydantic model the tool was declared with (see :func:`tool_spec`).
        arguments: the parsed JSON arguments of a ``ToolCall``.

    Returns:
        An instance of ``args_model``.

    Raises:
        ToolArgumentError: the arguments were malformed (see the module docstring) or do not
            validate; its message lists the bad fields and is meant for the model.
    """
    problem = malformed_arguments_error(arguments)
    if problem is not None:
        raise ToolArgumentError(
            f"invalid arguments: {problem}; send a JSON object matching the tool's parameters",
            ("()",),
        )

    problems: list[tuple[str, str]] = []
    if args_model.model_config.get("extra") != "allow":
        known: set[str] = set()
        for field_name, info in args_model.model_fields.items():
            known.add(field_name)
            if isinstance(info.alias, str):
                known.add(info.alias)
            if isinstance(info.validation_alias, str):
                known.add(info.validation_alias)
        problems.extend((key, "unexpected field") for key in arguments if key not in known)

    try:
        parsed = args_model.model_validate(dict(arguments))
    except pydantic.ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            if err["type"] == "extra_forbidden":
                continue  # already reported above as "unexpected field"
            problems.append((_loc(err["loc"]), err["msg"]))
        if not problems:  # extra="forbid" errors only, with a key we thought was known
            problems = [(_loc(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
    else:
        if not problems:
            return parsed
    raise ToolArgumentError(_format(problems), tuple(path for path, _ in problems))


def malformed_arguments_error(arguments: Mapping[str, Any]) -> str | None:
    """Return why a ``ToolCall``'s arguments were unusable, or None when they are ordinary.

    Args:
        arguments: ``ToolCall.arguments`` as produced by a backend.

    Returns:
        The reason string (e.g. ``"arguments were not valid JSON"``) when ``arguments`` carries
        the ``_raw`` marker described in the module docstring, else None.
    """
    if RAW_ARGUMENTS_KEY not in arguments:
        return None
    reason = arguments.get(ARGUMENTS_ERROR_KEY)
    return str(reason) if reason else "arguments were not a JSON object"


def _loc(loc: tuple[int | str, ...]) -> str:
    """Dotted path of a pydantic error location (``"()"`` for the object itself)."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts) or "()"


def _format(problems: list[tuple[str, str]]) -> str:
    """``"invalid arguments: a: msg; b: msg (and N more)"``."""
    shown = [f"{path}: {msg}" for path, msg in problems[:_MAX_LISTED_ERRORS]]
    more = len(problems) - len(shown)
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid arguments: " + "; ".join(shown) + suffix


# --- schema cleaning -------------------------------------------------------------------------

_SCHEMA_MAP_KEYS = ("properties", "patternProperties")
_SCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_KEYS = ("items", "not", "contains", "propertyNames")
_DROPPED_KEYS = ("title", "$defs", "definitions", "discriminator", "$schema")


def _clean(schema: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    """Return a copy of ``schema`` with refs inlined and function-calling clean-ups applied.

    ``seen`` holds the ``$defs`` names on the current inlining path, to detect recursion.
    """
    if not isinstance(schema, dict):
        return copy.deepcopy(schema)
    node = dict(schema)

    ref = node.pop("$ref", None)
    if isinstance(ref, str):
        target_name = _ref_name(ref)
        if target_name in seen:
            raise ValueError(f"recursive schema through {target_name!r} cannot be inlined")
        if target_name not in defs:
            raise ValueError(f"unresolvable $ref {ref!r}")
        target = _clean(defs[target_name], defs, (*seen, target_name))
        # Sibling keywords (e.g. a field's description or default) win over the target's.
        return {**target, **_clean(node, defs, seen)}

    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        # pydantic's older "allOf: [{$ref}]" wrapper for a described model field.
        del node["allOf"]
        inner = _clean(all_of[0], defs, seen)
        return {**inner, **_clean(node, defs, seen)}

    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS:
            continue
        if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            # Keys here are field names (a field may well be called "title"): keep them all.
            out[key] = {prop: _clean(sub, defs, seen) for prop, sub in value.items()}
        elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [_clean(sub, defs, seen) for sub in value]
        elif key in _SCHEMA_KEYS or key == "additionalProperties":
            out[key] = _clean(value, defs, seen)
        else:
            out[key] = copy.deepcopy(value)

    if "const" in out and "enum" not in out:
        # Single-value Literal: "enum" is more widely supported than "const".
        out["enum"] = [out.pop("const")]
    if "properties" in out:
        out.setdefault("type", "object")
        out.setdefault("additionalProperties", False)
    return out


def _ref_name(ref: str) -> str:
    """``"#/$defs/Name"`` -> ``"Name"``."""
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    raise ValueError(f"unsupported $ref {ref!r}: only local #/$defs references are inlined")
