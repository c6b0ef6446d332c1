"""The plan's JSON Schema holds to what strict structured-output mode asks of a schema."""

from __future__ import annotations

from typing import Any

from core.coach.plans import PLAN_JSON_SCHEMA, PLAN_RESPONSE_FORMAT, PLAN_SCHEMA_TEXT


def _nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in _nodes(v))]
    if isinstance(node, list):
        return [n for v in node for n in _nodes(v)]
    return []


def test_every_object_is_closed_and_every_reference_resolves() -> None:
    nodes = _nodes(PLAN_JSON_SCHEMA)
    objects = [n for n in nodes if n.get("type") == "object"]
    assert objects and all(o["additionalProperties"] is False for o in objects)
    assert all(o["required"] == list(o["properties"]) for o in objects)
    refs = {n["$ref"] for n in nodes if "$ref" in n}
    assert refs == {f"#/$defs/{name}" for name in PLAN_JSON_SCHEMA["$defs"]}
    session = PLAN_JSON_SCHEMA["properties"]["weeks"]["items"]["properties"]["sessions"]["items"]
    assert session["properties"]["workout"]["anyOf"][0] == {"$ref": "#/$defs/workout"}
    assert PLAN_RESPONSE_FORMAT["json_schema"]["strict"] is True


def test_the_prompt_asks_for_each_sessions_workout_in_the_workout_shape() -> None:
    assert '"workout": {"name": "Easy run"' in PLAN_SCHEMA_TEXT
    assert '{"kind": "repeat", "count": n, "steps": [...]}' in PLAN_SCHEMA_TEXT
