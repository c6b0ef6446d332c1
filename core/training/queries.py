"""Read use cases of the web app: activity list and detail, daily fitness, planned workouts.

All of them read on read connections and write nothing: fitness rows that stop before today
(no import since) are carried forward in memory, as the next import would store them. Each
takes the request's AccountContext, so the plan's history window needs no extra read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core.accounts.context import AccountContext
from core.clock import Clock, local_today, utcnow
from core.coach.plans import WorkoutStep, workout_result
from core.db.uow import UnitOfWorkFactory
from core.errors import N_, BadInput, NotFound
from core.limits.feature_gate import history_start_of
from core.training.activities import ActivityCard, card_of
from core.training.fitness import RAMP_DAYS, DayFitness, compute_fitness

DEFAULT_LIST_DAYS = 90
MAX_LIST_ITEMS = 1000
DEFAULT_FITNESS_DAYS = 90
MAX_WORKOUTS = 200
_ONE_DAY = timedelta(days=1)
_RAMP = timedelta(days=RAMP_DAYS - 1)


@dataclass(frozen=True)
class ActivityItem:
    """One activity in a list (no laps, zones or series)."""

    id: int
    start_time: datetime
    local_date: date
    sport: str
    sub_sport: str | None
    source: str
    timer_s: float | None
    elapsed_s: float | None
    distance_m: float | None
    ascent_m: float | None
    calories: int | None
    avg_hr: float | None
    max_hr: float | None
    avg_power: float | None
    normalized_power: float | None
    load: float
    load_method: str
    tss: float | None
    intensity_factor: float | None


@dataclass(frozen=True)
class ActivityList:
    items: list[ActivityItem]
    start: date | None  # the first local day asked for, after the plan's window
    end: date
    history_days: int | None  # the plan's window; None: all history


@dataclass(frozen=True)
class LapFigures:
    start: str  # ISO time, as stored
    timer_s: float | None
    distance_m: float | None
    avg_hr: float | None
    avg_power: float | None


@dataclass(frozen=True)
class ChartSeries:
    """Bucket starts (seconds from the start) and each series' bucket means (None: no data)."""

    step_s: float
    t: list[int]
    hr: list[float | None] | None
    power: list[float | None] | None
    speed: list[float | None] | None


@dataclass(frozen=True)
class ActivityDetail:
    card: ActivityCard
    source: str
    tss: float | None
    edwards_trimp: float | None
    best_20min_power: float | None
    laps: list[LapFigures]
    series: ChartSeries | None  # None for activities imported before series were kept
    analysis: str | None  # the stored AI analysis, if one was made


@dataclass(frozen=True)
class PlannedWorkout:
    id: int
    day: date
    sport: str | None
    title: str
    description: str
    source: str
    duration_min: int | None
    steps: tuple[WorkoutStep, ...]


