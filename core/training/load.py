"""Training load of one session: TRIMP, HR zones, NP/TSS, rTSS, hrTSS, and a duration estimate.

Sample series are tuples of (seconds since session start, value). A sample stands for the
interval since the previous one; gaps longer than MAX_GAP_S are pauses and count for nothing.
HR zones are by % of HR max: Z1 50-60, Z2 60-70, Z3 70-80, Z4 80-90, Z5 90 and above.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.training.fit import SessionData
    from core.training.thresholds import Thresholds

Sample = tuple[float, float]
Series = tuple[Sample, ...]

MAX_GAP_S = 30.0
NP_WINDOW_S = 30
ZONE_FLOORS = (0.5, 0.6, 0.7, 0.8, 0.9)
# Load per hour when a session has neither usable HR nor power nor pace.
SPORT_LOAD_PER_HOUR = {"running": 60.0, "cycling": 50.0, "swimming": 55.0, "training": 40.0}
DEFAULT_LOAD_PER_HOUR = 40.0
POWER_SPORTS = frozenset({"cycling", "e_biking"})
_MINETTI_FLAT = 3.6  # J/kg/m on the flat


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Every load figure of one session; `load` is the one that counts."""

    load: float
    method: str  # "tss" | "rtss" | "hrtss" | "estimate"
    tss: float | None
    rtss: float | None
    hrtss: float | None
    trimp: float | None
    edwards_trimp: float | None
    intensity_factor: float | None
    normalized_power: float | None
    hr_zone_seconds: tuple[float, ...] | None
    estimated: bool


def weighted(samples: Sequence[Sample]) -> Iterator[tuple[float, float]]:
    """Yield (seconds, value) per sample: the time since the previous one, pauses skipped."""
    prev_t: float | None = None
    for t, v in samples:
        if prev_t is not None:
            dt = t - prev_t
            if 0.0 < dt <= MAX_GAP_S:
                yield dt, v
        prev_t = t


def resample_1hz(samples: Sequence[Sample]) -> list[float]:
    """One value per second of recorded time (pauses removed), holding each sample's value."""
    out: list[float] = []
    clock = 0.0
    for dt, v in weighted(samples):
        clock += dt
        n = int(clock + 0.5) - len(out)
        if n > 0:
            out.extend([v] * n)
    return out


def rolling_means(values: Sequence[float], window: int) -> Iterator[float]:
    """Yield the mean of every full window of `window` consecutive values."""
    total = 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        if i >= window - 1:
            yield total / window


def normalize_1hz(values: Sequence[float]) -> float | None:
    """Fourth root of the mean fourth power of 30 s rolling means (Coggan's NP)."""
    if len(values) < NP_WINDOW_S:
        return None
    count = 0
    acc = 0.0
    for m in rolling_means(values, NP_WINDOW_S):
        acc += m**4
        count += 1
    return float((acc / count) ** 0.25)


def normalized_power(power: Sequence[Sample]) -> float | None:
    """NP of a power series, None with under 30 s of data."""
    return normalize_1hz(resample_1hz(power))


def _dhr(hr: float, hr_rest: float, hr_max: float) -> float:
    return min(1.0, max(0.0, (hr - hr_rest) / (hr_max - hr_rest)))


def trimp_per_minute(hr: float, *, hr_rest: float, hr_max: float, sex: str | None) -> float:
    """Banister TRIMP of one minute at `hr` (male weighting unless sex is female)."""
    d = _dhr(hr, hr_rest, hr_max)
    if sex == "female":
        return d * 0.86 * math.exp(1.67 * d)
    return d * 0.64 * math.exp(1.92 * d)


def banister_trimp(
    hr: Sequence[Sample], *, hr_rest: float, hr_max: float, sex: str | None
) -> float:
    """Banister TRIMP summed sample by sample."""
    return sum(
        dt / 60.0 * trimp_per_minute(v, hr_rest=hr_rest, hr_max=hr_max, sex=sex)
        for dt, v in weighted(hr)
    )


def hr_zone_seconds(hr: Sequence[Sample], *, hr_max: float) -> tuple[float, ...]:
    """Seconds in the five %HRmax zones (time under 50 % is not counted)."""
    zones = [0.0] * len(ZONE_FLOORS)
    for dt, v in weighted(hr):
        zone = _zone_of(v / hr_max)
        if zone is not None:
            zones[zone] += dt
    return tuple(zones)


def _zone_of(fraction: float) -> int | None:
    for i in range(len(ZONE_FLOORS) - 1, -1, -1):
        if fraction >= ZONE_FLOORS[i]:
            return i
    return None


def edwards_trimp(zone_seconds: Sequence[float]) -> float:
    """Edwards TRIMP: minutes in each zone times the zone number."""
    return sum(s / 60.0 * (i + 1) for i, s in enumerate(zone_seconds))


def tss(*, duration_s: float, np: float, ftp: float) -> float:
    """Coggan TSS: hours x IF^2 x 100."""
    return duration_s / 3600.0 * (np / ftp) ** 2 * 100.0


def minetti_cost(grade: float) -> float:
    """Energy cost of running (J/kg/m) at a grade, Minetti et al. 2002, clamped to +-45 %."""
    i = min(0.45, max(-0.45, grade))
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


