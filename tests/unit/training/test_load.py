"""Load formulas against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.training.fit import SessionData
from core.training.load import (
    activity_load,
    banister_trimp,
    edwards_trimp,
    hr_zone_seconds,
    minetti_cost,
    normalized_power,
    resample_1hz,
    tss,
)
from core.training.thresholds import Thresholds, resolve_thresholds
from tests.fit_files import fit_bytes, needs_fit_files

START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
TH = Thresholds(hr_max=200, hr_rest=60, lthr=170, ftp=250, threshold_pace_s_per_km=300, sex="male")


def constant(value: float, seconds: int, step: int = 1) -> tuple[tuple[float, float], ...]:
    return tuple((float(t), float(value)) for t in range(0, seconds + 1, step))


def session(sport: str = "cycling", timer_s: float = 3600, **fields: object) -> SessionData:
    base: dict[str, object] = dict(
        index=0, sport=sport, sub_sport="generic", start_time=START, timer_s=timer_s,
        elapsed_s=timer_s, distance_m=None, ascent_m=None, calories=None, avg_hr=None,
        max_hr=None, avg_power=None, normalized_power=None, avg_cadence=None, lap_count=0,
    )  # fmt: skip
    base.update(fields)
    return SessionData(**base)  # type: ignore[arg-type]


def test_banister_trimp_of_a_known_case() -> None:
    # dHR = (130 - 60) / (200 - 60) = 0.5 for 30 min:
    # men 30 x 0.5 x 0.64 e^0.96 = 25.0723, women 30 x 0.5 x 0.86 e^0.835 = 29.7321
    hr = constant(130, 1800)
    assert banister_trimp(hr, hr_rest=60, hr_max=200, sex="male") == pytest.approx(
        25.0723, abs=1e-3
    )
    assert banister_trimp(hr, hr_rest=60, hr_max=200, sex=None) == pytest.approx(25.0723, abs=1e-3)
    assert banister_trimp(hr, hr_rest=60, hr_max=200, sex="female") == pytest.approx(
        29.7321, abs=1e-3
    )


def test_banister_clamps_hr_outside_rest_and_max() -> None:
    above = banister_trimp(constant(230, 600), hr_rest=60, hr_max=200, sex=None)
    at_max = banister_trimp(constant(200, 600), hr_rest=60, hr_max=200, sex=None)
    assert above == at_max
    assert banister_trimp(constant(50, 600), hr_rest=60, hr_max=200, sex=None) == 0


def test_pauses_longer_than_30_s_are_not_counted() -> None:
    hr = ((0.0, 150.0), (1.0, 150.0), (2.0, 150.0), (100.0, 150.0), (101.0, 150.0))
    assert sum(hr_zone_seconds(hr, hr_max=200)) == 3
    assert resample_1hz(hr) == [150.0, 150.0, 150.0]


def test_edwards_trimp_of_a_known_case() -> None:
    # HR max 200: 10 min at 55 % (Z1), 20 min at 75 % (Z3), 5 min at 92.5 % (Z5), 5 min
    # under 50 % (no zone): 10 x 1 + 20 x 3 + 5 x 5 = 95
    hr = [(0.0, 110.0)]
    for minutes, bpm in [(10, 110), (20, 150), (5, 185), (5, 90)]:
        t0 = hr[-1][0]
        hr += [(t0 + s, float(bpm)) for s in range(1, minutes * 60 + 1)]
    zones = hr_zone_seconds(hr, hr_max=200)
    assert zones == (600.0, 0.0, 1200.0, 0.0, 300.0)
    assert edwards_trimp(zones) == pytest.approx(95.0)


def test_an_hour_at_ftp_is_100_tss() -> None:
    ride = session(
        power=constant(250, 3600), normalized_power=normalized_power(constant(250, 3600))
    )

    result = activity_load(ride, TH)

    assert tss(duration_s=3600, np=250, ftp=250) == 100
    assert (result.method, result.load, result.intensity_factor) == ("tss", 100.0, 1.0)
    assert result.normalized_power == 250 and result.estimated is False


def test_np_weights_hard_efforts_above_the_average() -> None:
    surges = tuple((float(t), 400.0 if (t // 60) % 2 else 100.0) for t in range(3601))
    np = normalized_power(surges)
    assert np is not None and 250 < np < 400
    assert normalized_power(constant(300, 20)) is None  # under 30 s


def test_an_hour_at_lthr_is_100_hrtss() -> None:
    th = Thresholds(hr_max=200, hr_rest=60, lthr=170, ftp=None, threshold_pace_s_per_km=None,
                    sex=None)  # fmt: skip
    result = activity_load(session("running", hr=constant(170, 3600)), th)

    assert result.method == "hrtss"
    assert result.load == pytest.approx(100.0)
    assert result.trimp == pytest.approx(60 * (110 / 140) * 0.64 * 2.71828 ** (1.92 * 110 / 140),
                                         rel=1e-4)  # fmt: skip


def test_average_hr_stands_in_when_there_are_no_hr_samples() -> None:
    th = resolve_thresholds(hr_max=200, hr_rest=60, lthr=170)
    result = activity_load(session("swimming", avg_hr=170.0), th)

    assert result.method == "hrtss"
    assert result.hrtss == pytest.approx(100.0)
    assert result.hr_zone_seconds == (0.0, 0.0, 0.0, 3600.0, 0.0)  # 85 % of max


def test_an_hour_at_threshold_pace_on_the_flat_is_100_rtss() -> None:
    speed = 1000 / 300  # m/s
    run = session(
        "running", speed=constant(speed, 3600), distance=tuple((t, v * 1000 / 300) for t, v in
        constant(1, 3600)), altitude=constant(50, 3600), distance_m=12000.0,
    )  # fmt: skip

    result = activity_load(run, TH)

    assert result.method == "rtss" and result.estimated is False
    assert result.rtss == pytest.approx(100.0)


def test_uphill_running_at_the_same_speed_costs_more() -> None:
    speed = 1000 / 300
    dist = tuple((float(t), speed * t) for t in range(3601))
    flat = session("running", speed=constant(speed, 3600), distance=dist,
                   altitude=constant(50, 3600))  # fmt: skip
    uphill = session("running", speed=constant(speed, 3600), distance=dist,
                     altitude=tuple((t, 50 + 0.05 * d) for t, d in dist))  # fmt: skip

    assert minetti_cost(0) == pytest.approx(3.6)
    assert activity_load(uphill, TH).load > activity_load(flat, TH).load * 1.5


def test_plain_pace_when_there_is_no_altitude() -> None:
    result = activity_load(session("running", distance_m=12000.0), TH)
    assert result.method == "rtss" and result.rtss == pytest.approx(100.0)


def test_without_hr_power_or_pace_the_load_is_a_duration_estimate() -> None:
    th = resolve_thresholds()

    run = activity_load(session("running", timer_s=5400), th)
    lift = activity_load(session("training", timer_s=3600), th)
    other = activity_load(session("rock_climbing", timer_s=1800), th)

    assert (run.method, run.load, run.estimated) == ("estimate", 90.0, True)
    assert lift.load == 40.0 and other.load == 20.0
    assert run.trimp is None and run.hr_zone_seconds is None


def test_the_first_available_method_wins_and_estimated_thresholds_are_flagged() -> None:
    th = resolve_thresholds(max_hr_seen=190, best_20min_power=263.2)
    ride = session(power=constant(250, 3600), normalized_power=250.0, hr=constant(150, 3600))

    result = activity_load(ride, th)

    assert th.ftp == 250.0 and th.ftp_estimated
    assert result.method == "tss" and result.estimated is True
    assert result.hrtss is not None and result.trimp is not None


def test_power_on_a_run_does_not_use_cycling_ftp() -> None:
    result = activity_load(session("running", normalized_power=300.0, hr=constant(150, 600)), TH)
    assert result.tss is None and result.method == "hrtss"


@needs_fit_files
def test_loads_of_real_files_are_plausible() -> None:
    from core.training.fit import decode_activity

    ride = decode_activity(fit_bytes("Edge810-Vector-2013-08-16-15-35-10.fit")).sessions[0]
    run = decode_activity(fit_bytes("2013-02-06-12-11-14.fit")).sessions[0]
    th = Thresholds(hr_max=185, hr_rest=50, lthr=165, ftp=280, threshold_pace_s_per_km=270,
                    sex="male")  # fmt: skip

    ride_load = activity_load(ride, th)
    run_load = activity_load(run, th)

    assert ride_load.method == "tss"
    expected = 4700.05 / 3600 * (ride.normalized_power / 280) ** 2 * 100  # type: ignore[operator]
    assert ride_load.load == pytest.approx(expected)
    assert 100 < ride_load.load < 200
    assert run_load.method == "rtss" and 20 < run_load.load < 80  # 45 min at an easy pace
    assert sum(run_load.hr_zone_seconds or ()) == pytest.approx(2625, rel=0.05)
