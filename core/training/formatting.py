"""Short plain-text forms of training figures: durations, distances, paces, sport names.

The one place these are written: the bot's views and the coach's prompts both use them, so
the athlete and the model read a figure the same way. No markup here.
"""

from __future__ import annotations

import math


def format_duration(seconds: float) -> str:
    """1:05:09 for an hour and more, 45:12 below."""
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_distance(meters: float) -> str:
    """'12.35 km' from 1 km up, '850 m' below."""
    if meters >= 1000:
        return f"{meters / 1000:.2f} km"
    return f"{max(0, int(round(meters)))} m"


def pace_s_per_km(speed_m_s: float) -> float | None:
    """Pace in seconds per km for a speed in m/s; None when standing still."""
    if not speed_m_s or speed_m_s <= 0 or not math.isfinite(speed_m_s):
        return None
    return 1000.0 / speed_m_s


def format_pace(s_per_km: float | None, *, unit: str = "/km") -> str:
    """'4:35 /km'; a dash when there is no pace."""
    if s_per_km is None or not math.isfinite(s_per_km) or s_per_km <= 0:
        return "-"
    minutes, secs = divmod(int(round(s_per_km)), 60)
    return f"{minutes}:{secs:02d} {unit}"


def sport_name(sport: str, sub_sport: str = "generic") -> str:
    """'Running', 'Indoor cycling', 'Lap swimming' from FIT sport names."""
    if sub_sport and sub_sport not in ("generic", "all", sport):
        if sub_sport.endswith(("cycling", "swimming", "running")):
            return sub_sport.replace("_", " ").capitalize()
        return f"{sport.replace('_', ' ').capitalize()} ({sub_sport.replace('_', ' ')})"
    return sport.replace("_", " ").capitalize()
