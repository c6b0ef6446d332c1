"""A structured workout's steps for the athlete: in their language and units.

core.training.structured.describe keeps the English text the files and the coach's prompts
carry; the chat shows these lines instead, built from the same Workout and the same resolved
numbers (core.training.structured.resolve), with paces and distances in km or miles and
figures in the language's notation.
"""

from __future__ import annotations

from dataclasses import replace

from bot.i18n import N_, _
from bot.i18n.format import KM_PER_MILE, distance, number
from core.training.formatting import format_duration
from core.training.structured.model import Duration, Item, Repeat, Step, Workout
from core.training.structured.resolve import (
    NEEDS,
    Absolute,
    AthleteThresholds,
    ResolvedItem,
    ResolvedRepeat,
    resolve_targets,
)

KIND_NAMES = {
    "warmup": N_("Warm-up"),
    "work": N_("Work"),
    "recovery": N_("Recovery"),
    "cooldown": N_("Cool-down"),
    "rest": N_("Rest"),
}
# A workout's sport as the header names it, lower case: 'Threshold 2x2 km (running): 19:00'.
SPORT_NAMES = {
    "cycling": N_("cycling"),
    "running": N_("running"),
    "swimming": N_("swimming"),
    "other": N_("other"),
}
# The thresholds a target rests on, as the settings name them; resolve.py names the missing
# ones by NEEDS' English names, looked up here.
THRESHOLD_NAMES = {"ftp": N_("FTP"), "lthr": N_("LTHR"), "hr_max": N_("HR max")}
_BY_ENGLISH_NAME = {name: THRESHOLD_NAMES[field] for field, name in NEEDS.values()}
ABSOLUTE_UNITS = {"W": N_("{value} W"), "bpm": N_("{value} bpm")}


def workout_lines(
    workout: Workout, profile: AthleteThresholds | None, units: str = "metric"
) -> list[str]:
    """'Name (cycling, indoor): 1:10:00', then '1. Work 10 min @ 88-94% FTP (220-235 W)'...
    and, when a threshold is not set, a line saying which targets stay relative."""
    resolved = resolve_targets(workout, profile)
    lines = [header(workout, units), *_lines(resolved.steps, units, prefix="", indent="")]
    if resolved.missing:
        lines.append(_missing_text(resolved.missing))
    return lines


def header(workout: Workout, units: str = "metric") -> str:
    """'Threshold 2x2 km (running): 19:00 + 4.00 km + open steps'."""
    sport = _(SPORT_NAMES[workout.sport]) if workout.sport in SPORT_NAMES else workout.sport
    text = (
        _("{name} ({sport}, indoor): {total}") if workout.indoor else _("{name} ({sport}): {total}")
    )
    return text.format(name=workout.name, sport=sport, total=total_text(workout, units))


def total_text(workout: Workout, units: str = "metric") -> str:
    """'1:10:00', '45:00 + 5.00 km', '20:00 + open steps'."""
    parts = []
    if workout.total_time_s:
        parts.append(format_duration(workout.total_time_s))
    if workout.total_distance_m:
        parts.append(distance(workout.total_distance_m, units))
    if workout.has_open_steps:
        parts.append(_("open steps"))
    return " + ".join(parts)


def step_line(step: Step, absolute: Absolute | None, units: str = "metric") -> str:
    """'Work 10 min @ 88-94% FTP (220-235 W)', then the step's note."""
    text = f"{_(KIND_NAMES[step.kind])} {duration_text(step.duration, units)}"
    target = target_text(step, absolute, units)
    text += f" @ {target}" if target else ""
    return f"{text}. {step.note}" if step.note else text


def outline(item: Item, units: str = "metric") -> str:
    """One item of a plan session's one-line outline: 'Warm-up 10 min @ 50-70% FTP',
    '3× (Work 8 min @ 88-93% FTP, Recovery 3 min)'; relative targets, no notes."""
    if isinstance(item, Repeat):
        return f"{item.count}× (" + ", ".join(outline(s, units) for s in item.steps) + ")"
    return step_line(replace(item, note=None), None, units)


