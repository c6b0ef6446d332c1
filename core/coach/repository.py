"""The AI coach's rows: chat, plans, workouts, analyses (its context: context_repository.py).

Every method takes the user_id it serves and filters by it: nothing here can reach another
athlete's data, whatever the conversation says.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update

from core.db.models import (
    ActivityMetrics,
    ChatMessage,
    TrainingPlan,
    Workout,
    WorkoutAnalysis,
)
from core.db.repository import Repository

ACTIVE = "active"
# A plain table insert (not the ORM's bulk path), built once: on every coach message.
ADD_MESSAGE = insert(cast(Table, ChatMessage.__table__))


class CoachRepository(Repository):
    """Chat history, plans, workouts and analyses of one user, and the activity to analyse."""

    # -- conversation ---------------------------------------------------------------------

    async def add_message(self, user_id: int, role: str, content: str, *, at: datetime) -> None:
        self.session.add(ChatMessage(user_id=user_id, role=role, content=content, created_at=at))
        await self.session.flush()

    async def add_exchange(self, user_id: int, question: str, answer: str, *, at: datetime) -> None:
        """The athlete's message and the coach's answer, in one statement."""
        rows = [("user", question), ("assistant", answer)]
        await self.session.execute(
            ADD_MESSAGE,
            [{"user_id": user_id, "role": r, "content": c, "created_at": at} for r, c in rows],
        )

    # -- activities (read only) ----------------------------------------------------------

    async def activity(
        self, user_id: int, activity_id: int, *, since: date | None
    ) -> ActivityMetrics | None:
        """This user's activity by id, if it lies within the history they may see."""
        stmt = select(ActivityMetrics).where(
            ActivityMetrics.user_id == user_id, ActivityMetrics.id == activity_id
        )
        if since is not None:
            stmt = stmt.where(ActivityMetrics.local_date >= since)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def last_activity(self, user_id: int, *, since: date | None) -> ActivityMetrics | None:
        stmt = select(ActivityMetrics).where(ActivityMetrics.user_id == user_id)
        if since is not None:
            stmt = stmt.where(ActivityMetrics.local_date >= since)
        stmt = stmt.order_by(ActivityMetrics.start_time.desc(), ActivityMetrics.id.desc()).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # -- analyses -------------------------------------------------------------------------

    async def analysis(self, user_id: int, activity_id: int) -> WorkoutAnalysis | None:
        stmt = select(WorkoutAnalysis).where(
            WorkoutAnalysis.user_id == user_id, WorkoutAnalysis.activity_id == activity_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_analysis(
        self, user_id: int, activity_id: int, *, text: str, model_id: str, at: datetime
    ) -> bool:
        """Store the analysis unless one exists already; whether it was new."""
        stmt = (
            self.insert(WorkoutAnalysis)
            .values(
                user_id=user_id,
                activity_id=activity_id,
                text=text,
                model_id=model_id[:64],
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "activity_id"])
            .returning(WorkoutAnalysis.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    # -- training plans -------------------------------------------------------------------

    async def active_plan(self, user_id: int) -> TrainingPlan | None:
        stmt = (
            select(TrainingPlan)
            .where(TrainingPlan.user_id == user_id, TrainingPlan.status == ACTIVE)
            .order_by(TrainingPlan.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_plan(self, user_id: int, **fields: Any) -> TrainingPlan:
        row = TrainingPlan(user_id=user_id, status=ACTIVE, **fields)
        self.session.add(row)
        await self.session.flush()
        return row

    async def close_active_plans(
        self, user_id: int, *, status: str, ended_before: date | None = None
    ) -> int:
        """Move this user's active plans (only those ended before a day, if given) to `status`."""
        stmt = update(TrainingPlan).where(
            TrainingPlan.user_id == user_id, TrainingPlan.status == ACTIVE
        )
        if ended_before is not None:
            stmt = stmt.where(TrainingPlan.end_date < ended_before)
        result = await self.session.execute(stmt.values(status=status))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- workouts -------------------------------------------------------------------------

    async def add_workout(self, user_id: int, **fields: Any) -> Workout:
        row = Workout(user_id=user_id, **fields)
        self.session.add(row)
        await self.session.flush()
        return row
