"""Usage counters: the FeatureGate's atomic check-and-increment lives here."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, select, update

from core.db.models import UserUsage
from core.db.repository import Repository


class UsageRepository(Repository):
    """Per-user counters keyed by feature and window start."""

    async def try_increment(
        self, user_id: int, feature: str, window_start: date, limit: int | None
    ) -> int | None:
        """Count one use if under `limit` (None: unlimited); the new count, or None if denied.

        One statement on both backends: INSERT .. ON CONFLICT DO UPDATE .. WHERE used < limit
        RETURNING used. The row lock of the upsert makes concurrent callers queue, so a
        limit is never exceeded and no read-then-write race exists.
        """
        if limit is not None and limit <= 0:
            return None
        table = UserUsage.__table__
        stmt = self.insert(table).values(
            user_id=user_id, feature=feature, window_start=window_start, used=1
        )
        excluded_where = None if limit is None else table.c.used < limit
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "feature", "window_start"],
            set_={"used": table.c.used + 1},
            where=excluded_where,
        ).returning(table.c.used)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def decrement(
        self, user_id: int, feature: str, window_start: date, *, by: int = 1
    ) -> bool:
        """Give `by` uses back (never below zero); whether any unit was returned."""
        result = await self.session.execute(
            update(UserUsage)
            .where(
                UserUsage.user_id == user_id,
                UserUsage.feature == feature,
                UserUsage.window_start == window_start,
                UserUsage.used > 0,
            )
            .values(used=case((UserUsage.used > by, UserUsage.used - by), else_=0))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def used(self, user_id: int, feature: str, window_start: date) -> int:
        result = await self.session.execute(
            select(UserUsage.used).where(
                UserUsage.user_id == user_id,
                UserUsage.feature == feature,
                UserUsage.window_start == window_start,
            )
        )
        return result.scalar_one_or_none() or 0

    async def add_ai_totals(
        self,
        user_id: int,
        month_start: date,
        *,
        input_tokens: int,
        output_tokens: int,
        cost_cents: float,
    ) -> None:
        """Add one AI call to the user's monthly totals (feature 'ai_total')."""
        table = UserUsage.__table__
        stmt = self.insert(table).values(
            user_id=user_id,
            feature="ai_total",
            window_start=month_start,
            used=1,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_cents=cost_cents,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "feature", "window_start"],
            set_={
                "used": table.c.used + 1,
                "input_tokens": table.c.input_tokens + input_tokens,
                "output_tokens": table.c.output_tokens + output_tokens,
                "cost_cents": table.c.cost_cents + cost_cents,
            },
        )
        await self.session.execute(stmt)

    async def ai_totals(self, user_id: int, month_start: date) -> UserUsage | None:
        result = await self.session.execute(
            select(UserUsage).where(
                UserUsage.user_id == user_id,
                UserUsage.feature == "ai_total",
                UserUsage.window_start == month_start,
            )
        )
        return result.scalar_one_or_none()
