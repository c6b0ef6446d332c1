"""The stored power curves and run best efforts of one athlete's activities.

Every method takes the user_id it serves and filters by it; none commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from core.db.models import ActivityMetrics
from core.db.repository import Repository
from core.training.new_bests import ActivityBests, activity_bests

_A = ActivityMetrics


class BestsRepository(Repository):
    """Per-activity curves and efforts: a few columns, never the whole row."""

    async def history(self, user_id: int, *, since: date | None) -> list[ActivityBests]:
        """Activities with a curve or efforts from local day `since` on, oldest first."""
        stmt = select(_A.id, _A.local_date, _A.start_time, _A.power_curve, _A.best_efforts).where(
            _A.user_id == user_id, or_(_A.power_curve.is_not(None), _A.best_efforts.is_not(None))
        )
        if since is not None:
            stmt = stmt.where(_A.local_date >= since)
        stmt = stmt.order_by(_A.start_time, _A.id)
        return [
            activity_bests(activity_id=i, day=d, start_time=s, power_curve=c, best_efforts=e)
            for i, d, s, c, e in (await self.session.execute(stmt)).all()
            if c or e  # a JSON null is not a curve
        ]
