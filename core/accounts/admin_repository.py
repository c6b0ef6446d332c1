"""Aggregates across all users, for the operator's /admin screen only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from core.db.models import AIUsageLog, GarminSyncHistory, SubscriptionPlan, User, UserSubscription
from core.db.repository import Repository


@dataclass(frozen=True)
class AdminStats:
    users: int
    active_today: int
    blocked: int
    pro: int
    ai_cost_today_cents: float
    ai_cost_month_cents: float
    ai_cost_by_model_month: dict[str, float]
    failed_syncs_today: int


class AdminRepository(Repository):
    """Counts over every tenant: never returns any user's rows."""

    async def stats(self, *, day_start: datetime, month_start: datetime) -> AdminStats:
        s = self.session
        users = await s.scalar(select(func.count()).select_from(User))
        active = await s.scalar(select(func.count()).where(User.last_seen_at >= day_start))
        blocked = await s.scalar(select(func.count()).where(User.is_blocked.is_(True)))
        pro = await s.scalar(
            select(func.count())
            .select_from(UserSubscription)
            .join(SubscriptionPlan, SubscriptionPlan.id == UserSubscription.plan_id)
            .where(SubscriptionPlan.code == "pro")
        )
        cost_today = await s.scalar(
            select(func.coalesce(func.sum(AIUsageLog.cost_cents), 0.0)).where(
                AIUsageLog.created_at >= day_start
            )
        )
        by_model = await s.execute(
            select(AIUsageLog.model_id, func.sum(AIUsageLog.cost_cents))
            .where(AIUsageLog.created_at >= month_start)
            .group_by(AIUsageLog.model_id)
        )
        by_model_map = {m: float(c or 0) for m, c in by_model.all()}
        failed = await s.scalar(
            select(func.count()).where(
                GarminSyncHistory.started_at >= day_start,
                GarminSyncHistory.status.notin_(("ok", "running")),
            )
        )
        return AdminStats(
            users=int(users or 0),
            active_today=int(active or 0),
            blocked=int(blocked or 0),
            pro=int(pro or 0),
            ai_cost_today_cents=float(cost_today or 0),
            ai_cost_month_cents=sum(by_model_map.values()),
            ai_cost_by_model_month=by_model_map,
            failed_syncs_today=int(failed or 0),
        )
