"""A workout as a Zwift workout file (.zwo): rides by % of FTP, runs by % of threshold pace.

Warm-ups and cool-downs with a range become ramps; a repeat of one work and one recovery
step becomes IntervalsT; other repeats are unrolled. A step with a target Zwift cannot hold
(HR, or a pace without a threshold pace) is a FreeRide with the target in its text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from core.errors import BadWorkout
from core.training.structured.describe import describe_workout, target_text
from core.training.structured.model import Item, Repeat, Step, Workout
from core.training.structured.resolve import AthleteThresholds, absolute_target

SPORT_TYPES = {"cycling": "bike", "running": "run"}


def workout_zwo(workout: Workout, profile: AthleteThresholds | None, *, author: str = "") -> str:
    """The .zwo XML of an indoor ride or run; BadWorkout for other sports or untimed steps."""
    sport_type = SPORT_TYPES.get(workout.sport)
    if sport_type is None:
        raise BadWorkout("Zwift takes rides and runs only.")
    if any(s.duration.type != "time" for s in workout.expanded()):
        raise BadWorkout("Zwift needs a time on every step, not a distance or the lap button.")
    root = ET.Element("workout_file")
    ET.SubElement(root, "author").text = author
    ET.SubElement(root, "name").text = workout.name
    ET.SubElement(root, "description").text = describe_workout(workout, profile)
    ET.SubElement(root, "sportType").text = sport_type
    body = ET.SubElement(root, "workout")
    for item in workout.steps:
        _item(body, item, workout, profile)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def fraction(
    step: Step, workout: Workout, profile: AthleteThresholds | None
) -> tuple[float, float] | None:
    """The step's target as fractions of FTP (rides) or of threshold-pace speed (runs)."""
    target = step.target
    if target.low is None or target.high is None:
        return None
    if workout.sport == "cycling" and target.type == "power_pct_ftp":
        return target.low / 100, target.high / 100
    threshold = profile.threshold_pace_s_per_km if profile is not None else None
    if workout.sport == "running" and target.type == "pace_s_per_km" and threshold:
        return threshold / target.high, threshold / target.low  # slower pace, lower fraction
    return None


def _item(
    parent: ET.Element, item: Item, workout: Workout, profile: AthleteThresholds | None
) -> None:
    if isinstance(item, Repeat):
        if not _intervals(parent, item, workout, profile):
            for _ in range(item.count):
                for inner in item.steps:
                    _item(parent, inner, workout, profile)
    else:
        _step(parent, item, workout, profile)


def _step(
    parent: ET.Element, step: Step, workout: Workout, profile: AthleteThresholds | None
) -> None:
    seconds = _num(step.duration.value or 0)
    frac = fraction(step, workout, profile)
    if frac is None:
        el = ET.SubElement(parent, "FreeRide", Duration=seconds)
    elif step.kind in ("warmup", "cooldown"):
        start, end = frac if step.kind == "warmup" else (frac[1], frac[0])
        name = "Warmup" if step.kind == "warmup" else "Cooldown"
        el = ET.SubElement(
            parent, name, Duration=seconds, PowerLow=_num(start), PowerHigh=_num(end)
        )
    else:
        el = ET.SubElement(parent, "SteadyState", Duration=seconds, Power=_num(sum(frac) / 2))
    _text(el, step, None if frac else target_text(step, absolute_target(step.target, profile)))


def _intervals(
    parent: ET.Element, rep: Repeat, workout: Workout, profile: AthleteThresholds | None
) -> bool:
    if len(rep.steps) != 2:
        return False
    on, off = rep.steps
    if not isinstance(on, Step) or not isinstance(off, Step):
        return False
    on_frac, off_frac = fraction(on, workout, profile), fraction(off, workout, profile)
    if on.kind != "work" or off.kind not in ("recovery", "rest") or not (on_frac and off_frac):
        return False
    el = ET.SubElement(
        parent, "IntervalsT", Repeat=str(rep.count),
        OnDuration=_num(on.duration.value or 0), OffDuration=_num(off.duration.value or 0),
        OnPower=_num(sum(on_frac) / 2), OffPower=_num(sum(off_frac) / 2),
    )  # fmt: skip
    _text(el, on, None)
    return True


def _text(el: ET.Element, step: Step, target: str | None) -> None:
    message = ". ".join(t for t in (target, step.note) if t)
    if message:
        ET.SubElement(el, "textevent", timeoffset="0", message=message)


def _num(value: float) -> str:
    return format(round(value, 3), "g")
