"""The workouts this bot put on athletes' Garmin calendars (garmin_scheduled_workouts).

Only rows here are ever replaced or deleted on Garmin; every method filters by user_id.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from core.db.models import GarminScheduledWorkout
from core.db.repository import Repository


class ScheduledWorkoutRepository(Repository):
    """One athlete's scheduled-workout rows."""

    async def on_day(self, user_id: int, day: date) -> list[GarminScheduledWorkout]:
        stmt = (
            select(GarminScheduledWorkout)
            .where(GarminScheduledWorkout.user_id == user_id, GarminScheduledWorkout.day == day)
            .order_by(GarminScheduledWorkout.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def of_plan(self, user_id: int, plan_id: int) -> list[GarminScheduledWorkout]:
        stmt = (
            select(GarminScheduledWorkout)
            .where(
                GarminScheduledWorkout.user_id == user_id,
                GarminScheduledWorkout.plan_id == plan_id,
            )
            .order_by(GarminScheduledWorkout.day, GarminScheduledWorkout.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def all_of(self, user_id: int) -> list[GarminScheduledWorkout]:
        stmt = (
            select(GarminScheduledWorkout)
            .where(GarminScheduledWorkout.user_id == user_id)
            .order_by(GarminScheduledWorkout.day, GarminScheduledWorkout.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def add(
        self,
        user_id: int,
        *,
        day: date,
        name: str,
        garmin_workout_id: int,
        garmin_schedule_id: int | None,
        workout_id: int | None,
        plan_id: int | None,
    ) -> GarminScheduledWorkout:
        row = GarminScheduledWorkout(
            user_id=user_id, day=day, name=name[:200], garmin_workout_id=garmin_workout_id,
            garmin_schedule_id=garmin_schedule_id, workout_id=workout_id, plan_id=plan_id,
        )  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        return row

    async def remove(self, user_id: int, row_id: int) -> None:
        await self.session.execute(
            delete(GarminScheduledWorkout).where(
                GarminScheduledWorkout.user_id == user_id, GarminScheduledWorkout.id == row_id
            )
        )

    async def forget_all(self, user_id: int) -> None:
        """The link is gone or now names another Garmin account: these ids mean nothing there."""
        await self.session.execute(
            delete(GarminScheduledWorkout).where(GarminScheduledWorkout.user_id == user_id)
        )
