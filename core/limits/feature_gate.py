"""The FeatureGate: what a user's plan allows, counted atomically per window."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from core.clock import Clock, local_midnight_utc, local_today, month_start, next_month_start, utcnow
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import LimitReached, ProOnly, UnknownFeature, UnknownUser
from core.limits.plans import PlanLimits, subscription_grants_plan

# Active-plan counting has no time window: one fixed key holds "plans currently active".
ACTIVE_WINDOW = date(1970, 1, 1)
PLAN_CACHE_SECONDS = 60.0


class Feature(StrEnum):
    AI_CHAT = "ai_chat"
    AI_ANALYSIS = "ai_analysis"
    AI_WORKOUT = "ai_workout"
    AI_PLAN = "ai_plan"


WINDOW = {
    Feature.AI_CHAT: "day",
    Feature.AI_ANALYSIS: "month",
    Feature.AI_WORKOUT: "month",
    Feature.AI_PLAN: "active",
}
LIMIT_FIELD = {
    Feature.AI_CHAT: "ai_chat_per_day",
    Feature.AI_ANALYSIS: "ai_analyses_per_month",
    Feature.AI_WORKOUT: "ai_workouts_per_month",
    Feature.AI_PLAN: "ai_active_plans",
}


@dataclass(frozen=True)
class Grant:
    """One counted use; hand it back to `refund` if the work failed."""

    user_id: int
    feature: Feature
    window_start: date
    used: int
    limit: int | None


@dataclass(frozen=True)
class FeatureUsage:
    feature: Feature
    used: int
    limit: int | None
    resets_at: datetime | None


@dataclass(frozen=True)
class UsageReport:
    plan: PlanLimits
    features: list[FeatureUsage]


def parse_feature(feature: str | Feature) -> Feature:
    try:
        return Feature(feature)
    except ValueError:
        raise UnknownFeature(str(feature)) from None


def window_of(feature: Feature, now: datetime, tz: str) -> tuple[date, datetime | None]:
    """The window's start (user's local date) and when it resets (UTC); None: never."""
    kind = WINDOW[feature]
    today = local_today(now, tz)
    if kind == "day":
        return today, local_midnight_utc(today + timedelta(days=1), tz)
    if kind == "month":
        start = month_start(today)
        return start, local_midnight_utc(next_month_start(today), tz)
    return ACTIVE_WINDOW, None


async def release_active_plans(uow: UnitOfWork, user_id: int, count: int) -> None:
    """`count` plans were closed: they stop counting against the active-plan limit.

    Runs in the caller's unit of work, the one that closed them, so the plan change and the
    counter commit or roll back together.
    """
    if count > 0:
        await uow.usage.decrement(user_id, Feature.AI_PLAN.value, ACTIVE_WINDOW, by=count)


class FeatureGate:
    """Grants or refuses AI features by plan; the only place limits are read."""

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock
        self._plans: dict[str, PlanLimits] = {}
        self._plans_loaded = 0.0

    async def _plan_by_code(self, uow: UnitOfWork, code: str) -> PlanLimits:
        # Plans change only by migration or by an operator: a short cache saves a query a call.
        if _time.monotonic() - self._plans_loaded > PLAN_CACHE_SECONDS or code not in self._plans:
            self._plans = {p.code: PlanLimits.of(p) for p in await uow.plans.all()}
            self._plans_loaded = _time.monotonic()
        return self._plans[code]

    async def _user_plan(self, uow: UnitOfWork, user_id: int) -> tuple[str, PlanLimits]:
        found = await uow.subscriptions.with_user(user_id)
        if found is None:
            raise UnknownUser(user_id)
        tz, sub, plan = found
        if plan is not None and subscription_grants_plan(sub, self._clock()):
            return tz, PlanLimits.of(plan)
        return tz, await self._plan_by_code(uow, "free")

    async def plan_for(self, user_id: int) -> PlanLimits:
        """The plan in force for this user now."""
        async with self._uow(readonly=True) as uow:
            return (await self._user_plan(uow, user_id))[1]

    async def check_and_increment(self, user_id: int, feature: str | Feature) -> Grant:
        """Count one use of `feature`, or raise LimitReached when the plan allows no more."""
        feat = parse_feature(feature)
        async with self._uow() as uow:
            tz, plan = await self._user_plan(uow, user_id)
            limit: int | None = getattr(plan, LIMIT_FIELD[feat])
            window_start, resets_at = window_of(feat, self._clock(), tz)
            used = await uow.usage.try_increment(user_id, feat.value, window_start, limit)
            if used is None:
                raise LimitReached(feat.value, limit or 0, resets_at)
            await uow.commit()
        return Grant(user_id, feat, window_start, used, limit)

    async def refund(self, grant: Grant) -> None:
        """Give back the unit a failed request used, in the window it was counted in."""
        async with self._uow() as uow:
            await uow.usage.decrement(grant.user_id, grant.feature.value, grant.window_start)
            await uow.commit()

    async def remaining(self, user_id: int) -> UsageReport:
        """What the plan allows and what is used in each current window (for /usage)."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            tz, plan = await self._user_plan(uow, user_id)
            features = []
            for feat in Feature:
                start, resets = window_of(feat, now, tz)
                used = await uow.usage.used(user_id, feat.value, start)
                features.append(FeatureUsage(feat, used, getattr(plan, LIMIT_FIELD[feat]), resets))
        return UsageReport(plan, features)

    async def history_start(self, user_id: int) -> date | None:
        """The first local day this user may see (None: all history)."""
        async with self._uow(readonly=True) as uow:
            tz, plan = await self._user_plan(uow, user_id)
        if plan.history_days is None:
            return None
        return local_today(self._clock(), tz) - timedelta(days=plan.history_days)

    async def require_export(self, user_id: int) -> None:
        """Raise ProOnly unless the plan includes data export."""
        if not (await self.plan_for(user_id)).export:
            raise ProOnly("export")

    async def has_priority_sync(self, user_id: int) -> bool:
        return (await self.plan_for(user_id)).priority_sync
