"""The weekly report's rows: who may be due (across users), and one athlete's inputs and record."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func, select

from core.db.models import (
    ActivityMetrics,
    GarminCredentials,
    GarminFitnessData,
    TrainingPlan,
    User,
    WeeklySummary,
)
from core.db.repository import Repository


class WeeklyReportRepository(Repository):
    """`candidates` reads across users (the scheduler's question); the rest name their user."""

    async def candidates(self, utc_day: date, *, limit: int) -> list[tuple[int, str, time]]:
        """(id, timezone, summary_time) of users who may be due a report of a week ending
        about `utc_day`.

        A local date is within a day of the UTC date, so the week just ended starts between
        utc_day - 8 and utc_day - 6; there is one Monday in that span, hence whoever has a
        reported week starting in it is done.
        """
        reported = exists().where(
            WeeklySummary.user_id == User.id,
            WeeklySummary.reported_at.is_not(None),
            WeeklySummary.week_start >= utc_day - timedelta(days=8),
            WeeklySummary.week_start <= utc_day - timedelta(days=6),
        )
        stmt = (
            select(User.id, User.timezone, User.summary_time)
            .where(
                User.is_active.is_(True),
                User.is_blocked.is_(False),
                User.weekly_report_enabled.is_(True),
                ~reported,
                # Something to report on: a Garmin link or at least one activity.
                exists().where(GarminCredentials.user_id == User.id)
                | exists().where(ActivityMetrics.user_id == User.id),
            )
            .order_by(User.id)
            .limit(limit)
        )
        return [(r[0], r[1], r[2]) for r in (await self.session.execute(stmt)).all()]

    async def wellness(self, user_id: int, start: date, end: date) -> list[GarminFitnessData]:
        """The athlete's wellness rows of local days start..end, oldest first."""
        stmt = (
            select(GarminFitnessData)
            .where(
                GarminFitnessData.user_id == user_id,
                GarminFitnessData.day >= start,
                GarminFitnessData.day <= end,
            )
            .order_by(GarminFitnessData.day)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def plans(self, user_id: int, start: date, end: date) -> list[TrainingPlan]:
        """The athlete's plans (any status) that overlap start..end, newest first."""
        stmt = (
            select(TrainingPlan)
            .where(
                TrainingPlan.user_id == user_id,
                TrainingPlan.start_date <= end,
                TrainingPlan.end_date >= start,
            )
            .order_by(TrainingPlan.id.desc())
        )
        return list((await self.session.execute(stmt)).scalars())

    async def record(
        self, user_id: int, week_start: date, data: dict[str, Any], *, at: datetime
    ) -> bool:
        """Store the week's data as reported at `at`, unless it was reported already; whether
        this call reported it. Figures /week stored for the week are replaced by `data`."""
        stmt = self.insert(WeeklySummary).values(
            user_id=user_id, week_start=week_start, data=data, reported_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "week_start"],
            set_={"data": stmt.excluded.data, "reported_at": at, "updated_at": func.now()},
            where=WeeklySummary.reported_at.is_(None),
        ).returning(WeeklySummary.id)
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def stored(self, user_id: int, week_start: date) -> WeeklySummary | None:
        """The stored row of one week of this athlete."""
        stmt = select(WeeklySummary).where(
            WeeklySummary.user_id == user_id, WeeklySummary.week_start == week_start
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
