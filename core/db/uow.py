"""Unit of work: one session, one transaction, the repositories that share it.

`async with uow_factory() as uow: ...; await uow.commit()` - leaving without commit rolls back.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accounts.admin_repository import AdminRepository
from core.accounts.repository import ProfileRepository, UserRepository
from core.accounts.session_repository import SessionRepository
from core.billing.repository import BillingRepository
from core.coach.adaptive_repository import AdaptiveDayRepository
from core.coach.context_repository import ContextRepository
from core.coach.repository import CoachRepository
from core.db.reader import RowReader
from core.garmin.repository import DueRepository, GarminRepository, SummaryRepository
from core.garmin.scheduled_repository import ScheduledWorkoutRepository
from core.garmin.secrets_repository import SecretsRepository
from core.limits.ai_usage_repository import AIUsageRepository
from core.limits.plan_repository import PlanRepository, SubscriptionRepository
from core.limits.throttle_repository import ThrottleRepository
from core.limits.usage_repository import UsageRepository
from core.notify.repository import PushRepository
from core.notify.weekly_repository import WeeklyReportRepository
from core.training.bests_repository import BestsRepository
from core.training.read_repository import ActivitySeriesRepository, TrainingReadRepository
from core.training.repository import GoalRepository, TrainingRepository


class UnitOfWork:
    """A transaction and the repositories bound to it."""

    session: AsyncSession

    def __init__(self, sessionmaker: async_sessionmaker[Any]) -> None:
        self._sessionmaker = sessionmaker

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessionmaker()
        s = self.session
        self.users = UserRepository(s)
        self.profiles = ProfileRepository(s)
        self.plans = PlanRepository(s)
        self.subscriptions = SubscriptionRepository(s)
        self.usage = UsageRepository(s)
        self.ai_usage = AIUsageRepository(s)
        self.coach = CoachRepository(s)
        self.coach_context = ContextRepository(s)
        self.adaptive = AdaptiveDayRepository(s)
        self.admin = AdminRepository(s)
        self.secrets = SecretsRepository(s)
        self.garmin = GarminRepository(s)
        self.garmin_workouts = ScheduledWorkoutRepository(s)
        self.due = DueRepository(s)
        self.summaries = SummaryRepository(s)
        self.billing = BillingRepository(s)
        self.training = TrainingRepository(s)
        self.goals = GoalRepository(s)
        self.pushes = PushRepository(s)
        self.weekly = WeeklyReportRepository(s)
        self.throttles = ThrottleRepository(s)
        self.web_sessions = SessionRepository(s)
        self.training_reads = TrainingReadRepository(s)
        self.activity_series = ActivitySeriesRepository(s)
        self.bests = BestsRepository(s)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and, unlike rollback(), leaves the
        # loaded objects readable (detached) for the caller.
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh UnitOfWork per use; services hold this, never a live session.

    `readonly=True` may use separate read connections (SQLite) and must not write.
    `reader` runs the single-statement reads on the path of every update (the account).
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[Any],
        read_sessionmaker: async_sessionmaker[Any] | None = None,
        *,
        reader: RowReader | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.read_sessionmaker = read_sessionmaker or sessionmaker
        self.reader = reader or RowReader(self.read_sessionmaker.kw["bind"])

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self.read_sessionmaker if readonly else self.sessionmaker)
