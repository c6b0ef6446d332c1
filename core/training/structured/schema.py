"""The workout's JSON Schema, fit for a model server's strict structured-output mode.

Strict mode wants every property required, nulls as type unions and no extra properties; it
also rejects open recursion on some servers, so the two allowed levels of repeats are spelled
out. Limits (step count, ranges) are checked by `parse_workout`, not here.
"""

from __future__ import annotations

from typing import Any

from core.training.structured.model import DURATION_TYPES, SPORTS, STEP_KINDS, TARGET_TYPES


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _repeat(inner: str) -> dict[str, Any]:
    return _object({
        "kind": {"type": "string", "enum": ["repeat"]},
        "count": {"type": "integer"},
        "steps": {"type": "array", "items": {"$ref": inner}},
    })  # fmt: skip


_STEP = _object({
    "kind": {"type": "string", "enum": list(STEP_KINDS)},
    "duration": _object({
        "type": {"type": "string", "enum": list(DURATION_TYPES)},
        "value": {"type": ["number", "null"]},
    }),
    "target": _object({
        "type": {"type": "string", "enum": list(TARGET_TYPES)},
        "low": {"type": ["number", "null"]},
        "high": {"type": ["number", "null"]},
    }),
    "note": {"type": ["string", "null"]},
})  # fmt: skip

WORKOUT_JSON_SCHEMA: dict[str, Any] = {
    **_object({
        "name": {"type": "string"},
        "sport": {"type": "string", "enum": list(SPORTS)},
        "indoor": {"type": "boolean"},
        "steps": {"type": "array", "items": {"$ref": "#/$defs/item"}},
    }),
    "$defs": {
        "step": _STEP,
        "item": {"anyOf": [{"$ref": "#/$defs/step"}, {"$ref": "#/$defs/repeat"}]},
        "repeat": _repeat("#/$defs/inner_item"),
        "inner_item": {"anyOf": [{"$ref": "#/$defs/step"}, {"$ref": "#/$defs/inner_repeat"}]},
        "inner_repeat": _repeat("#/$defs/step"),
    },
}  # fmt: skip

# `response_format` for an OpenAI-compatible chat completion.
WORKOUT_RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "workout", "strict": True, "schema": WORKOUT_JSON_SCHEMA},
}