def duration_text(duration: Duration, units: str = "metric") -> str:
    """'1 h 5 min', '90 s', '2.00 km' / '1.24 mi', 'until you press lap'."""
    if duration.type == "open" or duration.value is None:
        return _("until you press lap")
    if duration.type == "distance":
        return distance(duration.value, units)
    minutes, seconds = divmod(int(round(duration.value)), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        _("{hours} h").format(hours=hours) if hours else "",
        _("{minutes} min").format(minutes=minutes) if minutes else "",
        _("{seconds} s").format(seconds=seconds) if seconds else "",
    ]
    return " ".join(p for p in parts if p)


def target_text(step: Step, absolute: Absolute | None, units: str = "metric") -> str:
    """'4:25-4:35 /km', 'HR zones 1-2 (114-152 bpm)', '88-93% FTP (220-233 W)'; '' without one."""
    target = step.target
    if target.type == "none" or target.low is None or target.high is None:
        return ""
    if target.type == "pace_s_per_km":
        return pace_range(target.low, target.high, units)
    low, high = _figure(target.low), _figure(target.high)
    if target.type == "hr_zone":
        many = low != high
        zones = _range(low, high)
        text = (_("HR zones {zones}") if many else _("HR zone {zone}")).format(
            zones=zones, zone=zones
        )
    elif target.type == "power_pct_ftp":
        text = _("{range}% FTP").format(range=_range(low, high))
    else:
        text = _("{range}% LTHR").format(range=_range(low, high))
    if absolute is None or absolute.unit not in ABSOLUTE_UNITS:
        return text
    value = _range(_figure(absolute.low), _figure(absolute.high))
    return f"{text} ({_(ABSOLUTE_UNITS[absolute.unit]).format(value=value)})"


def pace_range(fast_s_per_km: float, slow_s_per_km: float, units: str = "metric") -> str:
    """'4:25-4:35 /km' or '7:07-7:23 /mi' (the faster pace first)."""
    per_mile = units == "imperial"
    factor = KM_PER_MILE if per_mile else 1.0
    low, high = _clock(fast_s_per_km * factor), _clock(slow_s_per_km * factor)
    return f"{_range(low, high)} {_('/mi') if per_mile else _('/km')}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _figure(value: float) -> str:
    """A whole number as it is ('88'), else with its decimals in the language's notation."""
    if float(value).is_integer():
        return str(int(value))
    return number(value, 1 if round(value, 1) == value else 2)


def _range(low: str, high: str) -> str:
    return low if low == high else f"{low}-{high}"


def _missing_text(missing: tuple[str, ...]) -> str:
    """'No FTP set, so those targets stay relative.' for one, two or three thresholds."""
    names = [_(_BY_ENGLISH_NAME[m]) if m in _BY_ENGLISH_NAME else m for m in missing]
    if len(names) == 1:
        return _("No {name} set, so those targets stay relative.").format(name=names[0])
    if len(names) == 2:
        return _("No {first} or {second} set, so those targets stay relative.").format(
            first=names[0], second=names[1]
        )
    return _("No {first}, {second} or {third} set, so those targets stay relative.").format(
        first=", ".join(names[:-2]), second=names[-2], third=names[-1]
    )


def _lines(items: tuple[ResolvedItem, ...], units: str, *, prefix: str, indent: str) -> list[str]:
    out = []
    for n, item in enumerate(items, start=1):
        label = f"{prefix}{n}"
        if isinstance(item, ResolvedRepeat):
            out.append(f"{indent}{label}. {item.count}×:")
            out += _lines(item.steps, units, prefix=f"{label}.", indent=indent + "   ")
        else:
            out.append(f"{indent}{label}. {step_line(item.step, item.absolute, units)}")
    return out
