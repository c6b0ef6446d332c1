"""Distances and paces as athletes type them, in their units: stored in SI whatever was typed.

A bare number means the athlete's own units (km and min/km for metric, miles and min/mi for
imperial); a unit written after it ("26.2 mi", "4:30/km") wins, so either athlete may use the
other's units once.
"""

from __future__ import annotations

import math
import re

from core.errors import N_, BadInput

KM_PER_MILE = 1.609344
MAX_DISTANCE_KM = 1000.0
# 2:00 to 15:00 per km, as the profile allows (core.accounts.service.PROFILE_RANGES)
PACE_RANGE_S_PER_KM = (120.0, 900.0)

_KM = ("kilometres", "kilometers", "kilometre", "kilometer", "km")
_MILES = ("miles", "mile", "mi")
_DISTANCE = re.compile(r"^(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-z]*)$")
# Matched against the answer with its spaces removed: "7:15 min / mi" -> "7:15min/mi".
_PACE = re.compile(r"^(?P<min>\d{1,2})(?::(?P<sec>\d{2}))?(?:min)?/?(?P<unit>[a-z]*)$")
DISTANCE_UNIT_PATTERN = "|".join(_KM + _MILES)  # for parsers that find a distance in a line


def _unit(word: str, units: str) -> str | None:
    """'km' or 'mi' for the typed unit (the athlete's own when none); None when unknown."""
    if not word:
        return "mi" if units == "imperial" else "km"
    if word in _KM:
        return "km"
    if word in _MILES:
        return "mi"
    return None


def parse_distance_km(text: str, units: str = "metric") -> float:
    """Kilometres from '42.2', '42,2 km' or '26.2 mi'; a bare number is in the athlete's units."""
    m = _DISTANCE.match(text.strip().lower())
    unit = _unit(m["unit"], units) if m else None
    if m is None or unit is None:
        if units == "imperial":
            raise BadInput(N_("Give the distance in miles, for example 26.2."))
        raise BadInput(N_("Give the distance in km, for example 42.2."))
    value = float(m["value"].replace(",", "."))
    km = value * KM_PER_MILE if unit == "mi" else value
    if not 0 < km <= MAX_DISTANCE_KM:
        if units == "imperial":
            raise BadInput(
                N_("The distance must be between 0 and {max} miles."),
                max=f"{MAX_DISTANCE_KM / KM_PER_MILE:.0f}",
            )
        raise BadInput(
            N_("The distance must be between 0 and {max} km."), max=f"{MAX_DISTANCE_KM:g}"
        )
    return km


def _m_ss(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def parse_pace_s_per_km(text: str, units: str = "metric") -> float:
    """Seconds per km from '4:30', '4:30/km', '7:15 min/mi' or '5'; a bare pace is per the
    athlete's units (per mile for imperial)."""
    m = _PACE.match(text.strip().lower().replace(" ", ""))
    unit = _unit(m["unit"], units) if m else None
    if m is None or unit is None or int(m["sec"] or 0) >= 60:
        if units == "imperial":
            raise BadInput(N_("Give the pace as m:ss per mile, for example 7:15."))
        raise BadInput(N_("Give the pace as m:ss per km, for example 4:30."))
    seconds = int(m["min"]) * 60 + int(m["sec"] or 0)
    s_per_km = round(seconds / KM_PER_MILE, 1) if unit == "mi" else float(seconds)
    lo, hi = PACE_RANGE_S_PER_KM
    if not lo <= s_per_km <= hi:
        if units == "imperial":
            raise BadInput(
                N_("Give a pace between {lo} and {hi} per mile."),
                lo=_m_ss(math.ceil(lo * KM_PER_MILE)),  # bounds shown are inside the range
                hi=_m_ss(math.floor(hi * KM_PER_MILE)),
            )
        raise BadInput(N_("Give a pace between {lo} and {hi} per km."), lo=_m_ss(lo), hi=_m_ss(hi))
    return s_per_km
