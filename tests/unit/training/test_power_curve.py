"""Power curve and run best efforts against brute-force references, on real and made-up rides."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest

from core.training.best_efforts import (
    BestEffort,
    best_efforts,
    merge_efforts,
    new_best_efforts,
    window_efforts,
)
from core.training.fit import decode_activity
from core.training.power_curve import (
    DURATIONS_S,
    MAX_HOLD_S,
    CurvePoint,
    PowerCurve,
    curve_of_values,
    merge_curves,
    new_bests,
    power_curve,
    propose_ftp,
    resample_power,
    window_curve,
    with_activity,
)
from tests.fit_files import fit_bytes, needs_fit_files

Samples = list[tuple[float, float]]


def brute_resample(samples: Samples) -> list[float]:
    """Second by second: the latest sample at or before it, if it is within its hold."""
    ordered = sorted(samples, key=lambda s: s[0])
    first = ordered[0][0]
    secs = [int(t - first) for t, _ in ordered]
    out = [0.0] * (secs[-1] + 1)
    for k, (s, (_, v)) in enumerate(zip(secs, ordered, strict=True)):
        nxt = secs[k + 1] if k + 1 < len(secs) else s + 1
        hold = nxt - s if nxt - s <= MAX_HOLD_S else 1
        for second in range(s, s + hold):
            out[second] = v
    return out


def brute_curve(values: list[float]) -> dict[int, float]:
    """O(n^2): every start, every length, by a running sum from that start."""
    power = np.asarray(values, dtype=np.float64)
    wanted = set(DURATIONS_S)
    best: dict[int, float] = {}
    for i in range(power.size):
        running = np.cumsum(power[i : i + max(DURATIONS_S)])
        for d in wanted:
            if d <= running.size:
                best[d] = max(best.get(d, -1.0), float(running[d - 1]) / d)
    return best


def check_against_brute(samples: Samples) -> PowerCurve:
    curve = power_curve(samples)
    expected = brute_curve(brute_resample(samples))
    assert [p.duration_s for p in curve.points] == sorted(expected)
    for p in curve.points:
        assert p.watts == pytest.approx(expected[p.duration_s], abs=1e-6)
    return curve


@needs_fit_files
@pytest.mark.parametrize(
    "name", ["Edge810-Vector-2013-08-16-15-35-10.fit", "sample-activity-indoor-trainer.fit"]
)
def test_power_curve_of_real_rides_matches_brute_force(name: str) -> None:
    session = decode_activity(fit_bytes(name)).sessions[0]
    assert len(session.power) > 2000
    curve = check_against_brute(list(session.power))
    assert curve.watts(1) == max(v for _, v in session.power)
    # The curve never rises with duration.
    watts = [p.watts for p in curve.points]
    assert watts == sorted(watts, reverse=True)


@needs_fit_files
def test_power_curve_of_the_edge810_ride_has_every_duration_up_to_its_length() -> None:
    session = decode_activity(fit_bytes("Edge810-Vector-2013-08-16-15-35-10.fit")).sessions[0]
    curve = power_curve(session.power)
    length = int(session.power[-1][0] - session.power[0][0]) + 1  # 4700 s
    assert [p.duration_s for p in curve.points] == [d for d in DURATIONS_S if d <= length]
    assert curve.watts(5400) is None
    # The whole-ride 60 min value sits below the 20 min one, and both are real watts.
    assert 0 < (curve.watts(3600) or 0) < (curve.watts(1200) or 0) < 1000


@needs_fit_files
def test_power_curve_indoor_ride_gaps_count_as_zero() -> None:
    session = decode_activity(fit_bytes("sample-activity-indoor-trainer.fit")).sessions[0]
    gaps = [b[0] - a[0] for a, b in zip(session.power, session.power[1:], strict=False)]
    assert max(gaps) > MAX_HOLD_S  # the file has a 37 s dropout
    values = resample_power(session.power)
    assert values.tolist() == brute_resample(list(session.power))
    assert values.size == int(session.power[-1][0] - session.power[0][0]) + 1


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_power_curve_of_synthetic_rides_with_gaps_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    samples: Samples = []
    t = rng.uniform(0, 3)
    for _ in range(2500):
        samples.append((t, float(rng.randint(0, 600))))
        gap = rng.choice([1, 1, 1, 1, 2, 3, 5, 6, 40, 300]) if rng.random() < 0.1 else 1
        t += gap + rng.choice([0.0, 0.0, 0.4])
    check_against_brute(samples)


def test_power_curve_resampling_holds_short_gaps_and_zeroes_long_ones() -> None:
    samples = [(0.0, 100.0), (2.0, 200.0), (2.0 + MAX_HOLD_S, 300.0), (20.0, 400.0)]
    assert resample_power(samples).tolist() == (
        [100.0, 100.0] + [200.0] * 5 + [300.0] + [0.0] * 12 + [400.0]
    )
    assert resample_power([]).size == 0
    # Unsorted input, and two samples in one second: the later one counts.
    assert resample_power([(3.0, 30.0), (1.0, 10.0), (1.5, 15.0)]).tolist() == [15.0, 15.0, 30.0]


def test_power_curve_short_ride_gives_no_longer_durations() -> None:
    curve = curve_of_values([200.0] * 59)
    assert [p.duration_s for p in curve.points] == [1, 5, 10, 30]
    assert all(p.watts == 200.0 for p in curve.points)
    assert power_curve([]).points == ()


def test_power_curve_point_knows_where_it_starts() -> None:
    values = [100.0] * 100 + [400.0] * 30 + [100.0] * 100
    curve = curve_of_values(values, activity_id=7, day=date(2026, 11, 1))
    p30 = curve.point(30)
    assert p30 == CurvePoint(30, 400.0, 100, 7, date(2026, 11, 1))
    relabelled = with_activity(curve_of_values(values), activity_id=9, day=date(2026, 11, 2))
    assert {(p.activity_id, p.day) for p in relabelled.points} == {(9, date(2026, 11, 2))}
    assert [p.watts for p in relabelled.points] == [p.watts for p in curve.points]


def _ride(activity_id: int, day: date, watts: dict[int, float]) -> PowerCurve:
    return PowerCurve(tuple(CurvePoint(d, w, 0, activity_id, day) for d, w in watts.items()))


def test_power_curve_merge_keeps_best_per_duration_with_its_activity() -> None:
    a = _ride(1, date(2026, 8, 1), {5: 900, 1200: 280, 3600: 250})
    b = _ride(2, date(2026, 11, 20), {5: 950, 1200: 270})
    c = _ride(3, date(2026, 11, 25), {5: 950, 1200: 275})  # ties b at 5 s: b was first
    merged = merge_curves([c, b, a])
    assert [(p.duration_s, p.watts, p.activity_id) for p in merged.points] == [
        (5, 950, 2), (1200, 280, 1), (3600, 250, 1),
    ]  # fmt: skip
    recent = window_curve([a, b, c], today=date(2026, 11, 28), days=90)
    assert [(p.duration_s, p.activity_id) for p in recent.points] == [(5, 2), (1200, 3)]
    # 90 days back includes the 90th day (Aug 31 + 89 = Nov 28) and excludes the 91st.
    edge = _ride(4, date(2026, 8, 31), {1: 1500})
    assert window_curve([edge], today=date(2026, 11, 28), days=90).watts(1) == 1500
    assert window_curve([edge], today=date(2026, 11, 29), days=90).points == ()
    assert window_curve([a, b, c], today=date(2026, 11, 28), days=None) == merged


def test_power_curve_new_bests_against_previous_curve() -> None:
    previous = _ride(1, date(2026, 9, 1), {5: 900, 60: 500, 1200: 280})
    ride = _ride(2, date(2026, 11, 1), {5: 900.4, 60: 520, 1200: 279, 3600: 240})
    bests = new_bests(ride, previous)
    assert [(b.duration_s, b.watts, b.previous_watts) for b in bests] == [
        (60, 520, 500), (3600, 240, None),
    ]  # fmt: skip
    assert new_bests(ride, PowerCurve()) and len(new_bests(ride, PowerCurve())) == 4


@pytest.mark.parametrize(
    ("watts", "basis", "ftp"),
    [
        ({1200: 300}, "20min", 285),
        ({1200: 300, 3600: 280}, "20min", 285),
        ({1200: 300, 3600: 285}, "20min", 285),  # equal is not higher
        ({1200: 300, 3600: 290}, "60min", 290),
    ],
)
def test_power_curve_ftp_proposal(watts: dict[int, float], basis: str, ftp: int) -> None:
    proposal = propose_ftp(_ride(1, date(2026, 11, 1), watts))
    assert proposal is not None
    assert (proposal.basis, proposal.watts) == (basis, ftp)
    assert proposal.source.activity_id == 1
    assert f"FTP {ftp} W" in proposal.text


def test_power_curve_no_ftp_proposal_without_20_minutes() -> None:
    assert propose_ftp(_ride(1, date(2026, 11, 1), {300: 350, 600: 330})) is None


# Run best efforts ---------------------------------------------------------------------------


def brute_efforts(series: Samples, dist: float) -> float | None:
    """O(n^2): from every record, scan forward for the end; to every record, scan back."""
    times: list[float] = []
    metres: list[float] = []
    for t, d in sorted(series):
        if times and t == times[-1]:
            metres[-1] = max(metres[-1], d)
            continue
        times.append(t)
        metres.append(max(d, metres[-1]) if metres else d)
    best: float | None = None
    n = len(times)
    for i in range(n):
        for j in range(i + 1, n):
            if metres[j] >= metres[i] + dist:
                f = (metres[i] + dist - metres[j - 1]) / (metres[j] - metres[j - 1])
                end = times[j - 1] + f * (times[j] - times[j - 1])
                best = min(best, end - times[i]) if best is not None else end - times[i]
                break
    for j in range(n):
        goal = metres[j] - dist
        for i in range(n - 1, -1, -1):
            if metres[i] <= goal:
                if metres[i] == goal:
                    start = times[i]
                else:
                    f = (goal - metres[i]) / (metres[i + 1] - metres[i])
                    start = times[i] + f * (times[i + 1] - times[i])
                best = min(best, times[j] - start) if best is not None else times[j] - start
                break
    return best


RUNS = [
    ("2013-02-06-12-11-14.fit", 0, (1000.0,)),
    ("activity-small-fenix2-run.fit", 0, (1000.0, 5000.0)),
    ("sample_mulitple_header.fit", 4, (1000.0, 5000.0)),
]


@needs_fit_files
@pytest.mark.parametrize(("name", "index", "covered"), RUNS)
def test_power_curve_run_best_efforts_of_real_runs_match_brute_force(
    name: str, index: int, covered: tuple[float, ...]
) -> None:
    session = decode_activity(fit_bytes(name)).sessions[index]
    assert session.sport == "running"
    efforts = best_efforts(session.distance)
    assert tuple(e.distance_m for e in efforts) == covered  # shorter than 10 km: no 10 km
    for e in efforts:
        expected = brute_efforts(list(session.distance), e.distance_m)
        assert expected is not None
        assert e.time_s == pytest.approx(expected, abs=1e-6)
        assert 120 < e.time_s / (e.distance_m / 1000) < 600  # a running pace, s/km


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_power_curve_run_best_efforts_synthetic_with_stops_match_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    series: Samples = []
    t, d = 0.0, 0.0
    for _ in range(1500):
        series.append((t, d))
        step = rng.choice([1, 1, 2, 3, 7, 60])
        t += step
        d += 0.0 if rng.random() < 0.05 else step * rng.uniform(2.0, 5.5)
    for dist in (1000.0, 5000.0):
        effort = best_efforts(series, distances=(dist,))[0]
        assert effort.time_s == pytest.approx(brute_efforts(series, dist), abs=1e-6)


def test_power_curve_run_best_efforts_interpolate_inside_records() -> None:
    # 4 m/s for 500 s (2000 m), then 5 m/s for 300 s (1500 m), records every 10 s.
    series = [
        (float(t), 4.0 * t if t <= 500 else 2000 + 5.0 * (t - 500)) for t in range(0, 801, 10)
    ]
    (km,) = best_efforts(series, distances=(1000.0,), activity_id=3, day=date(2026, 11, 1))
    assert km == BestEffort(1000.0, 200.0, km.start_s, 3, date(2026, 11, 1))
    assert km.start_s >= 500
    (mixed,) = best_efforts(series, distances=(3000.0,))
    assert mixed.time_s == pytest.approx(300 + 1500 / 4)  # 1500 m at 5 m/s, 1500 m at 4 m/s
    assert best_efforts(series, distances=(5000.0,)) == ()
    assert best_efforts([], distances=(1000.0,)) == ()


def test_power_curve_run_best_efforts_merge_window_and_new_bests() -> None:
    old = BestEffort(5000.0, 1300.0, 0, 1, date(2026, 6, 1))
    new = BestEffort(5000.0, 1250.0, 0, 2, date(2026, 11, 1))
    km = BestEffort(1000.0, 240.0, 0, 2, date(2026, 11, 1))
    assert merge_efforts([old, new, km]) == (km, new)
    assert window_efforts([old], today=date(2026, 11, 28), days=90) == ()
    assert window_efforts([old, new], today=date(2026, 11, 28), days=None) == (new,)
    assert new_best_efforts([new, km], [old]) == (new, km)
    same = BestEffort(5000.0, 1300.4, 0, 3, date(2026, 11, 2))
    assert new_best_efforts([same], [old]) == ()
