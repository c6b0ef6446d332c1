"""Human forms of durations, distances, paces and sports."""

from __future__ import annotations

import pytest

from core.training.formatting import (
    format_distance,
    format_duration,
    format_pace,
    pace_s_per_km,
    sport_name,
)


@pytest.mark.parametrize(
    ("s", "text"), [(0, "0:00"), (59.6, "1:00"), (2712, "45:12"), (3909, "1:05:09")]
)
def test_format_duration(s: float, text: str) -> None:
    assert format_duration(s) == text


def test_distance_and_pace() -> None:
    assert format_distance(12345) == "12.35 km"
    assert format_distance(850.4) == "850 m"
    assert format_pace(pace_s_per_km(1000 / 275)) == "4:35 /km"
    assert pace_s_per_km(0) is None and format_pace(None) == "-"


@pytest.mark.parametrize(
    ("sport", "sub", "name"),
    [("running", "generic", "Running"), ("cycling", "indoor_cycling", "Indoor cycling"),
     ("swimming", "lap_swimming", "Lap swimming"), ("running", "trail", "Running (trail)"),
     ("training", "strength_training", "Training (strength training)")],
)  # fmt: skip
def test_sport_name(sport: str, sub: str, name: str) -> None:
    assert sport_name(sport, sub) == name
