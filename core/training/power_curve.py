"""Power curve: best average power over fixed durations, merged over windows; FTP proposal.

A ride's power samples (seconds since start, watts) are put on a 1 Hz grid from the first
sample to the last: each sample holds its value until the next one when that comes within
MAX_HOLD_S; a longer gap (a dropout, a pause, a stop) counts as 0 W after the sample's own
second. The best average over d seconds is then max(S[i + d] - S[i]) / d over the prefix
sums S, one vectorised pass per duration: O(n*k). A ride shorter than d has no value for d.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

DURATIONS_S = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 5400, 7200)
MAX_HOLD_S = 5.0
FTP_FROM_20MIN = 0.95  # Allen & Coggan: FTP is about 95% of the best 20-minute power

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """The best average power over one duration, where it starts and which activity it is."""

    duration_s: int
    watts: float
    start_s: int
    activity_id: int | None = None
    day: date | None = None


@dataclass(frozen=True, slots=True)
class PowerCurve:
    """Points in ascending duration; a duration without a value has no point."""

    points: tuple[CurvePoint, ...] = ()

    def point(self, duration_s: int) -> CurvePoint | None:
        return next((p for p in self.points if p.duration_s == duration_s), None)

    def watts(self, duration_s: int) -> float | None:
        point = self.point(duration_s)
        return point.watts if point else None


@dataclass(frozen=True, slots=True)
class NewBest:
    """A duration where an activity beat the curve before it (previous None: first value)."""

    duration_s: int
    watts: float
    previous_watts: float | None


@dataclass(frozen=True, slots=True)
class FtpProposal:
    """An FTP figure proposed from the curve; the athlete decides whether to accept it."""

    watts: int
    basis: Literal["20min", "60min"]
    source: CurvePoint
    text: str


def resample_power(
    samples: Sequence[tuple[float, float]], *, max_hold_s: float = MAX_HOLD_S
) -> FloatArray:
    """The samples on a 1 Hz grid from the first one; gaps over max_hold_s count as 0 W."""
    if not samples:
        return np.zeros(0)
    raw = np.asarray(samples, dtype=np.float64)
    raw = raw[np.argsort(raw[:, 0], kind="stable")]
    secs = np.floor(raw[:, 0] - raw[0, 0]).astype(np.int64)
    gaps = np.diff(secs, append=secs[-1] + 1)
    ends = secs + np.where(gaps <= max_hold_s, gaps, 1)
    grid = np.arange(secs[-1] + 1)
    owner = np.searchsorted(secs, grid, side="right") - 1  # last sample at or before each second
    covered = grid < ends[owner]
    return np.where(covered, raw[owner, 1], 0.0)


def curve_of_values(
    values: Sequence[float] | FloatArray,
    *,
    durations: Sequence[int] = DURATIONS_S,
    activity_id: int | None = None,
    day: date | None = None,
) -> PowerCurve:
    """The best average power of a 1 Hz series for each duration it is long enough for."""
    power = np.asarray(values, dtype=np.float64)
    sums = np.concatenate(([0.0], np.cumsum(power)))
    points = []
    for d in sorted(durations):
        if d <= 0 or d > power.size:
            continue
        window = sums[d:] - sums[:-d]
        start = int(np.argmax(window))
        points.append(CurvePoint(d, float(window[start]) / d, start, activity_id, day))
    return PowerCurve(tuple(points))


def power_curve(
    samples: Sequence[tuple[float, float]],
    *,
    durations: Sequence[int] = DURATIONS_S,
    activity_id: int | None = None,
    day: date | None = None,
) -> PowerCurve:
    """The power curve of one ride's (seconds, watts) samples."""
    values = resample_power(samples)
    return curve_of_values(values, durations=durations, activity_id=activity_id, day=day)


def merge_curves(curves: Iterable[PowerCurve]) -> PowerCurve:
    """The best point per duration over many curves; a tie keeps the earlier day."""
    best: dict[int, CurvePoint] = {}
    for curve in curves:
        for p in curve.points:
            held = best.get(p.duration_s)
            if (
                held is None
                or p.watts > held.watts
                or (p.watts == held.watts and _earlier(p, held))
            ):
                best[p.duration_s] = p
    return PowerCurve(tuple(best[d] for d in sorted(best)))


def window_curve(curves: Iterable[PowerCurve], *, today: date, days: int | None) -> PowerCurve:
    """The merged curve of the last `days` days up to today (None: every curve given)."""
    if days is None:
        return merge_curves(curves)
    first = today - timedelta(days=days - 1)
    kept = (
        PowerCurve(tuple(p for p in c.points if p.day is not None and first <= p.day <= today))
        for c in curves
    )
    return merge_curves(kept)


def new_bests(activity: PowerCurve, previous: PowerCurve) -> tuple[NewBest, ...]:
    """Durations where the activity beats the previous curve by at least a whole watt."""
    out = []
    for p in activity.points:
        before = previous.watts(p.duration_s)
        if before is None or round(p.watts) > round(before):
            out.append(NewBest(p.duration_s, p.watts, before))
    return tuple(out)


def propose_ftp(curve: PowerCurve) -> FtpProposal | None:
    """95% of the best 20 min, or the best 60 min when that is higher; None without 20 min."""
    p20, p60 = curve.point(1200), curve.point(3600)
    if p20 is None:
        return None
    from_20 = FTP_FROM_20MIN * p20.watts
    if p60 is not None and p60.watts > from_20:
        text = f"FTP {p60.watts:.0f} W: your best 60 min power"
        return FtpProposal(round(p60.watts), "60min", p60, text)
    text = f"FTP {from_20:.0f} W: 95% of your best 20 min power ({p20.watts:.0f} W)"
    return FtpProposal(round(from_20), "20min", p20, text)


def _earlier(a: CurvePoint, b: CurvePoint) -> bool:
    return a.day is not None and (b.day is None or a.day < b.day)


def with_activity(curve: PowerCurve, *, activity_id: int, day: date) -> PowerCurve:
    """The same curve labelled with the activity it came from."""
    return PowerCurve(tuple(replace(p, activity_id=activity_id, day=day) for p in curve.points))


def curve_json(curve: PowerCurve) -> dict[str, float]:
    """What activity_metrics.power_curve holds: {"<seconds>": watts to 0.1 W}."""
    return {str(p.duration_s): round(p.watts, 1) for p in curve.points}


def curve_of_json(
    data: dict[str, float] | None, *, activity_id: int | None = None, day: date | None = None
) -> PowerCurve:
    """A stored curve back as points (start unknown once stored: 0); bad entries are skipped."""
    points = []
    for key, watts in (data or {}).items():
        if str(key).isdigit() and isinstance(watts, int | float):
            points.append(CurvePoint(int(key), float(watts), 0, activity_id, day))
    return PowerCurve(tuple(sorted(points, key=lambda p: p.duration_s)))
