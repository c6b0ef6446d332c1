"""A workout as plain text for a message: total duration, then one line per step."""

from __future__ import annotations

from core.training.formatting import format_distance, format_duration, format_pace
from core.training.structured.model import Duration, Step, Workout
from core.training.structured.resolve import (
    Absolute,
    AthleteThresholds,
    ResolvedItem,
    ResolvedRepeat,
    resolve_targets,
)

KIND_NAMES = {
    "warmup": "Warm-up",
    "work": "Work",
    "recovery": "Recovery",
    "cooldown": "Cool-down",
    "rest": "Rest",
}


def describe_workout(workout: Workout, profile: AthleteThresholds | None) -> str:
    """'Name (cycling, indoor), 1:10:00' then '1. Work 10 min @ 88-94% FTP (220-235 W)'..."""
    resolved = resolve_targets(workout, profile)
    place = ", indoor" if workout.indoor else ""
    lines = [f"{workout.name} ({workout.sport}{place}): {total_text(workout)}"]
    lines += _lines(resolved.steps, prefix="", indent="")
    if resolved.missing:
        lines.append(f"No {_either(resolved.missing)} set, so those targets stay relative.")
    return "\n".join(lines)


def total_text(workout: Workout) -> str:
    """'1:10:00', '45:00 + 5.00 km', '20:00 + open steps'."""
    parts = []
    if workout.total_time_s:
        parts.append(format_duration(workout.total_time_s))
    if workout.total_distance_m:
        parts.append(format_distance(workout.total_distance_m))
    if workout.has_open_steps:
        parts.append("open steps")
    return " + ".join(parts)


def step_text(step: Step, absolute: Absolute | None) -> str:
    """'Work 10 min @ 88-94% FTP (220-235 W)'."""
    text = f"{KIND_NAMES[step.kind]} {duration_text(step.duration)}"
    target = target_text(step, absolute)
    text += f" @ {target}" if target else ""
    return f"{text}. {step.note}" if step.note else text


def duration_text(duration: Duration) -> str:
    if duration.type == "open" or duration.value is None:
        return "until you press lap"
    if duration.type == "distance":
        return format_distance(duration.value)
    minutes, seconds = divmod(int(round(duration.value)), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{hours} h" * bool(hours),
        f"{minutes} min" * bool(minutes),
        f"{seconds} s" * bool(seconds),
    ]
    return " ".join(p for p in parts if p)


def target_text(step: Step, absolute: Absolute | None) -> str:
    target = step.target
    if target.type == "none" or target.low is None or target.high is None:
        return ""
    if target.type == "pace_s_per_km":
        return _range(format_pace(target.low, unit=""), format_pace(target.high, unit="")) + " /km"
    if target.type == "hr_zone":
        many = target.low != target.high
        text = f"HR zone{'s' * many} {_range(f'{target.low:g}', f'{target.high:g}')}"
    else:
        unit = "% FTP" if target.type == "power_pct_ftp" else "% LTHR"
        text = _range(f"{target.low:g}", f"{target.high:g}") + unit
    if absolute is None:
        return text
    return f"{text} ({_range(f'{absolute.low:g}', f'{absolute.high:g}')} {absolute.unit})"


def _either(names: tuple[str, ...]) -> str:
    """'FTP', 'FTP or LTHR', 'FTP, HR max or LTHR'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _range(low: str, high: str) -> str:
    return low.strip() if low == high else f"{low.strip()}-{high.strip()}"


def _lines(items: tuple[ResolvedItem, ...], *, prefix: str, indent: str) -> list[str]:
    out = []
    for n, item in enumerate(items, start=1):
        number = f"{prefix}{n}"
        if isinstance(item, ResolvedRepeat):
            out.append(f"{indent}{number}. {item.count}×:")
            out += _lines(item.steps, prefix=f"{number}.", indent=indent + "   ")
        else:
            out.append(f"{indent}{number}. {step_text(item.step, item.absolute)}")
    return out
