"""The weekly report's figures, composed from one athlete's rows: pure functions, no I/O.

A week is Monday to Sunday in the athlete's local dates. "Against plan" compares what was done
with the sessions the plan held for those days (a plan stores no load: sessions and minutes are
compared, the load is shown as done). Readiness is assess_readiness on every day that has a
Garmin wellness row; its trend is the week's mean score against the week before's.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.db.models import ActivityMetrics, FitnessMetrics, GarminFitnessData, TrainingPlan
from core.training.readiness import ReadinessInputs, assess_readiness

MAX_BESTS = 8
BEST_KINDS = ("power", "run")
WINDOWS = ("all", "90d")  # a best of all time says more than one of 90 days


@dataclass(frozen=True)
class DayFigures:
    """One day of the week: what was done, what was planned, the day's fitness and readiness."""

    day: date
    sessions: int
    minutes: float
    load: float
    planned_min: float
    ctl: float | None
    atl: float | None
    tsb: float | None
    readiness: int | None


@dataclass(frozen=True)
class NewBest:
    """A best set this week: power (key seconds, value watts) or run (key metres, value s)."""

    day: date
    sport: str
    kind: str
    key: float
    value: float
    window: str  # "all" or "90d"
    previous: float | None


@dataclass(frozen=True)
class PlannedSession:
    day: date
    sport: str
    title: str
    duration_min: int


@dataclass(frozen=True)
class WeeklyReport:
    """The data of a weekly report push (kind "weekly"), stored in weekly_summaries too."""

    week_start: date
    sessions: int
    time_s: float
    distance_m: float
    load: float
    has_plan: bool
    planned_sessions: int
    planned_min: float
    ctl_start: float | None
    ctl_end: float | None
    readiness: float | None  # the week's mean score; None: no wellness data
    readiness_before: float | None
    days: tuple[DayFigures, ...]
    bests: tuple[NewBest, ...]
    coming: tuple[PlannedSession, ...]  # the plan of the week that starts now

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def ctl_change(self) -> float | None:
        if self.ctl_start is None or self.ctl_end is None:
            return None
        return self.ctl_end - self.ctl_start


def compose(
    week_start: date,
    *,
    activities: Sequence[ActivityMetrics],
    fitness: Mapping[date, FitnessMetrics],
    wellness: Sequence[GarminFitnessData],
    plans: Sequence[TrainingPlan],
) -> WeeklyReport:
    """The report of the week starting `week_start` from its rows: the week's activities, the
    fitness rows from the day before it, wellness from two weeks before it (baselines), and the
    plans overlapping it or the week after."""
    days = _days(week_start)
    planned = planned_sessions(plans, days[0], days[-1])
    scores = readiness_scores(wellness, fitness, days[0] - timedelta(days=7), days[-1])
    figures = tuple(_day(d, activities, planned, fitness, scores) for d in days)
    start_row, end_row = fitness.get(days[0] - timedelta(days=1)), fitness.get(days[-1])
    ctl_end = end_row.ctl if end_row else None
    next_week = _days(week_start + timedelta(days=7))
    return WeeklyReport(
        week_start=week_start,
        sessions=len(activities),
        time_s=sum(a.timer_s or 0.0 for a in activities),
        distance_m=sum(a.distance_m or 0.0 for a in activities),
        load=sum(a.load or 0.0 for a in activities),
        has_plan=any(_covers(p, d) for p in plans for d in days),
        planned_sessions=len(planned),
        planned_min=float(sum(s.duration_min for s in planned)),
        ctl_start=start_row.ctl if start_row else (0.0 if ctl_end is not None else None),
        ctl_end=ctl_end,
        readiness=_mean(scores.get(d) for d in days),
        readiness_before=_mean(scores.get(d - timedelta(days=7)) for d in days),
        days=figures,
        bests=new_bests(activities),
        coming=tuple(
            planned_sessions(
                [p for p in plans if p.status == "active"], next_week[0], next_week[-1]
            )
        ),
    )


def _days(start: date) -> list[date]:
    return [start + timedelta(days=i) for i in range(7)]


