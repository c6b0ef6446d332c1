"""The FeatureGate: what a user's plan allows, counted atomically per window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from core import metrics
from core.accounts.context import AccountContext, AccountRef, resolve
from core.clock import Clock, local_midnight_utc, local_today, month_start, next_month_start, utcnow
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import LimitReached, ProOnly, UnknownFeature
from core.limits.plans import PlanLimits

# Active-plan counting has no time window: one fixed key holds "plans currently active".
ACTIVE_WINDOW = date(1970, 1, 1)


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


def history_start_of(plan: PlanLimits, tz: str, now: datetime) -> date | None:
    """The first local day a user on `plan` in zone `tz` may see (None: all history)."""
    if plan.history_days is None:
        return None
    return local_today(now, tz) - timedelta(days=plan.history_days)


class FeatureGate:
    """Grants or refuses AI features by plan; the only place limits are read.

    Each method takes the request's AccountContext (zone and plan already resolved: no user
    read) or a bare user id, which is then resolved with one statement.
    """

    def __init__(self, uow: UnitOfWorkFactory, *, clock: Clock = utcnow) -> None:
        self._uow = uow
        self._clock = clock

    async def plan_for(self, account: AccountRef) -> PlanLimits:
        """The plan in force for this user now."""
        if isinstance(account, AccountContext):
            return account.plan
        async with self._uow(readonly=True) as uow:
            return (await resolve(uow, account, now=self._clock())).plan

    async def take(self, uow: UnitOfWork, account: AccountContext, feature: Feature) -> Grant:
        """Count one use in the caller's unit of work (LimitReached when the plan allows no
        more); it counts once the caller commits."""
        limit: int | None = getattr(account.plan, LIMIT_FIELD[feature])
        window_start, resets_at = window_of(feature, self._clock(), account.timezone)
        used = await uow.usage.try_increment(account.id, feature.value, window_start, limit)
        if used is None:
            metrics.feature_refusals.labels(feature.value).inc()
            raise LimitReached(feature.value, limit or 0, resets_at)
        return Grant(account.id, feature, window_start, used, limit)

    async def check_and_increment(self, account: AccountRef, feature: str | Feature) -> Grant:
        """Count one use of `feature`, or raise LimitReached when the plan allows no more."""
        feat = parse_feature(feature)
        async with self._uow() as uow:
            grant = await self.take(uow, await resolve(uow, account, now=self._clock()), feat)
            await uow.commit()
        return grant

    async def refund(self, grant: Grant) -> None:
        """Give back the unit a failed request used, in the window it was counted in."""
        async with self._uow() as uow:
            await give_back(uow, grant)
            await uow.commit()

    async def remaining(self, account: AccountRef) -> UsageReport:
        """What the plan allows and what is used in each current window (for /usage)."""
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            ctx = await resolve(uow, account, now=now)
            features = []
            for feat in Feature:
                start, resets = window_of(feat, now, ctx.timezone)
                used = await uow.usage.used(ctx.id, feat.value, start)
                limit = getattr(ctx.plan, LIMIT_FIELD[feat])
                features.append(FeatureUsage(feat, used, limit, resets))
        return UsageReport(ctx.plan, features)

    async def history_start(self, account: AccountRef) -> date | None:
        """The first local day this user may see (None: all history)."""
        if isinstance(account, AccountContext):
            ctx = account
        else:
            async with self._uow(readonly=True) as uow:
                ctx = await resolve(uow, account, now=self._clock())
        return history_start_of(ctx.plan, ctx.timezone, self._clock())

    async def require_export(self, account: AccountRef) -> None:
        """Raise ProOnly unless the plan includes data export."""
        if not (await self.plan_for(account)).export:
            metrics.feature_refusals.labels("export").inc()
            raise ProOnly("export")

    async def has_priority_sync(self, account: AccountRef) -> bool:
        return (await self.plan_for(account)).priority_sync


async def give_back(uow: UnitOfWork, grant: Grant) -> None:
    """Return a grant's unit in the caller's unit of work."""
    await uow.usage.decrement(grant.user_id, grant.feature.value, grant.window_start)
