"""A structured workout as the JSON Garmin Connect's workout service takes.

Garmin's targets are absolute: watts, beats per minute, and pace as speed in m/s (the slower
end first). A target whose threshold the athlete has not set cannot be made absolute; the step
then goes without a target and says its relative one in its description, so the watch still
shows it. An HR-zone range of one zone falls back to Garmin's own zone of that number.
The ids are Garmin's (sport types from /workout-service/workout/types); garminconnect's typed
models in `garminconnect.workout` pass these dicts through untyped, so plain dicts are built.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from core.training.structured.describe import target_text
from core.training.structured.model import Step, Workout
from core.training.structured.resolve import (
    Absolute,
    AthleteThresholds,
    ResolvedItem,
    ResolvedRepeat,
    resolve_targets,
)

MAX_NAME = 80  # Garmin Connect refuses longer workout names
MAX_DESCRIPTION = 512

SPORT_TYPES = {
    "running": (1, "running"),
    "cycling": (2, "cycling"),
    "other": (3, "other"),
    "swimming": (4, "swimming"),
}
STEP_TYPES = {
    "warmup": (1, "warmup"),
    "cooldown": (2, "cooldown"),
    "work": (3, "interval"),
    "recovery": (4, "recovery"),
    "rest": (5, "rest"),
}
REPEAT_STEP = (6, "repeat")
END_CONDITIONS = {"lap.button": 1, "time": 2, "distance": 3, "iterations": 7}
TARGET_TYPES = {"no.target": 1, "power.zone": 2, "heart.rate.zone": 4, "pace.zone": 6}
DURATION_END = {"time": "time", "distance": "distance", "open": "lap.button"}
UNIT_TARGET = {"W": "power.zone", "bpm": "heart.rate.zone", "s/km": "pace.zone"}


def garmin_workout_json(workout: Workout, profile: AthleteThresholds | None) -> dict[str, Any]:
    """The workout for POST /workout-service/workout, targets in the athlete's numbers."""
    sport = _sport(workout.sport)
    resolved = resolve_targets(workout, profile)
    order = count(1)
    payload: dict[str, Any] = {
        "workoutName": workout.name[:MAX_NAME],
        "sportType": sport,
        "workoutSegments": [
            {
                "segmentOrder": 1,
                "sportType": sport,
                "workoutSteps": [_item(item, order) for item in resolved.steps],
            }
        ],
    }
    seconds = round(workout.total_time_s)
    if seconds and not workout.has_open_steps and not workout.total_distance_m:
        payload["estimatedDurationInSecs"] = seconds
    return payload


def speed_m_s(pace_s_per_km: float) -> float:
    """A pace in s/km as Garmin's speed in m/s, to the millimetre per second."""
    return round(1000 / pace_s_per_km, 3)


def _sport(sport: str) -> dict[str, Any]:
    type_id, key = SPORT_TYPES[sport]
    return {"sportTypeId": type_id, "sportTypeKey": key}


def _item(item: ResolvedItem, order: count[int]) -> dict[str, Any]:
    if isinstance(item, ResolvedRepeat):
        step_order = next(order)
        return {
            "type": "RepeatGroupDTO",
            "stepOrder": step_order,
            "stepType": _step_type(REPEAT_STEP),
            "numberOfIterations": item.count,
            "endCondition": _end("iterations"),
            "endConditionValue": float(item.count),
            "smartRepeat": False,
            "workoutSteps": [_item(child, order) for child in item.steps],
        }
    return _step(item.step, item.absolute, next(order))


def _step(step: Step, absolute: Absolute | None, step_order: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "ExecutableStepDTO",
        "stepOrder": step_order,
        "stepType": _step_type(STEP_TYPES[step.kind]),
        "endCondition": _end(DURATION_END[step.duration.type]),
        "endConditionValue": None if step.duration.type == "open" else step.duration.value,
    }
    if step.duration.type == "distance":
        out["preferredEndConditionUnit"] = {"unitKey": "kilometer"}
    out.update(_target(step, absolute))
    notes = [step.note or ""]
    if out["targetType"]["workoutTargetTypeKey"] == "no.target":
        notes.insert(0, target_text(step, None))  # relative only: the watch cannot hold it
    description = ". ".join(n for n in notes if n)
    if description:
        out["description"] = description[:MAX_DESCRIPTION]
    return out


def _target(step: Step, absolute: Absolute | None) -> dict[str, Any]:
    if absolute is not None:
        low, high = absolute.low, absolute.high
        if absolute.unit == "s/km":  # the slower pace is the lower speed
            low, high = speed_m_s(absolute.high), speed_m_s(absolute.low)
        key = UNIT_TARGET[absolute.unit]
        return {"targetType": _target_type(key), "targetValueOne": low, "targetValueTwo": high}
    target = step.target
    if target.type == "hr_zone" and target.low is not None and target.low == target.high:
        return {"targetType": _target_type("heart.rate.zone"), "zoneNumber": int(target.low)}
    return {"targetType": _target_type("no.target")}


def _step_type(pair: tuple[int, str]) -> dict[str, Any]:
    return {"stepTypeId": pair[0], "stepTypeKey": pair[1]}


def _end(key: str) -> dict[str, Any]:
    return {"conditionTypeId": END_CONDITIONS[key], "conditionTypeKey": key}


def _target_type(key: str) -> dict[str, Any]:
    return {"workoutTargetTypeId": TARGET_TYPES[key], "workoutTargetTypeKey": key}
