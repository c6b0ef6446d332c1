"""Best efforts of runs: the fastest 1 km, 5 km, 10 km and half marathon within an activity.

Input is the (seconds since start, cumulative metres) series. Between records distance grows
linearly in time, so the time to cover D metres from start distance s, t(s + D) - t(s), is
linear between breakpoints where s or s + D is a recorded distance: the fastest effort starts
or ends at a record. Two monotone pointers visit every such candidate once: O(n). Time is the
clock between records, so a pause inside an effort counts (an effort is never flattered).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

RUN_DISTANCES_M = (1000.0, 5000.0, 10000.0, 21097.5)


@dataclass(frozen=True, slots=True)
class BestEffort:
    """The fastest time over one distance and when in the activity it started."""

    distance_m: float
    time_s: float
    start_s: float
    activity_id: int | None = None
    day: date | None = None


def best_efforts(
    distance: Sequence[tuple[float, float]],
    *,
    distances: Sequence[float] = RUN_DISTANCES_M,
    activity_id: int | None = None,
    day: date | None = None,
) -> tuple[BestEffort, ...]:
    """The fastest time over each distance the activity covers, in the order of `distances`."""
    times, metres = _clean(distance)
    out = []
    for d in distances:
        found = _fastest(times, metres, d)
        if found is not None:
            out.append(BestEffort(d, found[0], found[1], activity_id, day))
    return tuple(out)


def merge_efforts(efforts: Iterable[BestEffort]) -> tuple[BestEffort, ...]:
    """The fastest effort per distance over many activities; a tie keeps the earlier day."""
    best: dict[float, BestEffort] = {}
    for e in efforts:
        held = best.get(e.distance_m)
        if (
            held is None
            or e.time_s < held.time_s
            or (e.time_s == held.time_s and _earlier(e, held))
        ):
            best[e.distance_m] = e
    return tuple(best[d] for d in sorted(best))


def window_efforts(
    efforts: Iterable[BestEffort], *, today: date, days: int | None
) -> tuple[BestEffort, ...]:
    """The fastest efforts of the last `days` days up to today (None: every effort given)."""
    if days is None:
        return merge_efforts(efforts)
    first = today - timedelta(days=days - 1)
    return merge_efforts(e for e in efforts if e.day is not None and first <= e.day <= today)


def new_best_efforts(
    activity: Iterable[BestEffort], previous: Iterable[BestEffort]
) -> tuple[BestEffort, ...]:
    """The activity's efforts faster than the previous best by at least a whole second."""
    before = {e.distance_m: e.time_s for e in previous}
    return tuple(
        e
        for e in activity
        if e.distance_m not in before or round(e.time_s) < round(before[e.distance_m])
    )


def _clean(series: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Records in time order, one per timestamp, with distance never going backwards."""
    times: list[float] = []
    metres: list[float] = []
    for t, d in sorted(series, key=lambda s: s[0]):
        m = max(d, metres[-1]) if metres else d
        if times and t == times[-1]:
            metres[-1] = m
        else:
            times.append(t)
            metres.append(m)
    return times, metres


def _fastest(t: list[float], m: list[float], dist: float) -> tuple[float, float] | None:
    """(time, start) of the fastest `dist` metres, None when the activity is shorter."""
    n = len(m)
    if n < 2 or dist <= 0 or m[-1] - m[0] < dist:
        return None
    best: tuple[float, float] | None = None
    j = 0
    for i in range(n):  # efforts starting at record i end at the first record reaching m[i] + dist
        goal = m[i] + dist
        j = max(j, i)
        while j < n and m[j] < goal:
            j += 1
        if j == n:
            break
        end = _at(t, m, j, goal)
        best = _better(best, end - t[i], t[i])
    i = 0
    for j in range(n):  # efforts ending at record j start after the last record at m[j] - dist
        goal = m[j] - dist
        if goal < m[0]:
            continue
        while i + 1 < n and m[i + 1] <= goal:
            i += 1
        start = _at(t, m, i + 1, goal) if m[i] < goal else t[i]
        best = _better(best, t[j] - start, start)
    return best


def _at(t: list[float], m: list[float], k: int, goal: float) -> float:
    """The time distance `goal` is reached between records k-1 and k (m[k-1] < goal <= m[k])."""
    return t[k - 1] + (goal - m[k - 1]) / (m[k] - m[k - 1]) * (t[k] - t[k - 1])


def _better(best: tuple[float, float] | None, time_s: float, start: float) -> tuple[float, float]:
    return (time_s, start) if best is None or time_s < best[0] else best


def _earlier(a: BestEffort, b: BestEffort) -> bool:
    return a.day is not None and (b.day is None or a.day < b.day)


def efforts_json(efforts: Iterable[BestEffort]) -> dict[str, float]:
    """What activity_metrics.best_efforts holds: {"<whole metres>": seconds to 0.1 s}."""
    return {str(int(e.distance_m)): round(e.time_s, 1) for e in efforts}


def efforts_of_json(
    data: dict[str, float] | None, *, activity_id: int | None = None, day: date | None = None
) -> tuple[BestEffort, ...]:
    """Stored efforts back, at the distances of RUN_DISTANCES_M their keys name."""
    exact = {int(d): d for d in RUN_DISTANCES_M}
    out = []
    for key, seconds in (data or {}).items():
        if str(key).isdigit() and isinstance(seconds, int | float):
            metres = exact.get(int(key), float(key))
            out.append(BestEffort(metres, float(seconds), 0.0, activity_id, day))
    return tuple(sorted(out, key=lambda e: e.distance_m))
