"""Fitness (CTL), fatigue (ATL), form (TSB), ramp rate and ACWR from daily loads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

CTL_DAYS = 42
ATL_DAYS = 7
RAMP_DAYS = 7
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DayFitness:
    """One day's figures; tsb is yesterday's CTL minus yesterday's ATL."""

    date: date
    load: float
    ctl: float
    atl: float
    tsb: float
    ramp: float
    acwr: float | None
    ewma7: float
    ewma28: float


def compute_fitness(
    daily_loads: Mapping[date, float],
    *,
    start: date,
    end: date,
    history: Sequence[DayFitness] = (),
) -> list[DayFitness]:
    """Rows for start..end; `history` is the stored rows before start (the last 7 suffice).

    With no history the athlete starts from zero. With history its last row must be the
    day before start, so a recompute from any day on only needs the rows stored before it.
    """
    before = [row for row in history if row.date < start]
    if before and before[-1].date != start - _ONE_DAY:
        raise ValueError("history must end the day before start")
    # CTL of the previous RAMP_DAYS days, oldest first; days before any data count as 0.
    tail = before[-RAMP_DAYS:]
    recent = [0.0] * (RAMP_DAYS - len(tail)) + [row.ctl for row in tail]
    last = before[-1] if before else None
    ctl = last.ctl if last else 0.0
    atl = last.atl if last else 0.0
    e7 = last.ewma7 if last else 0.0
    e28 = last.ewma28 if last else 0.0
    k_ctl, k_atl = 1.0 / CTL_DAYS, 1.0 / ATL_DAYS
    l7, l28 = 2.0 / (ACUTE_DAYS + 1), 2.0 / (CHRONIC_DAYS + 1)
    rows: list[DayFitness] = []
    day = start
    while day <= end:
        load = float(daily_loads.get(day, 0.0))
        tsb = ctl - atl
        ctl += (load - ctl) * k_ctl
        atl += (load - atl) * k_atl
        e7 += (load - e7) * l7
        e28 += (load - e28) * l28
        ramp = ctl - recent[len(rows) % RAMP_DAYS]
        recent[len(rows) % RAMP_DAYS] = ctl
        acwr = e7 / e28 if e28 > 1e-9 else None
        rows.append(DayFitness(day, load, ctl, atl, tsb, ramp, acwr, e7, e28))
        day += _ONE_DAY
    return rows


def form_reading(tsb: float) -> str:
    """One line on what a form (TSB) value means, in the usual bands."""
    if tsb > 25:
        return "Transition: fitness is fading"
    if tsb > 5:
        return "Fresh: ready to race"
    if tsb >= -10:
        return "Grey zone: maintaining"
    if tsb >= -30:
        return "Optimal: building fitness"
    return "High risk: overreaching"
