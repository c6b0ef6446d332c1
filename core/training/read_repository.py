"""What the web app reads of one athlete's training: list rows, chart series, workouts.

Every method takes the user_id it serves and filters by it; none commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, insert, select

from core.db.models import ActivityMetrics, ActivitySeries, FitnessMetrics, Workout
from core.db.repository import Repository

_A = ActivityMetrics
_F = FitnessMetrics
# The list's columns, in core.training.queries.ActivityItem's order, then the owner: no laps,
# zones or series, and plain rows rather than objects, so a year of rows stays a light read.
LIST_COLUMNS = (
    _A.id, _A.start_time, _A.local_date, _A.sport, _A.sub_sport, _A.source, _A.timer_s,
    _A.elapsed_s, _A.distance_m, _A.ascent_m, _A.calories, _A.avg_hr, _A.max_hr, _A.avg_power,
    _A.normalized_power, _A.load, _A.load_method, _A.tss, _A.intensity_factor, _A.user_id,
)  # fmt: skip
# In core.training.fitness.DayFitness's order, then the owner.
FITNESS_COLUMNS = (
    _F.day, _F.load, _F.ctl, _F.atl, _F.tsb, _F.ramp, _F.acwr, _F.ewma7, _F.ewma28, _F.user_id,
)  # fmt: skip


class TrainingReadRepository(Repository):
    """Activity list rows and planned workouts, newest first."""

    async def activity_list(
        self, user_id: int, *, start: date | None, end: date, limit: int
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """Activities of local days start..end (open start when None), newest first."""
        stmt = select(*LIST_COLUMNS).where(_A.user_id == user_id, _A.local_date <= end)
        if start is not None:
            stmt = stmt.where(_A.local_date >= start)
        stmt = stmt.order_by(_A.start_time.desc(), _A.id.desc()).limit(limit)
        return (await self.session.execute(stmt)).all()

    async def fitness_days(
        self, user_id: int, *, start: date | None, end: date
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """Stored daily fitness rows of days start..end (open start when None), oldest first."""
        stmt = select(*FITNESS_COLUMNS).where(_F.user_id == user_id, _F.day <= end)
        if start is not None:
            stmt = stmt.where(_F.day >= start)
        return (await self.session.execute(stmt.order_by(_F.day))).all()

    async def workouts(
        self, user_id: int, *, start: date | None, end: date | None, limit: int
    ) -> list[Workout]:
        """Planned and AI-written workouts of days start..end, newest day first."""
        stmt = select(Workout).where(Workout.user_id == user_id)
        if start is not None:
            stmt = stmt.where(Workout.day >= start)
        if end is not None:
            stmt = stmt.where(Workout.day <= end)
        stmt = stmt.order_by(Workout.day.desc(), Workout.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())


class ActivitySeriesRepository(Repository):
    """The chart series stored with each imported activity."""

    async def add(self, user_id: int, charts: Mapping[int, dict[str, Any]]) -> None:
        """Store the series of this user's new activities, by activity id."""
        rows = [{"activity_id": a, "user_id": user_id, "data": d} for a, d in charts.items()]
        await self.session.execute(insert(ActivitySeries), rows)

    async def get(self, user_id: int, activity_id: int) -> ActivitySeries | None:
        stmt = select(ActivitySeries).where(
            ActivitySeries.user_id == user_id, ActivitySeries.activity_id == activity_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
