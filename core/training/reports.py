"""What the athlete reads: /today, /week, the activity list and cards, the fitness chart."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.accounts.context import AccountContext, AccountRef, resolve
from core.clock import Clock, local_today, utcnow
from core.db.models import ActivityMetrics, FitnessMetrics, GarminFitnessData, RaceGoal, Workout
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import N_, NotFound
from core.limits.feature_gate import FeatureGate
from core.training import fitness_store
from core.training.activities import ActivityCard, card_of
from core.training.charts import CHART_DAYS, ENGLISH, FitnessChartLabels, fitness_chart_png
from core.training.fitness import DayFitness, form_reading

LIST_SIZE = 10
ZONES = 5


@dataclass(frozen=True)
class Wellness:
    day: date
    sleep_score: int | None
    sleep_seconds: int | None
    hrv_ms: float | None
    body_battery_high: int | None
    body_battery_low: int | None
    training_readiness: int | None
    resting_hr: int | None


@dataclass(frozen=True)
class TodayReport:
    """Yesterday's load, today's form, wellness, today's session and the next race."""

    today: date
    yesterday_load: float
    ctl: float
    atl: float
    tsb: float
    form: str
    has_data: bool
    wellness: Wellness | None
    workout_title: str | None
    workout_text: str | None
    goal_name: str | None
    goal_days: int | None


@dataclass(frozen=True)
class SportTotals:
    sport: str
    count: int
    time_s: float
    distance_m: float
    load: float


@dataclass(frozen=True)
class WeekFigures:
    """One Monday-to-Sunday week in the athlete's zone."""

    start: date
    sports: list[SportTotals]
    time_s: float
    distance_m: float
    load: float
    zone_seconds: tuple[float, ...]
    longest: ActivityCard | None


@dataclass(frozen=True)
class WeekReport:
    this: WeekFigures
    last: WeekFigures


