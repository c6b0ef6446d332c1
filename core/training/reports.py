"""What the athlete reads: /today, /week, the activity list and cards, the fitness chart."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.clock import Clock, local_today, utcnow
from core.db.models import ActivityMetrics, GarminFitnessData
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import NotFound, UnknownUser
from core.limits.feature_gate import FeatureGate
from core.training import fitness_store
from core.training.activities import ActivityCard, card_of
from core.training.charts import CHART_DAYS, fitness_chart_png
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

    async def _tz(self, uow: UnitOfWork, user_id: int) -> str:
        user = await uow.users.get(user_id)
        if user is None:
            raise UnknownUser(user_id)
        return user.timezone

    async def today(self, user_id: int) -> TodayReport:
        """The morning view of the athlete's day."""
        async with self._uow() as uow:
            tz = await self._tz(uow, user_id)
            today = local_today(self._clock(), tz)
            await fitness_store.bring_up_to_date(uow.training, user_id, today=today)
            await uow.commit()
            rows = await uow.training.fitness_between(user_id, today - timedelta(days=1), today)
            by_day = {r.day: r for r in rows}
            wellness = await uow.training.latest_wellness(
                user_id, on_or_before=today, since=today - timedelta(days=2)
            )
            workout = await uow.training.workout_on(user_id, today)
            goal = await uow.goals.next_goal(user_id, from_day=today)
        now_row, yday = by_day.get(today), by_day.get(today - timedelta(days=1))
        ctl = now_row.ctl if now_row else 0.0
        atl = now_row.atl if now_row else 0.0
        tsb = now_row.tsb if now_row else 0.0
        return TodayReport(
            today=today, yesterday_load=yday.load if yday else 0.0, ctl=ctl, atl=atl, tsb=tsb,
            form=form_reading(tsb), has_data=bool(rows), wellness=_wellness(wellness),
            workout_title=workout.title if workout else None,
            workout_text=workout.description if workout else None,
            goal_name=goal.name if goal else None,
            goal_days=(goal.race_date - today).days if goal else None,
        )  # fmt: skip

    async def week(self, user_id: int) -> WeekReport:
        """This week against last week (Monday-based, local), stored in weekly_summaries."""
        since = await self._gate.history_start(user_id)
        async with self._uow() as uow:
            tz = await self._tz(uow, user_id)
            monday = _monday(local_today(self._clock(), tz))
            last_monday = monday - timedelta(days=7)
            start = last_monday if since is None else max(last_monday, since)
            rows = await uow.training.activities_between(user_id, start, monday + timedelta(days=6))
            profile = await uow.profiles.get(user_id)
            weeks = [
                _week(ws, [r for r in rows if _monday(r.local_date) == ws], tz, profile)
                for ws in (monday, last_monday)
            ]
            for w in weeks:
                await uow.training.upsert_week(user_id, w.start, week_data(w))
            await uow.commit()
        return WeekReport(this=weeks[0], last=weeks[1])

    async def activities(self, user_id: int, *, limit: int = LIST_SIZE) -> list[ActivityCard]:
        """The newest activities within the visible history."""
        since = await self._gate.history_start(user_id)
        async with self._uow() as uow:
            tz = await self._tz(uow, user_id)
            rows = await uow.training.recent_activities(user_id, since=since, limit=limit)
            profile = await uow.profiles.get(user_id)
            return [card_of(r, tz=tz, profile=profile) for r in rows]

    async def activity(self, user_id: int, activity_id: int) -> ActivityCard:
        """One activity of this user (NotFound for anyone else's, or beyond the history)."""
        since = await self._gate.history_start(user_id)
        async with self._uow() as uow:
            tz = await self._tz(uow, user_id)
            row = await uow.training.activity(user_id, activity_id, since=since)
            if row is None:
                raise NotFound("Activity not found.")
            return card_of(row, tz=tz, profile=await uow.profiles.get(user_id))

    async def fitness_days(self, user_id: int, *, days: int = CHART_DAYS) -> list[DayFitness]:
        """Daily fitness rows of the last `days` days within the visible history."""
        since = await self._gate.history_start(user_id)
        async with self._uow() as uow:
            tz = await self._tz(uow, user_id)
            today = local_today(self._clock(), tz)
            await fitness_store.bring_up_to_date(uow.training, user_id, today=today)
            await uow.commit()
            start = today - timedelta(days=days - 1)
            start = start if since is None else max(start, since)
            rows = await uow.training.fitness_between(user_id, start, today)
        return [fitness_store.day_fitness(r) for r in rows]

    async def fitness_chart(self, user_id: int) -> bytes:
        """The fitness chart as PNG bytes, drawn on a worker thread."""
        days = await self.fitness_days(user_id)
        return await asyncio.to_thread(
            fitness_chart_png, days, title="Fitness (CTL), fatigue (ATL) and form (TSB)"
        )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week(start: date, rows: list[ActivityMetrics], tz: str, profile: Any) -> WeekFigures:
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


def _wellness(row: GarminFitnessData | None) -> Wellness | None:
    if row is None:
        return None
    return Wellness(
        day=row.day, sleep_score=row.sleep_score, sleep_seconds=row.sleep_seconds,
        hrv_ms=row.hrv_ms, body_battery_high=row.body_battery_high,
        body_battery_low=row.body_battery_low, training_readiness=row.training_readiness,
        resting_hr=row.resting_hr,
    )  # fmt: skip
