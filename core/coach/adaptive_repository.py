"""The adaptive day's rows: active plans, the day's stored decision, the loads of a day.

Each method takes the ids of the athletes it serves and filters by them, so the morning
summary asks once per batch and the single-athlete path asks with one id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from core.db.models import ActivityMetrics, DayAdaptation, FitnessMetrics, TrainingPlan
from core.db.repository import Repository

ACTIVE = "active"


class AdaptiveDayRepository(Repository):
    """Plans, decisions and loads of the athletes named in each call."""

    async def active_plans(
        self, user_ids: Sequence[int], first: date, last: date
    ) -> dict[int, TrainingPlan]:
        """Each athlete's newest active plan that runs on some day from `first` to `last`."""
        stmt = (
            select(TrainingPlan)
            .where(
                TrainingPlan.user_id.in_(list(user_ids)),
                TrainingPlan.status == ACTIVE,
                TrainingPlan.start_date <= last,
                TrainingPlan.end_date >= first,
            )
            .order_by(TrainingPlan.id)
        )
        return {row.user_id: row for row in (await self.session.execute(stmt)).scalars()}

    async def decisions(
        self, user_ids: Sequence[int], first: date, last: date
    ) -> dict[tuple[int, date], DayAdaptation]:
        """The decisions already stored for days from `first` to `last`, by athlete and day."""
        stmt = select(DayAdaptation).where(
            DayAdaptation.user_id.in_(list(user_ids)),
            DayAdaptation.day >= first,
            DayAdaptation.day <= last,
        )
        rows = (await self.session.execute(stmt)).scalars()
        return {(row.user_id, row.day): row for row in rows}

    async def add_decision(self, user_id: int, day: date, *, at: datetime, **fields: Any) -> None:
        """Store the day's decision; a decision stored first (a concurrent morning) stays."""
        stmt = self.insert(DayAdaptation).values(user_id=user_id, day=day, created_at=at, **fields)
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "day"]))

    async def day_loads(
        self, user_ids: Sequence[int], first: date, last: date
    ) -> dict[tuple[int, date], tuple[float, int]]:
        """(load, number of activities) per athlete and local day, days with activities only."""
        stmt = (
            select(
                ActivityMetrics.user_id,
                ActivityMetrics.local_date,
                func.coalesce(func.sum(ActivityMetrics.load), 0.0),
                func.count(ActivityMetrics.id),
            )
            .where(
                ActivityMetrics.user_id.in_(list(user_ids)),
                ActivityMetrics.local_date >= first,
                ActivityMetrics.local_date <= last,
            )
            .group_by(ActivityMetrics.user_id, ActivityMetrics.local_date)
        )
        rows = (await self.session.execute(stmt)).all()
        return {(r[0], r[1]): (float(r[2] or 0.0), int(r[3])) for r in rows}

    async def tsb(self, user_id: int, day: date) -> float | None:
        """The athlete's form (TSB) on `day`, if the fitness rows reach it."""
        stmt = select(FitnessMetrics.tsb).where(
            FitnessMetrics.user_id == user_id, FitnessMetrics.day == day
        )
        value = (await self.session.execute(stmt)).scalar_one_or_none()
        return None if value is None else float(value)