class ReportService:
    """Read models over the training rows, cut to the history the plan allows."""

    def __init__(self, uow: UnitOfWorkFactory, gate: FeatureGate, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._gate = gate
        self._clock = clock

    async def _account(self, uow: UnitOfWork, account: AccountRef) -> AccountContext:
        return await resolve(uow, account, now=self._clock())

    async def today(self, account: AccountRef) -> TodayReport:
        """The morning view of the athlete's day (one transaction)."""
        async with self._uow() as uow:
            acc = await self._account(uow, account)
            user_id, today = acc.id, local_today(self._clock(), acc.timezone)
            await fitness_store.bring_up_to_date(uow.training, user_id, today=today)
            rows = await uow.training.fitness_between(user_id, today - timedelta(days=1), today)
            by_day = {r.day: r for r in rows}
            wellness = await uow.training.latest_wellness(
                user_id, on_or_before=today, since=today - timedelta(days=2)
            )
            workout = await uow.training.workout_on(user_id, today)
            goal = await uow.goals.next_goal(user_id, from_day=today)
            await uow.commit()
        return today_report(
            today, fitness=by_day.get(today), yesterday=by_day.get(today - timedelta(days=1)),
            wellness=wellness, workout=workout, goal=goal,
        )  # fmt: skip

    async def week(self, account: AccountRef) -> WeekReport:
        """This week against last week (Monday-based, local), stored in weekly_summaries."""
        async with self._uow() as uow:
            acc = await self._account(uow, account)
            user_id, tz, since = acc.id, acc.timezone, await self._gate.history_start(acc)
            monday = _monday(local_today(self._clock(), tz))
            last_monday = monday - timedelta(days=7)
            start = last_monday if since is None else max(last_monday, since)
            rows = await uow.training.activities_between(user_id, start, monday + timedelta(days=6))
            profile = await uow.profiles.get(user_id)
            weeks = [
                week_figures(ws, [r for r in rows if _monday(r.local_date) == ws], tz, profile)
                for ws in (monday, last_monday)
            ]
            stored = {
                r.week_start: r.data
                for r in await uow.training.weeks(user_id, [monday, last_monday])
            }
            for w in weeks:
                # Keep what else the row holds (the weekly report of that week, once sent).
                data = {**(stored.get(w.start) or {}), **week_data(w)}
                await uow.training.upsert_week(user_id, w.start, data)
            await uow.commit()
        return WeekReport(this=weeks[0], last=weeks[1])

    async def activities(
        self, account: AccountRef, *, limit: int = LIST_SIZE
    ) -> list[ActivityCard]:
        """The newest activities within the visible history."""
        async with self._uow(readonly=True) as uow:
            acc = await self._account(uow, account)
            user_id, tz, since = acc.id, acc.timezone, await self._gate.history_start(acc)
            rows = await uow.training.recent_activities(user_id, since=since, limit=limit)
            profile = await uow.profiles.get(user_id)
            return [card_of(r, tz=tz, profile=profile) for r in rows]

    async def activity(self, account: AccountRef, activity_id: int) -> ActivityCard:
        """One activity of this user (NotFound for anyone else's, or beyond the history)."""
        async with self._uow(readonly=True) as uow:
            acc = await self._account(uow, account)
            user_id, tz, since = acc.id, acc.timezone, await self._gate.history_start(acc)
            row = await uow.training.activity(user_id, activity_id, since=since)
            if row is None:
                raise NotFound(N_("Activity not found."))
            return card_of(row, tz=tz, profile=await uow.profiles.get(user_id))

    async def fitness_days(
        self, account: AccountRef, *, days: int = CHART_DAYS
    ) -> list[DayFitness]:
        """Daily fitness rows of the last `days` days within the visible history."""
        async with self._uow() as uow:
            acc = await self._account(uow, account)
            user_id, since = acc.id, await self._gate.history_start(acc)
            today = local_today(self._clock(), acc.timezone)
            await fitness_store.bring_up_to_date(uow.training, user_id, today=today)
            start = today - timedelta(days=days - 1)
            start = start if since is None else max(start, since)
            rows = await uow.training.fitness_between(user_id, start, today)
            await uow.commit()
        return [fitness_store.day_fitness(r) for r in rows]

    async def fitness_chart(
        self, account: AccountRef, *, labels: FitnessChartLabels = ENGLISH
    ) -> bytes:
        """The fitness chart as PNG bytes (`labels`: its words), drawn on a worker thread."""
        days = await self.fitness_days(account)
        return await asyncio.to_thread(fitness_chart_png, days, labels=labels)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_figures(start: date, rows: list[ActivityMetrics], tz: str, profile: Any) -> WeekFigures:
    """One week's totals from its activities: /week and the weekly report sum up alike."""
    per: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    zones = [0.0] * ZONES
    for r in rows:
        acc = per[r.sport]
        acc[0] += 1
        acc[1] += r.timer_s or 0.0
        acc[2] += r.distance_m or 0.0
        acc[3] += r.load
        for i, s in enumerate((r.hr_zone_seconds or [])[:ZONES]):
            zones[i] += float(s or 0.0)
    sports = sorted(
        (SportTotals(s, int(a[0]), a[1], a[2], a[3]) for s, a in per.items()),
        key=lambda t: -t.time_s,
    )
    longest = max(rows, key=lambda r: r.timer_s or 0.0, default=None)
    return WeekFigures(
        start=start, sports=sports, time_s=sum(t.time_s for t in sports),
        distance_m=sum(t.distance_m for t in sports), load=sum(t.load for t in sports),
        zone_seconds=tuple(zones),
        longest=card_of(longest, tz=tz, profile=profile) if longest else None,
    )  # fmt: skip


def week_data(w: WeekFigures) -> dict[str, Any]:
    """The JSON stored in weekly_summaries."""
    return {
        "time_s": round(w.time_s, 1), "distance_m": round(w.distance_m, 1),
        "load": round(w.load, 1), "zone_seconds": [round(z, 1) for z in w.zone_seconds],
        "sports": [{"sport": t.sport, "count": t.count, "time_s": round(t.time_s, 1),
                    "distance_m": round(t.distance_m, 1), "load": round(t.load, 1)}
                   for t in w.sports],
        "longest_activity_id": w.longest.id if w.longest else None,
    }  # fmt: skip


def today_report(
    today: date, *, fitness: FitnessMetrics | None, yesterday: FitnessMetrics | None,
    wellness: GarminFitnessData | None, goal: RaceGoal | None, workout: Workout | None = None,
) -> TodayReport:  # fmt: skip
    """The day's figures from its rows: /today and the morning summary say the same."""
    tsb = fitness.tsb if fitness else 0.0
    return TodayReport(
        today=today, yesterday_load=yesterday.load if yesterday else 0.0,
        ctl=fitness.ctl if fitness else 0.0, atl=fitness.atl if fitness else 0.0, tsb=tsb,
        form=form_reading(tsb), has_data=fitness is not None or yesterday is not None,
        wellness=wellness_of(wellness),
        workout_title=workout.title if workout else None,
        workout_text=workout.description if workout else None,
        goal_name=goal.name if goal else None,
        goal_days=(goal.race_date - today).days if goal else None,
    )  # fmt: skip


def wellness_of(row: GarminFitnessData | None) -> Wellness | None:
    """The figures of a day's Garmin wellness row that the athlete is shown."""
    if row is None:
        return None
    return Wellness(
        day=row.day, sleep_score=row.sleep_score, sleep_seconds=row.sleep_seconds,
        hrv_ms=row.hrv_ms, body_battery_high=row.body_battery_high,
        body_battery_low=row.body_battery_low, training_readiness=row.training_readiness,
        resting_hr=row.resting_hr,
    )  # fmt: skip
