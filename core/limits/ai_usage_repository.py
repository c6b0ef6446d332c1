"""The AI usage log: one row per model call, unique by request id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from core.db.models import AIUsageLog
from core.db.repository import Repository, Upsert

LOG = AIUsageLog.__table__
FIELDS = (
    "request_id",
    "user_id",
    "model_id",
    "input_tokens",
    "output_tokens",
    "cost_cents",
    "analysis_type",
    "latency_ms",
    "status",
    "created_at",
)
# The row unless its request id is logged already; RETURNING tells which.
ADD_ONCE = Upsert(
    lambda insert: (
        insert(LOG)
        .values({name: bindparam(name) for name in FIELDS})
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(LOG.c.id)
    )
)


class AIUsageRepository(Repository):
    """AI call log rows for one user at a time."""

    async def add_once(self, user_id: int, **fields: Any) -> bool:
        """Insert the log row unless its request_id is known; whether it was new."""
        params = {"user_id": user_id, **fields}
        if set(params) != set(FIELDS):
            raise TypeError(f"a usage row needs exactly {FIELDS}, got {sorted(params)}")
        result = await self.session.execute(self.for_backend(ADD_ONCE), params)
        return result.scalar_one_or_none() is not None

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