class TrainingQueries:
    """What the web app shows of one athlete's training, cut to their plan's history."""

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    def _window(self, account: AccountContext) -> tuple[date, date | None]:
        now = self._clock()
        return local_today(now, account.timezone), history_start_of(
            account.plan, account.timezone, now
        )

    async def activities(
        self, account: AccountContext, *, start: date | None = None, end: date | None = None
    ) -> ActivityList:
        """Activities of local days start..end (default: the last 90 days), newest first."""
        today, since = self._window(account)
        end = end or today
        start = start or end - timedelta(days=DEFAULT_LIST_DAYS - 1)
        if start > end:
            raise BadInput(N_("The first day must not be after the last day."))
        if since is not None:
            start = max(start, since)
        async with self._uow(readonly=True) as uow:
            rows = await uow.training_reads.activity_list(
                account.id, start=start, end=end, limit=MAX_LIST_ITEMS
            )
        items = [ActivityItem(*row[:-1]) for row in rows]  # the owner's id comes last
        return ActivityList(items, start, end, account.plan.history_days)

    async def activity(self, account: AccountContext, activity_id: int) -> ActivityDetail:
        """One activity of this athlete with laps, zones, load figures and chart series
        (NotFound for anyone else's, or one beyond the plan's history)."""
        _, since = self._window(account)
        async with self._uow(readonly=True) as uow:
            row = await uow.training.activity(account.id, activity_id, since=since)
            if row is None:
                raise NotFound(N_("Activity not found."))
            profile = await uow.profiles.get(account.id)
            series = await uow.activity_series.get(account.id, activity_id)
            analysis = await uow.coach.analysis(account.id, activity_id)
        return ActivityDetail(
            card=card_of(row, tz=account.timezone, profile=profile),
            source=row.source,
            tss=row.tss,
            edwards_trimp=row.edwards_trimp,
            best_20min_power=row.best_20min_power,
            laps=[_lap(lap) for lap in row.laps or ()],
            series=_series(series.data) if series is not None else None,
            analysis=analysis.text if analysis is not None else None,
        )

    async def fitness(
        self, account: AccountContext, *, days: int = DEFAULT_FITNESS_DAYS
    ) -> list[DayFitness]:
        """Daily fitness, fatigue, form and load of the last `days` days up to today, within
        the plan's history (empty before the first activity)."""
        today, since = self._window(account)
        start = today - timedelta(days=max(1, days) - 1)
        if since is not None:
            start = max(start, since)
        async with self._uow(readonly=True) as uow:
            reads = uow.training_reads
            rows = _days(await reads.fitness_days(account.id, start=start, end=today))
            last = rows[-1].date if rows else await uow.training.last_fitness_day(account.id)
            if last is None or last >= today:
                return rows
            # No import since `last`: carry the figures forward to today, as an import would.
            after = last + _ONE_DAY
            if len(rows) >= RAMP_DAYS:  # stored rows are consecutive days: the history is here
                history = rows[-RAMP_DAYS:]
            else:
                before = await reads.fitness_days(account.id, start=last - _RAMP, end=last)
                history = _days(before)
            loads = await uow.training.daily_loads(account.id, after, today)
        later = compute_fitness(loads, start=after, end=today, history=history)
        return rows + [d for d in later if d.date >= start]

    async def workouts(
        self, account: AccountContext, *, start: date | None = None, end: date | None = None
    ) -> list[PlannedWorkout]:
        """Planned and AI-written workouts of days start..end (open ends), newest day first."""
        if start is not None and end is not None and start > end:
            raise BadInput(N_("The first day must not be after the last day."))
        async with self._uow(readonly=True) as uow:
            rows = await uow.training_reads.workouts(
                account.id, start=start, end=end, limit=MAX_WORKOUTS
            )
        out = []
        for row in rows:
            w = workout_result(row, cached=True)
            out.append(
                PlannedWorkout(
                    w.id,
                    w.day,
                    w.sport,
                    w.title,
                    w.description,
                    row.source,
                    w.duration_min,
                    w.steps,
                )
            )
        return out


def _days(rows: Sequence[Sequence[Any]]) -> list[DayFitness]:
    """Stored fitness rows (FITNESS_COLUMNS) as DayFitness; a missing ramp counts as 0."""
    return [DayFitness(d, lo, c, a, t, ramp or 0.0, acwr, e7, e28)
            for d, lo, c, a, t, ramp, acwr, e7, e28, _owner in rows]  # fmt: skip


def _lap(lap: dict[str, Any]) -> LapFigures:
    return LapFigures(
        start=str(lap.get("start", "")),
        timer_s=lap.get("timer_s"),
        distance_m=lap.get("distance_m"),
        avg_hr=lap.get("avg_hr"),
        avg_power=lap.get("avg_power"),
    )


def _series(data: dict[str, Any]) -> ChartSeries:
    return ChartSeries(
        step_s=float(data.get("step_s", 1.0)),
        t=list(data.get("t", [])),
        hr=data.get("hr"),
        power=data.get("power"),
        speed=data.get("speed"),
    )
