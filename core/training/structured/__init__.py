"""Structured workouts: the model and its JSON, targets in the athlete's numbers, FIT and .zwo."""

from core.training.structured.describe import describe_workout
from core.training.structured.fit import workout_fit_bytes
from core.training.structured.model import Duration, Repeat, Step, Target, Workout
from core.training.structured.parse import parse_workout
from core.training.structured.repair import repair_workout
from core.training.structured.resolve import (
    Absolute,
    AthleteThresholds,
    ResolvedRepeat,
    ResolvedStep,
    ResolvedWorkout,
    resolve_targets,
)
from core.training.structured.schema import WORKOUT_JSON_SCHEMA, WORKOUT_RESPONSE_FORMAT
from core.training.structured.zwo import workout_zwo

__all__ = [
    "WORKOUT_JSON_SCHEMA",
    "WORKOUT_RESPONSE_FORMAT",
    "Absolute",
    "AthleteThresholds",
    "Duration",
    "Repeat",
    "ResolvedRepeat",
    "ResolvedStep",
    "ResolvedWorkout",
    "Step",
    "Target",
    "Workout",
    "describe_workout",
    "parse_workout",
    "repair_workout",
    "resolve_targets",
    "workout_fit_bytes",
    "workout_zwo",
]