def _day(
    day: date,
    activities: Sequence[ActivityMetrics],
    planned: Sequence[PlannedSession],
    fitness: Mapping[date, FitnessMetrics],
    scores: Mapping[date, int],
) -> DayFigures:
    done = [a for a in activities if a.local_date == day]
    row = fitness.get(day)
    return DayFigures(
        day=day,
        sessions=len(done),
        minutes=round(sum(a.timer_s or 0.0 for a in done) / 60, 1),
        load=round(sum(a.load or 0.0 for a in done), 1),
        planned_min=float(sum(s.duration_min for s in planned if s.day == day)),
        ctl=row.ctl if row else None,
        atl=row.atl if row else None,
        tsb=row.tsb if row else None,
        readiness=scores.get(day),
    )


def _mean(values: Iterable[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 1) if present else None


def _covers(plan: TrainingPlan, day: date) -> bool:
    return plan.start_date <= day <= plan.end_date


def planned_sessions(plans: Sequence[TrainingPlan], start: date, end: date) -> list[PlannedSession]:
    """The sessions planned for start..end; each day's from the newest plan that covers it
    (a plan made mid-week replaces the old one from its first day on)."""
    newest = sorted(plans, key=lambda p: p.id, reverse=True)
    out: list[PlannedSession] = []
    day = start
    while day <= end:
        plan = next((p for p in newest if _covers(p, day)), None)
        if plan is not None:
            out.extend(s for s in _sessions(plan.plan) if s.day == day)
        day += timedelta(days=1)
    return out


def _sessions(document: Mapping[str, Any]) -> list[PlannedSession]:
    """A stored plan's sessions; a session that does not read (no date, say) is left out."""
    out = []
    for week in document.get("weeks") or []:
        for s in (week or {}).get("sessions") or []:
            try:
                out.append(
                    PlannedSession(
                        day=date.fromisoformat(str(s["day"])),
                        sport=str(s.get("sport") or ""),
                        title=str(s.get("title") or ""),
                        duration_min=int(round(float(s.get("duration_min") or 0))),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue
    return out


def readiness_scores(
    wellness: Sequence[GarminFitnessData],
    fitness: Mapping[date, FitnessMetrics],
    start: date,
    end: date,
) -> dict[date, int]:
    """The readiness score of every day from start to end that has a wellness row."""
    by_day = {w.day: w for w in wellness}
    scores: dict[date, int] = {}
    for day, row in by_day.items():
        if not start <= day <= end:
            continue
        before = [by_day[d] for d in by_day if day - timedelta(days=7) <= d < day]
        tsb = fitness[day].tsb if day in fitness else None
        readiness = assess_readiness(
            ReadinessInputs(
                tsb=tsb,
                hrv_ms=row.hrv_ms,
                hrv_baseline=[w.hrv_ms for w in before if w.hrv_ms is not None],
                sleep_score=row.sleep_score,
                body_battery=row.body_battery_high,
                resting_hr=row.resting_hr,
                resting_hr_baseline=[w.resting_hr for w in before if w.resting_hr is not None],
            )
        )
        if readiness.score is not None:
            scores[day] = readiness.score
    return scores


def new_bests(activities: Sequence[ActivityMetrics]) -> tuple[NewBest, ...]:
    """The week's new bests, one per effort: the best value of the week, all-time over 90-day."""
    found: dict[tuple[str, float], NewBest] = {}
    for a in activities:
        for raw in a.new_bests or []:
            best = _best(a, raw)
            if best is None:
                continue
            slot = (best.kind, best.key)
            if slot not in found or _better(best, found[slot]):
                found[slot] = best
    # All-time bests first when there are too many to list, then shown by kind and length.
    kept = sorted(found.values(), key=lambda b: (WINDOWS.index(b.window), b.kind, b.key))
    return tuple(sorted(kept[:MAX_BESTS], key=lambda b: (BEST_KINDS.index(b.kind), b.key)))


def _best(activity: ActivityMetrics, raw: Any) -> NewBest | None:
    if not isinstance(raw, Mapping) or raw.get("kind") not in BEST_KINDS:
        return None
    try:
        previous = raw.get("previous")
        return NewBest(
            day=activity.local_date,
            sport=activity.sport,
            kind=str(raw["kind"]),
            key=float(raw["key"]),
            value=float(raw["value"]),
            window=str(raw.get("window")) if raw.get("window") in WINDOWS else "90d",
            previous=None if previous is None else float(previous),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _better(new: NewBest, old: NewBest) -> bool:
    """Higher power, shorter run time; at equal value, all-time beats 90 days."""
    if new.value != old.value:
        return new.value > old.value if new.kind == "power" else new.value < old.value
    return WINDOWS.index(new.window) < WINDOWS.index(old.window)