def grades(altitude: Sequence[Sample], distance: Sequence[Sample]) -> list[Sample]:
    """Grade at each time with altitude and distance, measured over at least 20 m."""
    alt_at = dict(altitude)
    points = [(t, d, alt_at[t]) for t, d in distance if t in alt_at]
    out: list[Sample] = []
    j = 0
    for t, d, a in points:
        while j + 1 < len(points) and d - points[j + 1][1] >= 20.0:
            j += 1
        run = d - points[j][1]
        out.append((t, (a - points[j][2]) / run if run >= 20.0 else 0.0))
    return out


def graded_speed(speed: Sequence[Sample], grade: Sequence[Sample]) -> list[Sample]:
    """Speed scaled to the flat speed of equal cost (grade-adjusted speed)."""
    out: list[Sample] = []
    g = 0.0
    k = 0
    for t, v in speed:
        while k < len(grade) and grade[k][0] <= t:
            g = grade[k][1]
            k += 1
        out.append((t, v * minetti_cost(g) / _MINETTI_FLAT))
    return out


def normalized_graded_speed(s: SessionData) -> float | None:
    """NGP as a speed (m/s): graded when altitude and distance exist, else plain."""
    if s.speed:
        series: Sequence[Sample] = s.speed
        if s.altitude and s.distance:
            series = graded_speed(s.speed, grades(s.altitude, s.distance))
        ngs = normalize_1hz(resample_1hz(series))
        if ngs is not None:
            return ngs
    if s.distance_m and s.timer_s > 0:
        return s.distance_m / s.timer_s
    return None


def activity_load(s: SessionData, th: Thresholds) -> LoadResult:
    """All load figures of a session; the load is the first of TSS, rTSS, hrTSS, estimate."""
    duration_s = s.timer_s if s.timer_s > 0 else _span(s)
    np = s.normalized_power
    tss_v = if_v = rtss_v = None
    if np and th.ftp and s.sport in POWER_SPORTS:
        if_v = np / th.ftp
        tss_v = tss(duration_s=duration_s, np=np, ftp=th.ftp)
    if s.sport == "running" and th.threshold_pace_s_per_km:
        ngs = normalized_graded_speed(s)
        if ngs:
            r_if = ngs * th.threshold_pace_s_per_km / 1000.0
            rtss_v = duration_s / 3600.0 * r_if**2 * 100.0
            if_v = if_v if if_v is not None else r_if
    trimp, edwards, zones, hrtss_v = _hr_figures(s, th, duration_s)
    load, method, estimated = _choose(s.sport, duration_s, th, tss_v, rtss_v, hrtss_v)
    return LoadResult(
        load=load, method=method, tss=tss_v, rtss=rtss_v, hrtss=hrtss_v, trimp=trimp,
        edwards_trimp=edwards, intensity_factor=if_v, normalized_power=np,
        hr_zone_seconds=zones, estimated=estimated,
    )  # fmt: skip


def _choose(
    sport: str,
    duration_s: float,
    th: Thresholds,
    tss_v: float | None,
    rtss_v: float | None,
    hrtss_v: float | None,
) -> tuple[float, str, bool]:
    """The load that counts, its method, and whether it rests on an estimate."""
    if tss_v is not None:
        return tss_v, "tss", th.ftp_estimated
    if rtss_v is not None:
        return rtss_v, "rtss", False
    if hrtss_v is not None:
        # Resting HR moves hrTSS little, so only HR max and LTHR estimates flag it.
        return hrtss_v, "hrtss", th.hr_max_estimated or th.lthr_estimated
    return estimate_load(sport, duration_s), "estimate", True


def _hr_figures(
    s: SessionData, th: Thresholds, duration_s: float
) -> tuple[float | None, float | None, tuple[float, ...] | None, float | None]:
    hr_max, hr_rest, sex = th.hr_max, th.hr_rest, th.sex
    if not hr_max or hr_max <= hr_rest:
        return None, None, None, None
    if len(s.hr) >= 2:
        trimp = banister_trimp(s.hr, hr_rest=hr_rest, hr_max=hr_max, sex=sex)
        zones = hr_zone_seconds(s.hr, hr_max=hr_max)
    elif s.avg_hr:
        per_min = trimp_per_minute(s.avg_hr, hr_rest=hr_rest, hr_max=hr_max, sex=sex)
        trimp = duration_s / 60.0 * per_min
        zones = _single_zone(s.avg_hr, hr_max, duration_s)
    else:
        return None, None, None, None
    hrtss = None
    if th.lthr and th.lthr > hr_rest:
        hour_at_lthr = 60.0 * trimp_per_minute(th.lthr, hr_rest=hr_rest, hr_max=hr_max, sex=sex)
        hrtss = trimp / hour_at_lthr * 100.0 if hour_at_lthr > 0 else None
    return trimp, edwards_trimp(zones), zones, hrtss


def _single_zone(hr: float, hr_max: float, seconds: float) -> tuple[float, ...]:
    zones = [0.0] * len(ZONE_FLOORS)
    zone = _zone_of(hr / hr_max)
    if zone is not None:
        zones[zone] = seconds
    return tuple(zones)


def estimate_load(sport: str, duration_s: float) -> float:
    """Load from duration alone, at a typical rate for the sport."""
    rate = SPORT_LOAD_PER_HOUR.get(sport, DEFAULT_LOAD_PER_HOUR)
    return max(0.0, duration_s) / 3600.0 * rate


def _span(s: SessionData) -> float:
    for series in (s.hr, s.power, s.speed):
        if series:
            return max(0.0, series[-1][0] - series[0][0])
    return max(0.0, s.elapsed_s)
