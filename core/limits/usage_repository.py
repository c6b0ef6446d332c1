"""Usage counters: the FeatureGate's atomic check-and-increment lives here."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, case, select, update

from core.db.models import UserUsage
from core.db.repository import Repository, Upsert

USAGE = UserUsage.__table__
KEY = ["user_id", "feature", "window_start"]


def _first_use(insert: Any) -> Any:
    return insert(USAGE).values(
        user_id=bindparam("user_id"),
        feature=bindparam("feature"),
        window_start=bindparam("window_start"),
        used=1,
    )


# One more use; under a limit only while the count is below it. RETURNING the new count.
TAKE_UNLIMITED = Upsert(
    lambda insert: (
        _first_use(insert)
        .on_conflict_do_update(index_elements=KEY, set_={"used": USAGE.c.used + 1})
        .returning(USAGE.c.used)
    )
)
TAKE_LIMITED = Upsert(
    lambda insert: (
        _first_use(insert)
        .on_conflict_do_update(
            index_elements=KEY,
            set_={"used": USAGE.c.used + 1},
            where=USAGE.c.used < bindparam("limit"),
        )
        .returning(USAGE.c.used)
    )
)


def _add_totals(insert: Any) -> Any:
    first = insert(USAGE).values(
        user_id=bindparam("user_id"),
        feature="ai_total",
        window_start=bindparam("window_start"),
        used=1,
        input_tokens=bindparam("input_tokens"),
        output_tokens=bindparam("output_tokens"),
        cost_cents=bindparam("cost_cents"),
    )
    new = first.excluded
    return first.on_conflict_do_update(
        index_elements=KEY,
        set_={
            "used": USAGE.c.used + 1,
            "input_tokens": USAGE.c.input_tokens + new.input_tokens,
            "output_tokens": USAGE.c.output_tokens + new.output_tokens,
            "cost_cents": USAGE.c.cost_cents + new.cost_cents,
        },
    )


ADD_AI_TOTALS = Upsert(_add_totals)


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
        params = {"user_id": user_id, "feature": feature, "window_start": window_start}
        if limit is None:
            stmt = self.for_backend(TAKE_UNLIMITED)
        else:
            stmt, params["limit"] = self.for_backend(TAKE_LIMITED), limit
        return (await self.session.execute(stmt, params)).scalar_one_or_none()

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
        params = {
            "user_id": user_id,
            "window_start": month_start,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_cents": cost_cents,
        }
        await self.session.execute(self.for_backend(ADD_AI_TOTALS), params)

    async def ai_totals(self, user_id: int, month_start: date) -> UserUsage | None:
        result = await self.session.execute(
            select(UserUsage).where(
                UserUsage.user_id == user_id,
                UserUsage.feature == "ai_total",
                UserUsage.window_start == month_start,
            )
        )
        return result.scalar_one_or_none()
