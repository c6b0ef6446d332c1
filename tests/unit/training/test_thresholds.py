"""Thresholds: profile values win, estimates are flagged."""

from __future__ import annotations

import pytest

from core.training.thresholds import best_mean_power, resolve_thresholds


def test_profile_values_win_and_nothing_is_flagged() -> None:
    th = resolve_thresholds(
        hr_max=190, hr_rest=48, lthr=172, ftp=260, threshold_pace_s_per_km=255, sex="female",
        max_hr_seen=200, best_20min_power=320, garmin_rest_hr=52,
    )  # fmt: skip

    assert (th.hr_max, th.hr_rest, th.lthr, th.ftp) == (190, 48, 172, 260)
    assert (th.threshold_pace_s_per_km, th.sex) == (255, "female")
    assert th.estimated_fields == ()


def test_missing_values_are_estimated_from_data_and_flagged() -> None:
    th = resolve_thresholds(max_hr_seen=186, best_20min_power=300, garmin_rest_hr=51)

    assert th.hr_max == 186 and th.hr_max_estimated
    assert th.lthr == pytest.approx(0.89 * 186, abs=0.05) and th.lthr_estimated
    assert th.ftp == 285 and th.ftp_estimated
    assert th.hr_rest == 51 and th.hr_rest_estimated
    assert th.estimated_fields == ("hr_max", "hr_rest", "lthr", "ftp")


def test_lthr_follows_a_profile_hr_max_but_is_still_an_estimate() -> None:
    th = resolve_thresholds(hr_max=200)
    assert th.lthr == 178 and th.lthr_estimated and not th.hr_max_estimated


def test_with_no_data_only_resting_hr_has_a_default() -> None:
    th = resolve_thresholds(sex="other")

    assert (th.hr_max, th.lthr, th.ftp, th.threshold_pace_s_per_km) == (None, None, None, None)
    assert th.hr_rest == 60 and th.sex is None
    assert th.estimated_fields == ("hr_rest",)


def test_a_glitched_max_hr_is_not_taken_as_hr_max() -> None:
    assert resolve_thresholds(max_hr_seen=254).hr_max is None


def test_best_mean_power_finds_the_best_window() -> None:
    samples = [(float(t), 200.0) for t in range(0, 600)]
    samples += [(float(t), 350.0) for t in range(600, 1800)]
    samples += [(float(t), 150.0) for t in range(1800, 2400)]

    assert best_mean_power(samples, 1200) == pytest.approx(350.0)
    assert best_mean_power(samples, 60 * 60) is None
    assert best_mean_power(samples[:10], 5) == 200.0
