"""Strict reading of a workout's JSON: anything off the shape or past a limit is refused."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.errors import BadWorkout
from core.training.structured.model import (
    DURATION_TYPES,
    SPORTS,
    STEP_KINDS,
    TARGET_TYPES,
    Duration,
    Item,
    Repeat,
    Step,
    Target,
    Workout,
)

MAX_STEPS = 50  # once repeats are unrolled
MAX_DEPTH = 2  # a repeat may hold a repeat, no deeper
MAX_REPEAT = 30
MAX_NAME = 80
MAX_NOTE = 200
DURATION_RANGES: dict[str, tuple[float, float, str]] = {
    "time": (1, 6 * 3600, "a timed step lasts 1 s to 6 h"),
    "distance": (1, 100_000, "a distance step covers 1 m to 100 km"),
}
# Allowed low/high per target type, with the unit used in the sentence.
TARGET_RANGES: dict[str, tuple[float, float, str]] = {
    "power_pct_ftp": (1, 300, "power targets are {lo} to {hi} % of FTP"),
    "hr_pct_lthr": (50, 120, "HR targets are {lo} to {hi} % of LTHR"),
    "hr_zone": (1, 5, "HR zones are whole numbers {lo} to {hi}"),
    "pace_s_per_km": (60, 1800, "pace targets are {lo} to {hi} s/km"),
}
WORKOUT_KEYS = frozenset({"name", "sport", "indoor", "steps"})
STEP_KEYS = frozenset({"kind", "duration", "target", "note"})
REPEAT_KEYS = frozenset({"kind", "count", "steps"})


def parse_workout(data: object) -> Workout:
    """The workout in `data` (parsed JSON), or BadWorkout with one sentence saying what is wrong."""
    obj = _object(data, "The workout", WORKOUT_KEYS)
    name = obj["name"]
    if not isinstance(name, str) or not name.strip():
        raise BadWorkout("The workout has no name.")
    if len(name) > MAX_NAME:
        raise BadWorkout(f"The workout's name is longer than {MAX_NAME} characters.")
    if obj["sport"] not in SPORTS:
        raise BadWorkout(f"Sport must be one of {', '.join(SPORTS)}, not {obj['sport']!r}.")
    if not isinstance(obj["indoor"], bool):
        raise BadWorkout("'indoor' must be true or false.")
    steps = _items(obj["steps"], prefix="", depth=0)
    workout = Workout(name, obj["sport"], obj["indoor"], steps)
    count = sum(1 for _ in workout.expanded())
    if count > MAX_STEPS:
        raise BadWorkout(
            f"The workout has {count} steps once repeats are unrolled; the most is {MAX_STEPS}."
        )
    return workout


def _items(data: object, *, prefix: str, depth: int) -> tuple[Item, ...]:
    where = f"Step {prefix[:-1]}: the repeat" if prefix else "The workout"
    if not isinstance(data, list) or not data:
        raise BadWorkout(f"{where} has no steps.")
    return tuple(_item(raw, f"{prefix}{i}", depth) for i, raw in enumerate(data, start=1))


def _item(data: object, path: str, depth: int) -> Item:
    if isinstance(data, Mapping) and data.get("kind") == "repeat":
        return _repeat(data, path, depth)
    obj = _object(data, f"Step {path}", STEP_KEYS)
    if obj["kind"] not in STEP_KINDS:
        kinds = ", ".join((*STEP_KINDS, "repeat"))
        raise BadWorkout(f"Step {path}: kind must be one of {kinds}, not {obj['kind']!r}.")
    note = obj["note"]
    if note is not None and not isinstance(note, str):
        raise BadWorkout(f"Step {path}: the note must be text or null.")
    if note is not None and len(note) > MAX_NOTE:
        raise BadWorkout(f"Step {path}: the note is longer than {MAX_NOTE} characters.")
    return Step(obj["kind"], _duration(obj["duration"], path), _target(obj["target"], path), note)


def _repeat(data: Mapping[str, Any], path: str, depth: int) -> Repeat:
    obj = _object(data, f"Step {path}", REPEAT_KEYS)
    if depth >= MAX_DEPTH:
        raise BadWorkout(f"Step {path}: repeats nest at most {MAX_DEPTH} deep.")
    count = obj["count"]
    if not isinstance(count, int) or isinstance(count, bool):
        raise BadWorkout(f"Step {path}: a repeat's count must be a whole number.")
    if not 1 <= count <= MAX_REPEAT:
        raise BadWorkout(f"Step {path}: a repeat runs 1 to {MAX_REPEAT} times, not {count}.")
    return Repeat(count, _items(obj["steps"], prefix=f"{path}.", depth=depth + 1))


def _duration(data: object, path: str) -> Duration:
    obj = _object(data, f"Step {path}: the duration", frozenset({"type", "value"}))
    kind, value = obj["type"], obj["value"]
    if kind not in DURATION_TYPES:
        types = ", ".join(DURATION_TYPES)
        raise BadWorkout(f"Step {path}: duration type must be one of {types}, not {kind!r}.")
    if kind == "open":
        if value is not None:
            raise BadWorkout(f"Step {path}: an open duration has no value (null).")
        return Duration("open")
    lo, hi, rule = DURATION_RANGES[kind]
    if not _number(value) or not lo <= value <= hi:
        shown = "null" if value is None else repr(value)
        raise BadWorkout(f"Step {path}: {rule}, not {shown}.")
    return Duration(kind, value)


def _target(data: object, path: str) -> Target:
    obj = _object(data, f"Step {path}: the target", frozenset({"type", "low", "high"}))
    kind, low, high = obj["type"], obj["low"], obj["high"]
    if kind not in TARGET_TYPES:
        types = ", ".join(TARGET_TYPES)
        raise BadWorkout(f"Step {path}: target type must be one of {types}, not {kind!r}.")
    if kind == "none":
        if low is not None or high is not None:
            raise BadWorkout(f"Step {path}: a step without a target has null low and high.")
        return Target("none")
    lo, hi, rule = TARGET_RANGES[kind]
    for value in (low, high):
        whole = not isinstance(value, float) or kind != "hr_zone"
        if not (_number(value) and whole and lo <= value <= hi):
            sentence = rule.format(lo=lo, hi=hi)
            raise BadWorkout(f"Step {path}: {sentence}, not {'null' if value is None else value}.")
    if low > high:
        raise BadWorkout(f"Step {path}: the target's low ({low}) is above its high ({high}).")
    return Target(kind, low, high)


def _object(data: object, what: str, keys: frozenset[str]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise BadWorkout(f"{what} must be a JSON object.")
    missing = sorted(keys - data.keys())
    if missing:
        raise BadWorkout(f"{what} lacks {', '.join(repr(k) for k in missing)}.")
    extra = sorted(str(k) for k in data.keys() - keys)
    if extra:
        raise BadWorkout(f"{what} has unknown fields: {', '.join(repr(k) for k in extra)}.")
    return dict(data)


def _number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
