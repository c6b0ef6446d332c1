"""Training rows of one athlete: activities, daily fitness, weekly summaries, goals, wellness.

Every method takes the user_id it serves and filters by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select

from core.db.models import (
    ActivityMetrics,
    FitnessMetrics,
    GarminFitnessData,
    RaceGoal,
    WeeklySummary,
    Workout,
)
from core.db.repository import Repository
from core.training.fitness import DayFitness

_FITNESS_FIELDS = ("load", "ctl", "atl", "tsb", "ramp", "acwr", "ewma7", "ewma28")
# Rows per INSERT: well under SQLite's 32766 bound parameters at 10 columns a row.
_UPSERT_CHUNK = 500


class TrainingRepository(Repository):
    """Activities and the figures derived from them."""

    # -- activities -----------------------------------------------------------------------

    async def duplicates(
        self,
        user_id: int,
        *,
        content_hash: str,
        device_serial: int | None,
        start_times: Sequence[datetime],
        garmin_activity_id: int | None = None,
    ) -> list[ActivityMetrics]:
        """Stored activities that are the same file, or the same device's sessions."""
        same = [ActivityMetrics.content_hash == content_hash]
        if device_serial is not None and start_times:
            same.append(
                (ActivityMetrics.device_serial == device_serial)
                & ActivityMetrics.start_time.in_(list(start_times))
            )
        if garmin_activity_id is not None:
            same.append(ActivityMetrics.garmin_activity_id == garmin_activity_id)
        stmt = (
            select(ActivityMetrics)
            .where(ActivityMetrics.user_id == user_id, or_(*same))
            .order_by(ActivityMetrics.start_time, ActivityMetrics.session_index)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def add_activities(self, user_id: int, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert the sessions of one file; their new ids."""
        objs = [ActivityMetrics(user_id=user_id, **row) for row in rows]
        self.session.add_all(objs)
        await self.session.flush()
        return [o.id for o in objs]

    async def activity(
        self, user_id: int, activity_id: int, *, since: date | None = None
    ) -> ActivityMetrics | None:
        """This user's activity by id (only from local day `since` on, if given)."""
        stmt = select(ActivityMetrics).where(
            ActivityMetrics.user_id == user_id, ActivityMetrics.id == activity_id
        )
        if since is not None:
            stmt = stmt.where(ActivityMetrics.local_date >= since)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def activities_by_ids(self, user_id: int, ids: Sequence[int]) -> list[ActivityMetrics]:
        stmt = (
            select(ActivityMetrics)
            .where(ActivityMetrics.user_id == user_id, ActivityMetrics.id.in_(list(ids)))
            .order_by(ActivityMetrics.start_time, ActivityMetrics.session_index)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def delete_activity(self, user_id: int, activity_id: int) -> date | None:
        """Delete one activity; the local day it was on, None if there was none."""
        stmt = (
            delete(ActivityMetrics)
            .where(ActivityMetrics.user_id == user_id, ActivityMetrics.id == activity_id)
            .returning(ActivityMetrics.local_date)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def recent_activities(
        self, user_id: int, *, since: date | None, limit: int
    ) -> list[ActivityMetrics]:
        """Newest first, from local day `since` on."""
        stmt = select(ActivityMetrics).where(ActivityMetrics.user_id == user_id)
        if since is not None:
            stmt = stmt.where(ActivityMetrics.local_date >= since)
        stmt = stmt.order_by(ActivityMetrics.start_time.desc(), ActivityMetrics.id.desc())
        return list((await self.session.execute(stmt.limit(limit))).scalars())

    async def activities_between(
        self, user_id: int, start: date | None, end: date | None
    ) -> list[ActivityMetrics]:
        """Activities of local days start..end (open ends when None), oldest first."""
        stmt = select(ActivityMetrics).where(ActivityMetrics.user_id == user_id)
        if start is not None:
            stmt = stmt.where(ActivityMetrics.local_date >= start)
        if end is not None:
            stmt = stmt.where(ActivityMetrics.local_date <= end)
        stmt = stmt.order_by(ActivityMetrics.start_time, ActivityMetrics.session_index)
        return list((await self.session.execute(stmt)).scalars())

    async def threshold_evidence(self, user_id: int) -> tuple[float | None, float | None]:
        """(highest max HR, best 20-min power) over all of this user's activities."""
        stmt = select(
            func.max(ActivityMetrics.max_hr), func.max(ActivityMetrics.best_20min_power)
        ).where(ActivityMetrics.user_id == user_id)
        row = (await self.session.execute(stmt)).one()
        return row[0], row[1]

    async def first_activity_day(self, user_id: int) -> date | None:
        stmt = select(func.min(ActivityMetrics.local_date)).where(
            ActivityMetrics.user_id == user_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def daily_loads(self, user_id: int, start: date, end: date) -> dict[date, float]:
        """Sum of loads per local day from start to end."""
        stmt = (
            select(ActivityMetrics.local_date, func.sum(ActivityMetrics.load))
            .where(
                ActivityMetrics.user_id == user_id,
                ActivityMetrics.local_date >= start,
                ActivityMetrics.local_date <= end,
            )
            .group_by(ActivityMetrics.local_date)
        )
        return {day: float(total or 0.0) for day, total in (await self.session.execute(stmt))}

    # -- daily fitness --------------------------------------------------------------------

    async def fitness_before(self, user_id: int, day: date, *, count: int) -> list[FitnessMetrics]:
        """The last `count` stored rows before `day`, oldest first."""
        stmt = (
            select(FitnessMetrics)
            .where(FitnessMetrics.user_id == user_id, FitnessMetrics.day < day)
            .order_by(FitnessMetrics.day.desc())
            .limit(count)
        )
        return list(reversed((await self.session.execute(stmt)).scalars().all()))

    async def fitness_between(
        self, user_id: int, start: date | None, end: date
    ) -> list[FitnessMetrics]:
        """Stored rows from start (open when None) to end, oldest first."""
        stmt = select(FitnessMetrics).where(
            FitnessMetrics.user_id == user_id, FitnessMetrics.day <= end
        )
        if start is not None:
            stmt = stmt.where(FitnessMetrics.day >= start)
        return list((await self.session.execute(stmt.order_by(FitnessMetrics.day))).scalars())

    async def last_fitness_day(self, user_id: int) -> date | None:
        stmt = select(func.max(FitnessMetrics.day)).where(FitnessMetrics.user_id == user_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def upsert_fitness(self, user_id: int, rows: Sequence[DayFitness]) -> None:
        """Write the days' figures, replacing what was stored for those days."""
        values = [
            {"user_id": user_id, "day": r.date, **{f: getattr(r, f) for f in _FITNESS_FIELDS}}
            for r in rows
        ]
        for i in range(0, len(values), _UPSERT_CHUNK):
            stmt = self.insert(FitnessMetrics).values(values[i : i + _UPSERT_CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=["user_id", "day"],
                set_={f: getattr(stmt.excluded, f) for f in _FITNESS_FIELDS},
            )
            await self.session.execute(stmt)

    async def delete_fitness_after(self, user_id: int, day: date) -> None:
        """Drop rows after `day` (a recompute that ends earlier than the stored rows)."""
        stmt = delete(FitnessMetrics).where(
            FitnessMetrics.user_id == user_id, FitnessMetrics.day > day
        )
        await self.session.execute(stmt)

    # -- weekly summaries -----------------------------------------------------------------

    async def upsert_week(self, user_id: int, week_start: date, data: dict[str, Any]) -> None:
        stmt = self.insert(WeeklySummary).values(user_id=user_id, week_start=week_start, data=data)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "week_start"],
            set_={"data": stmt.excluded.data, "updated_at": func.now()},
        )
        await self.session.execute(stmt)

    async def weeks(self, user_id: int, starts: Sequence[date]) -> list[WeeklySummary]:
        stmt = select(WeeklySummary).where(
            WeeklySummary.user_id == user_id, WeeklySummary.week_start.in_(list(starts))
        )
        return list((await self.session.execute(stmt)).scalars())

    # -- wellness and plans -----------------------------------------------------------------

    async def latest_wellness(
        self, user_id: int, *, on_or_before: date, since: date | None = None
    ) -> GarminFitnessData | None:
        stmt = select(GarminFitnessData).where(
            GarminFitnessData.user_id == user_id, GarminFitnessData.day <= on_or_before
        )
        if since is not None:
            stmt = stmt.where(GarminFitnessData.day >= since)
        stmt = stmt.order_by(GarminFitnessData.day.desc()).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def latest_resting_hr(self, user_id: int) -> int | None:
        stmt = (
            select(GarminFitnessData.resting_hr)
            .where(GarminFitnessData.user_id == user_id, GarminFitnessData.resting_hr.is_not(None))
            .order_by(GarminFitnessData.day.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def workout_on(self, user_id: int, day: date) -> Workout | None:
        """The newest planned workout of this user for a local day."""
        stmt = (
            select(Workout)
            .where(Workout.user_id == user_id, Workout.day == day)
            .order_by(Workout.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()


class GoalRepository(Repository):
    """Race goals of one user."""

    async def list(self, user_id: int) -> list[RaceGoal]:
        stmt = (
            select(RaceGoal)
            .where(RaceGoal.user_id == user_id)
            .order_by(RaceGoal.race_date, RaceGoal.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def next_goal(self, user_id: int, *, from_day: date) -> RaceGoal | None:
        stmt = (
            select(RaceGoal)
            .where(RaceGoal.user_id == user_id, RaceGoal.race_date >= from_day)
            .order_by(RaceGoal.race_date, RaceGoal.id)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def count(self, user_id: int) -> int:
        stmt = select(func.count()).select_from(RaceGoal).where(RaceGoal.user_id == user_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def add(self, user_id: int, **fields: Any) -> RaceGoal:
        row = RaceGoal(user_id=user_id, **fields)
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete(self, user_id: int, goal_id: int) -> bool:
        stmt = delete(RaceGoal).where(RaceGoal.user_id == user_id, RaceGoal.id == goal_id)
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]
