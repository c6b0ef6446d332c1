"""A structured workout: steps with a duration and a target, and repeat blocks of steps.

The JSON form is the one the coach's model answers with: seconds, metres, % of FTP or LTHR,
HR zones 1-5 (by % of HR max) and pace in seconds per km.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

SPORTS = ("cycling", "running", "swimming", "other")
STEP_KINDS = ("warmup", "work", "recovery", "cooldown", "rest")
DURATION_TYPES = ("time", "distance", "open")
TARGET_TYPES = ("power_pct_ftp", "hr_pct_lthr", "hr_zone", "pace_s_per_km", "none")

Sport = Literal["cycling", "running", "swimming", "other"]
StepKind = Literal["warmup", "work", "recovery", "cooldown", "rest"]
DurationType = Literal["time", "distance", "open"]
TargetType = Literal["power_pct_ftp", "hr_pct_lthr", "hr_zone", "pace_s_per_km", "none"]


@dataclass(frozen=True, slots=True)
class Duration:
    """Seconds for time, metres for distance, no value for open (ends on the lap button)."""

    type: DurationType
    value: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True, slots=True)
class Target:
    """A range, low <= high: % of FTP, % of LTHR, HR zone, or pace in s/km (low is faster)."""

    type: TargetType
    low: float | None = None
    high: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "low": self.low, "high": self.high}


NO_TARGET = Target("none")


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    duration: Duration
    target: Target = NO_TARGET
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "duration": self.duration.to_json(),
            "target": self.target.to_json(),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Repeat:
    """`count` times the steps in order."""

    count: int
    steps: tuple[Step | Repeat, ...]

    kind = "repeat"

    def to_json(self) -> dict[str, Any]:
        return {"kind": "repeat", "count": self.count, "steps": [s.to_json() for s in self.steps]}


Item = Step | Repeat


@dataclass(frozen=True, slots=True)
class Workout:
    name: str
    sport: Sport
    indoor: bool
    steps: tuple[Item, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sport": self.sport,
            "indoor": self.indoor,
            "steps": [s.to_json() for s in self.steps],
        }

    def expanded(self) -> list[Step]:
        """Every step in the order it is done, repeats unrolled."""
        return list(expand(self.steps))

    @property
    def total_time_s(self) -> float:
        """Seconds of the timed steps, repeats counted."""
        return sum(s.duration.value or 0.0 for s in self.expanded() if s.duration.type == "time")

    @property
    def total_distance_m(self) -> float:
        """Metres of the distance steps, repeats counted."""
        steps = self.expanded()
        return sum(s.duration.value or 0.0 for s in steps if s.duration.type == "distance")

    @property
    def has_open_steps(self) -> bool:
        return any(s.duration.type == "open" for s in self.expanded())


def expand(items: tuple[Item, ...]) -> Iterator[Step]:
    for item in items:
        if isinstance(item, Repeat):
            for _ in range(item.count):
                yield from expand(item.steps)
        else:
            yield item
