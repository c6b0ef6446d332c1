"""An activity's sample series cut down for charts: a few hundred time buckets, each the mean
of its samples (pure; runs in the decoding worker, before the series are dropped).

The result is what activity_series.data holds: {"step_s", "t", "hr", "power", "speed"}, where
`t` is each bucket's start in seconds from the session start and a series is None when the
file has none of it; a bucket without samples is None. Speed comes from the distance samples
when the file records no speed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.training.load import MAX_GAP_S, Series

MAX_POINTS = 500
_DIGITS = {"hr": 0, "power": 0, "speed": 2}


def chart_series(
    *,
    hr: Series,
    power: Series,
    speed: Series,
    distance: Series = (),
    duration_s: float = 0.0,
    points: int = MAX_POINTS,
) -> dict[str, Any] | None:
    """The series averaged into at most `points` buckets; None when there is nothing to chart."""
    if not speed and distance:
        speed = speed_from_distance(distance)
    named = {"hr": hr, "power": power, "speed": speed}
    if not any(named.values()):
        return None
    end = max([duration_s, *(s[-1][0] for s in named.values() if s)])
    step = max(1.0, math.ceil(end / points)) if end > 0 else 1.0
    count = max(1, math.ceil(end / step))  # a sample at `end` goes to the last bucket
    data: dict[str, Any] = {"step_s": step, "t": [round(i * step) for i in range(count)]}
    for name, series in named.items():
        data[name] = _buckets(series, step, count, _DIGITS[name]) if series else None
    return data


def _buckets(series: Series, step: float, count: int, digits: int) -> list[float | None]:
    sums = [0.0] * count
    counts = [0] * count
    for t, value in series:
        i = min(count - 1, max(0, int(t // step)))
        sums[i] += value
        counts[i] += 1
    return [round(s / n, digits) if n else None for s, n in zip(sums, counts, strict=True)]


def speed_from_distance(distance: Sequence[tuple[float, float]]) -> Series:
    """m/s between consecutive distance samples; pauses (long gaps) and resets give none."""
    out: list[tuple[float, float]] = []
    for (t0, d0), (t1, d1) in zip(distance, distance[1:], strict=False):
        dt = t1 - t0
        if 0 < dt <= MAX_GAP_S and d1 >= d0:
            out.append((t1, (d1 - d0) / dt))
    return tuple(out)
