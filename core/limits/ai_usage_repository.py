"""The AI usage log: one row per model call, unique by request id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from core.db.models import AIUsageLog
from core.db.repository import Repository


class AIUsageRepository(Repository):
    """AI call log rows for one user at a time."""

    async def add_once(self, user_id: int, **fields: Any) -> bool:
        """Insert the log row unless its request_id is known; whether it was new."""
        stmt = (
            self.insert(AIUsageLog)
            .values(user_id=user_id, **fields)
            .on_conflict_do_nothing(index_elements=["request_id"])
            .returning(AIUsageLog.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def for_user(self, user_id: int, *, since: datetime) -> list[AIUsageLog]:
        result = await self.session.execute(
            select(AIUsageLog)
            .where(AIUsageLog.user_id == user_id, AIUsageLog.created_at >= since)
            .order_by(AIUsageLog.id)
        )
        return list(result.scalars())

    async def count_for_user(self, user_id: int) -> int:
        result = await self.session.execute(
            select(func.count()).select_from(AIUsageLog).where(AIUsageLog.user_id == user_id)
        )
        return int(result.scalar_one())
