"""Plans as the rest of the code sees them, and which plan a subscription row means now (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.db.models import SubscriptionPlan, UserSubscription

# Renewal webhooks can arrive a little after the period ends; don't drop Pro in that gap.
RENEWAL_SLACK = timedelta(hours=24)
PRO_STATUSES = {"active", "trialing"}


@dataclass(frozen=True)
class PlanLimits:
    """A plan as the rest of the code sees it; None means unlimited."""

    code: str
    name: str
    ai_chat_per_day: int | None
    ai_analyses_per_month: int | None
    ai_workouts_per_month: int | None
    ai_active_plans: int | None
    history_days: int | None
    export: bool
    priority_sync: bool
    sync_interval_minutes: int
    price_cents: int
    currency: str  # ISO 4217, lower case as Stripe writes it

    @classmethod
    def of(cls, plan: SubscriptionPlan) -> PlanLimits:
        return cls(
            code=plan.code,
            name=plan.name,
            ai_chat_per_day=plan.ai_chat_per_day,
            ai_analyses_per_month=plan.ai_analyses_per_month,
            ai_workouts_per_month=plan.ai_workouts_per_month,
            ai_active_plans=plan.ai_active_plans,
            history_days=plan.history_days,
            export=plan.export,
            priority_sync=plan.priority_sync,
            sync_interval_minutes=plan.sync_interval_minutes,
            price_cents=plan.price_cents,
            currency=plan.currency,
        )


@dataclass(frozen=True)
class PlanPair:
    """The two plans on offer, as their subscription_plans rows say."""

    free: PlanLimits
    pro: PlanLimits

    @classmethod
    def of(cls, plans: Iterable[SubscriptionPlan]) -> PlanPair:
        """From the plan rows; the first migration seeds both."""
        by_code = {plan.code: PlanLimits.of(plan) for plan in plans}
        return cls(free=by_code["free"], pro=by_code["pro"])


def subscription_grants_plan(sub: UserSubscription | None, now: datetime) -> bool:
    """Whether the subscribed plan applies now (else the user is on Free)."""
    if sub is None:
        return False
    if sub.status in PRO_STATUSES:
        end = sub.current_period_end
        return end is None or now < end + RENEWAL_SLACK
    if sub.status == "past_due":
        return sub.grace_until is not None and now < sub.grace_until
    return False
