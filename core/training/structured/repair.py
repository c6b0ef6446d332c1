"""Fixing what a model gets wrong in a workout's JSON, when the fix cannot change its meaning.

Swapped ranges, fractions given for percentages, numbers sent as text, sport and step-kind
synonyms, missing notes or targets. Anything else is left for `parse_workout` to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeGuard

from core.training.structured.model import SPORTS, Workout
from core.training.structured.parse import MAX_NAME, MAX_NOTE, parse_workout

_SPORTS = {
    "bike": "cycling", "biking": "cycling", "ride": "cycling", "cycle": "cycling",
    "road_cycling": "cycling", "indoor_cycling": "cycling", "virtual_ride": "cycling",
    "run": "running", "jog": "running", "treadmill": "running", "trail_running": "running",
    "swim": "swimming", "pool_swimming": "swimming", "lap_swimming": "swimming",
}  # fmt: skip
_KINDS = {
    "warm_up": "warmup", "cool_down": "cooldown", "interval": "work", "active": "work",
    "main": "work", "on": "work", "recover": "recovery", "easy": "recovery", "off": "recovery",
    "repetition": "repeat", "repeats": "repeat", "set": "repeat",
}  # fmt: skip
_DURATIONS = {
    "seconds": "time", "s": "time", "sec": "time", "meters": "distance", "metres": "distance",
    "m": "distance", "lap": "open", "lap_button": "open", "manual": "open",
}  # fmt: skip
_TARGETS = {
    "power": "power_pct_ftp", "pct_ftp": "power_pct_ftp", "ftp": "power_pct_ftp",
    "lthr": "hr_pct_lthr", "pct_lthr": "hr_pct_lthr", "zone": "hr_zone",
    "heart_rate_zone": "hr_zone", "pace": "pace_s_per_km", "open": "none", "null": "none",
}  # fmt: skip
# A percentage target at or under this is a fraction: 0.9 means 90 %.
_FRACTION_MAX = {"power_pct_ftp": 3.0, "hr_pct_lthr": 1.5}


def repair_workout(data: object) -> Workout:
    """The workout in `data` after the safe fixes; BadWorkout when it still does not validate."""
    if isinstance(data, Mapping) and set(data) == {"workout"}:
        data = data["workout"]
    if not isinstance(data, Mapping):
        return parse_workout(data)
    sport = _word(data.get("sport"))
    sport = _SPORTS.get(sport, sport if sport in SPORTS else "other")
    name = data.get("name")
    name = name.strip()[:MAX_NAME] if isinstance(name, str) else ""
    steps = data.get("steps")
    return parse_workout({
        "name": name or f"{sport.capitalize()} workout",
        "sport": sport,
        "indoor": _flag(data.get("indoor", False)),
        "steps": [_item(s) for s in steps] if isinstance(steps, list) else steps,
    })  # fmt: skip


def _item(data: object) -> object:
    if not isinstance(data, Mapping):
        return data
    kind = _word(data.get("kind"))
    kind = _KINDS.get(kind, kind)
    if kind == "repeat" or (not kind and "count" in data and "steps" in data):
        steps = data.get("steps")
        return {
            "kind": "repeat",
            "count": _whole(_number(data.get("count"))),
            "steps": [_item(s) for s in steps] if isinstance(steps, list) else steps,
        }
    note = data.get("note") or data.get("notes")
    note = " ".join(note.split())[:MAX_NOTE] if isinstance(note, str) else None
    return {
        "kind": kind,
        "duration": _duration(data.get("duration")),
        "target": _target(data.get("target")),
        "note": note or None,
    }


def _duration(data: object) -> object:
    if not isinstance(data, Mapping):
        return data
    kind = _word(data.get("type"))
    kind = _DURATIONS.get(kind, kind)
    value = None if kind == "open" else _number(data.get("value"))
    return {"type": kind, "value": value}


def _target(data: object) -> object:
    if data is None:
        return {"type": "none", "low": None, "high": None}
    if not isinstance(data, Mapping):
        return data
    kind = _word(data.get("type"))
    kind = _TARGETS.get(kind, kind)
    if kind == "none":
        return {"type": "none", "low": None, "high": None}
    low, high = _number(data.get("low")), _number(data.get("high"))
    low, high = (high if low is None else low), (low if high is None else high)
    if kind == "hr_zone":
        low, high = _whole(low), _whole(high)
    limit = _FRACTION_MAX.get(kind)
    if limit and _is_num(low) and _is_num(high) and 0 < low <= limit and 0 < high <= limit:
        low, high = _percent(low), _percent(high)
    if _is_num(low) and _is_num(high) and low > high:
        low, high = high, low
    return {"type": kind, "low": low, "high": high}


def _word(value: object) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower()) if isinstance(value, str) else ""


def _number(value: object) -> object:
    """A number sent as text ("300", "Z2", "90%") becomes a number; anything else is kept."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*z?\s*(-?\d+(?:\.\d+)?)\s*%?\s*", value, flags=re.IGNORECASE)
        if match:
            number = float(match.group(1))
            return int(number) if number.is_integer() else number
    return value


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _percent(fraction: float) -> float:
    value = round(fraction * 100, 1)
    return int(value) if value.is_integer() else value


def _is_num(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _flag(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value
