"""Relative targets turned into the athlete's watts, beats per minute and paces.

HR zones are the ones the load figures use (% of HR max, core.training.load.ZONE_FLOORS). A
target whose threshold is not set stays relative, and the result names what is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

from core.training.load import ZONE_FLOORS
from core.training.structured.model import Item, Repeat, Step, Target, Workout

Unit = Literal["W", "bpm", "s/km"]
# What each relative target rests on: the profile field and the name the athlete knows.
NEEDS = {
    "power_pct_ftp": ("ftp", "FTP"),
    "hr_pct_lthr": ("lthr", "LTHR"),
    "hr_zone": ("hr_max", "HR max"),
}


class AthleteThresholds(Protocol):
    """What resolving needs; core.training.thresholds.Thresholds and the account Profile fit."""

    @property
    def ftp(self) -> float | None: ...
    @property
    def lthr(self) -> float | None: ...
    @property
    def hr_max(self) -> float | None: ...
    @property
    def threshold_pace_s_per_km(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Absolute:
    """A target in the athlete's own numbers, rounded as a watch shows them."""

    unit: Unit
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ResolvedStep:
    step: Step
    absolute: Absolute | None  # None: no target, or its threshold is not set


@dataclass(frozen=True, slots=True)
class ResolvedRepeat:
    count: int
    steps: tuple[ResolvedItem, ...]


ResolvedItem = ResolvedStep | ResolvedRepeat


@dataclass(frozen=True, slots=True)
class ResolvedWorkout:
    workout: Workout
    steps: tuple[ResolvedItem, ...]
    missing: tuple[str, ...]  # thresholds some target needs and the profile lacks: "FTP", ...


def resolve_targets(workout: Workout, profile: AthleteThresholds | None) -> ResolvedWorkout:
    """Every step with its absolute target where the athlete's thresholds allow one."""
    steps = tuple(_item(i, profile) for i in workout.steps)
    missing = {
        NEEDS[s.target.type][1]
        for s in workout.expanded()
        if s.target.type in NEEDS and absolute_target(s.target, profile) is None
    }
    return ResolvedWorkout(workout, steps, tuple(sorted(missing)))


def absolute_target(target: Target, profile: AthleteThresholds | None) -> Absolute | None:
    """The target in W, bpm or s/km; None without a target or without its threshold."""
    if target.type == "none" or target.low is None or target.high is None:
        return None
    if target.type == "pace_s_per_km":
        return Absolute("s/km", float(target.low), float(target.high))
    base = getattr(profile, NEEDS[target.type][0], None) if profile is not None else None
    if not base:
        return None
    if target.type == "hr_zone":
        low, high = zone_bounds(int(target.low), int(target.high))
        return Absolute("bpm", _whole(low * base), _whole(high * base))
    unit: Unit = "W" if target.type == "power_pct_ftp" else "bpm"
    return Absolute(unit, _whole(target.low / 100 * base), _whole(target.high / 100 * base))


def zone_bounds(low_zone: int, high_zone: int) -> tuple[float, float]:
    """Fractions of HR max from the bottom of `low_zone` to the top of `high_zone`."""
    tops = (*ZONE_FLOORS[1:], 1.0)
    return ZONE_FLOORS[low_zone - 1], tops[high_zone - 1]


def _whole(value: float) -> int:
    """Rounded half up, as people round: 262.5 W is 263 W."""
    return math.floor(value + 0.5)


def _item(item: Item, profile: AthleteThresholds | None) -> ResolvedItem:
    if isinstance(item, Repeat):
        return ResolvedRepeat(item.count, tuple(_item(i, profile) for i in item.steps))
    return ResolvedStep(item, absolute_target(item.target, profile))
