"""Chart series: bucket means, a bounded number of points, speed from distance."""

from __future__ import annotations

from core.training.series import chart_series, speed_from_distance


def test_an_hour_becomes_at_most_500_points_of_bucket_means() -> None:
    hr = tuple((float(t), 100.0 + (t % 2) * 10) for t in range(3600))
    data = chart_series(hr=hr, power=(), speed=(), duration_s=3600)
    assert data is not None
    assert data["step_s"] == 8.0 and len(data["t"]) == len(data["hr"]) == 450
    assert data["t"][:3] == [0, 8, 16]
    assert set(data["hr"]) == {105.0}  # each bucket: four samples of 100 and four of 110
    assert data["power"] is None and data["speed"] is None


def test_short_sessions_keep_one_point_per_second_and_gaps_stay_empty() -> None:
    power = ((0.0, 200.0), (1.0, 210.0), (5.0, 300.0))
    data = chart_series(hr=(), power=power, speed=(), duration_s=5)
    assert data is not None
    assert data["t"] == [0, 1, 2, 3, 4]  # the sample at the very end joins the last second
    assert data["power"] == [200.0, 210.0, None, None, 300.0]


def test_speed_comes_from_distance_when_the_file_has_none() -> None:
    distance = tuple((float(t), 3.0 * t) for t in range(0, 61))
    data = chart_series(hr=(), power=(), speed=(), distance=distance, duration_s=60)
    assert data is not None and set(data["speed"][1:]) == {3.0}
    # A pause (a long gap) or a reset of the distance gives no speed sample.
    assert speed_from_distance(((0.0, 0.0), (100.0, 50.0), (101.0, 10.0))) == ()


def test_nothing_to_chart_is_none() -> None:
    assert chart_series(hr=(), power=(), speed=(), duration_s=600) is None
