"""Distances and paces as athletes type them: a bare number in their units, a written unit wins."""

from __future__ import annotations

import pytest

from core.errors import BadInput
from core.training.goals import parse_goal_line
from core.training.typed_units import KM_PER_MILE, parse_distance_km, parse_pace_s_per_km


@pytest.mark.parametrize(
    ("text", "units", "km"),
    [
        ("42.2", "metric", 42.2),
        ("42,2 km", "metric", 42.2),
        ("26.2", "imperial", 26.2 * KM_PER_MILE),
        ("26.2 mi", "metric", 26.2 * KM_PER_MILE),
        ("13.1miles", "metric", 13.1 * KM_PER_MILE),
        ("1 mile", "imperial", KM_PER_MILE),
        ("21.1 km", "imperial", 21.1),
        ("10 KM", "imperial", 10.0),
    ],
)
def test_distances_are_read_in_the_units_given_or_the_athletes(
    text: str, units: str, km: float
) -> None:
    assert parse_distance_km(text, units) == pytest.approx(km)


@pytest.mark.parametrize(
    ("text", "units", "message"),
    [
        ("far", "metric", "Give the distance in km, for example 42.2."),
        ("far", "imperial", "Give the distance in miles, for example 26.2."),
        ("26.2 furlongs", "imperial", "Give the distance in miles, for example 26.2."),
        ("0", "metric", "The distance must be between 0 and 1000 km."),
        ("700", "imperial", "The distance must be between 0 and 621 miles."),
    ],
)
def test_a_distance_that_cannot_be_read_says_so_in_the_athletes_units(
    text: str, units: str, message: str
) -> None:
    with pytest.raises(BadInput) as caught:
        parse_distance_km(text, units)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("text", "units", "s_per_km"),
    [
        ("4:30", "metric", 270.0),
        ("4:30/km", "imperial", 270.0),
        ("4:30 min/km", "imperial", 270.0),
        ("7:15", "imperial", 270.3),  # 435 s a mile
        ("7:15 /mi", "metric", 270.3),
        ("5", "metric", 300.0),
    ],
)
def test_paces_are_read_per_the_unit_given_or_the_athletes(
    text: str, units: str, s_per_km: float
) -> None:
    assert parse_pace_s_per_km(text, units) == pytest.approx(s_per_km)


@pytest.mark.parametrize(
    ("text", "units", "message"),
    [
        ("4:75", "metric", "Give the pace as m:ss per km, for example 4:30."),
        ("fast", "imperial", "Give the pace as m:ss per mile, for example 7:15."),
        ("1:00", "metric", "Give a pace between 2:00 and 15:00 per km."),
        ("3:10", "imperial", "Give a pace between 3:14 and 24:08 per mile."),
    ],
)
def test_a_pace_that_cannot_be_read_says_so_in_the_athletes_units(
    text: str, units: str, message: str
) -> None:
    with pytest.raises(BadInput) as caught:
        parse_pace_s_per_km(text, units)
    assert caught.value.message == message


def test_the_bounds_an_imperial_athlete_is_given_are_accepted() -> None:
    assert parse_pace_s_per_km("3:14", "imperial") >= 120
    assert parse_pace_s_per_km("24:08", "imperial") <= 900


def test_a_goal_line_takes_a_distance_with_or_without_its_unit() -> None:
    chicago = parse_goal_line("Chicago Marathon 2027-10-10 26.2 mi 3:15:00", "metric")
    assert chicago.name == "Chicago Marathon" and chicago.target_time_s == 3 * 3600 + 15 * 60
    assert chicago.distance_km == pytest.approx(26.2 * KM_PER_MILE)
    big_sur = parse_goal_line("Big Sur 2027-04-25 26.2", "imperial")
    assert big_sur.distance_km == pytest.approx(26.2 * KM_PER_MILE)
    assert parse_goal_line("Berlin 2027-09-26 42.2km", "imperial").distance_km == 42.2
    with pytest.raises(BadInput) as caught:
        parse_goal_line("no date here", "imperial")
    assert "[miles]" in caught.value.message
