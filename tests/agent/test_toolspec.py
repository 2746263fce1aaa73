"""tool_spec / parse_arguments: pydantic argument models <-> function-calling schemas."""

from __future__ import annotations

import enum
import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from agent.models.toolspec import (
    ToolArgumentError,
    malformed_arguments_error,
    parse_arguments,
    tool_spec,
)


class Area(enum.Enum):
    FOREHEAD = "forehead"
    CROWS_FEET = "crows_feet"


class TimeWindow(BaseModel):
    """A clinic-local time window."""

    after: str = Field(description="Earliest start, HH:MM.")
    before: str | None = Field(default=None, description="Latest start, HH:MM.")


class FindSlotsArgs(BaseModel):
    """Arguments of find_slots."""

    service_id: str = Field(description="Service id from the menu, e.g. 'botox'.")
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = Field(
        default=None, description="Preferred weekday."
    )
    window: TimeWindow | None = None
    provider_ids: list[str] = Field(default_factory=list, description="Preferred providers.")
    windows: list[TimeWindow] = []
    area: Area | None = None
    title: str | None = Field(default=None, description="A field that happens to be named title.")
    max_results: int = Field(default=3, ge=1, le=5)


def walk(node: Any) -> list[dict[str, Any]]:
    """Every dict in a JSON tree."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(walk(value))
    return found


def test_schema_shape() -> None:
    spec = tool_spec("find_slots", "Find open appointment slots.", FindSlotsArgs)
    params = spec.parameters

    assert spec.name == "find_slots"
    assert spec.description == "Find open appointment slots."
    assert params["type"] == "object"
    assert params["additionalProperties"] is False
    assert params["required"] == ["service_id"]
    props = params["properties"]
    assert set(props) == {
        "service_id",
        "weekday",
        "window",
        "provider_ids",
        "windows",
        "area",
        "title",
        "max_results",
    }
    text = json.dumps(params)
    assert "$ref" not in text and "$defs" not in text
    # no "title" keyword anywhere; the property called "title" survives
    for node in walk(params):
        assert "title" not in node or node is props
    assert props["title"]["description"] == "A field that happens to be named title."
    # descriptions kept
    assert props["service_id"] == {
        "type": "string",
        "description": "Service id from the menu, e.g. 'botox'.",
    }


def test_optional_and_literal_fields() -> None:
    props = tool_spec("find_slots", "d", FindSlotsArgs).parameters["properties"]
    weekday = props["weekday"]
    assert weekday["description"] == "Preferred weekday."
    assert weekday["default"] is None
    assert {"type": "null"} in weekday["anyOf"]
    (choices,) = [branch for branch in weekday["anyOf"] if "enum" in branch]
    assert choices == {"type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    area_choices = [branch for branch in props["area"]["anyOf"] if "enum" in branch]
    assert area_choices == [{"type": "string", "enum": ["forehead", "crows_feet"]}]
    assert props["max_results"] == {"type": "integer", "default": 3, "minimum": 1, "maximum": 5}


def test_single_literal_becomes_enum() -> None:
    class Args(BaseModel):
        kind: Literal["deposit"]

    prop = tool_spec("t", "d", Args).parameters["properties"]["kind"]
    assert prop["enum"] == ["deposit"] and "const" not in prop


def test_nested_model_inlined_and_closed() -> None:
    props = tool_spec("find_slots", "d", FindSlotsArgs).parameters["properties"]
    (window,) = [branch for branch in props["window"]["anyOf"] if branch.get("type") == "object"]
    assert window["additionalProperties"] is False
    assert window["required"] == ["after"]
    assert window["properties"]["after"] == {
        "type": "string",
        "description": "Earliest start, HH:MM.",
    }


def test_list_fields() -> None:
    props = tool_spec("find_slots", "d", FindSlotsArgs).parameters["properties"]
    assert props["provider_ids"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Preferred providers.",
    }
    items = props["windows"]["items"]
    assert items["type"] == "object"
    assert items["additionalProperties"] is False
    assert set(items["properties"]) == {"after", "before"}


def test_dict_field_keeps_its_value_schema() -> None:
    class Args(BaseModel):
        counts: dict[str, int]

    prop = tool_spec("t", "d", Args).parameters["properties"]["counts"]
    assert prop == {"type": "object", "additionalProperties": {"type": "integer"}}


def test_model_without_fields() -> None:
    class NoArgs(BaseModel):
        pass

    params = tool_spec("clinic_hours", "d", NoArgs).parameters
    assert params == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_bad_tool_name_and_recursive_model_rejected() -> None:
    class Node(BaseModel):
        children: list[Node] = []

    with pytest.raises(ValueError, match="invalid tool name"):
        tool_spec("find slots", "d", FindSlotsArgs)
    with pytest.raises(ValueError, match="recursive"):
        tool_spec("tree", "d", Node)


def test_parse_valid_arguments() -> None:
    args = parse_arguments(
        FindSlotsArgs,
        {"service_id": "botox", "weekday": "thu", "window": {"after": "16:00"}, "max_results": "2"},
    )
    assert isinstance(args, FindSlotsArgs)
    assert args.weekday == "thu"
    assert args.window == TimeWindow(after="16:00")
    assert args.max_results == 2


def test_parse_errors_are_readable() -> None:
    with pytest.raises(ToolArgumentError) as info:
        parse_arguments(
            FindSlotsArgs,
            {
                "weekday": "thursday",
                "windows": [{"after": "16:00"}, {}],
                "max_results": 9,
                "day": "thu",
            },
        )
    message = str(info.value)
    assert message.startswith("invalid arguments: ")
    assert "day: unexpected field" in message
    assert "service_id: Field required" in message
    assert "weekday: Input should be 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun'" in message
    assert "windows[1].after: Field required" in message
    assert "max_results: Input should be less than or equal to 5" in message
    assert info.value.fields == ("day", "service_id", "weekday", "windows[1].after", "max_results")
    assert len(message) < 400
    assert "https://" not in message  # no pydantic doc links in what the model reads


def test_extra_allowed_models_accept_unknown_keys() -> None:
    class Loose(BaseModel):
        model_config = ConfigDict(extra="allow")
        service_id: str

    assert parse_arguments(Loose, {"service_id": "botox", "note": "x"}).service_id == "botox"


def test_malformed_marker() -> None:
    raw = {"_raw": '{"service_id": ', "_error": "arguments were not valid JSON (Expecting value)"}
    assert malformed_arguments_error(raw) == "arguments were not valid JSON (Expecting value)"
    assert malformed_arguments_error({"service_id": "botox"}) is None
    with pytest.raises(ToolArgumentError) as info:
        parse_arguments(FindSlotsArgs, raw)
    assert "not valid JSON" in str(info.value)
    assert info.value.fields == ("()",)
