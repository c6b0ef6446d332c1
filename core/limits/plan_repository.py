"""Subscription plans and which plan each user is on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db.models import SubscriptionPlan, User, UserSubscription
from core.db.repository import Repository


class PlanRepository(Repository):
    """The plans table: shared rows, not user data."""

    async def by_code(self, code: str) -> SubscriptionPlan | None:
        result = await self.session.execute(
            select(SubscriptionPlan).where(SubscriptionPlan.code == code)
        )
        return result.scalar_one_or_none()

    async def all(self) -> list[SubscriptionPlan]:
        result = await self.session.execute(select(SubscriptionPlan).order_by(SubscriptionPlan.id))
        return list(result.scalars())


class SubscriptionRepository(Repository):
    """A user's subscription row (none means Free)."""

    async def get(self, user_id: int) -> UserSubscription | None:
        result = await self.session.execute(
            select(UserSubscription).where(UserSubscription.user_id == user_id)
        )
        return result.scalar_one_or_none()

    async def with_plan(
        self, user_id: int
    ) -> tuple[UserSubscription | None, SubscriptionPlan | None]:
        result = await self.session.execute(
            select(UserSubscription, SubscriptionPlan)
            .join(SubscriptionPlan, SubscriptionPlan.id == UserSubscription.plan_id)
            .where(UserSubscription.user_id == user_id)
        )
        row = result.first()
        return (row[0], row[1]) if row else (None, None)

    async def with_user(
        self, user_id: int
    ) -> tuple[str, UserSubscription | None, SubscriptionPlan | None] | None:
        """The user's timezone, subscription and its plan in one query; None: no such user."""
        result = await self.session.execute(
            select(User.timezone, UserSubscription, SubscriptionPlan)
            .select_from(User)
            .outerjoin(UserSubscription, UserSubscription.user_id == User.id)
            .outerjoin(SubscriptionPlan, SubscriptionPlan.id == UserSubscription.plan_id)
            .where(User.id == user_id)
        )
        row = result.first()
        return None if row is None else (row[0], row[1], row[2])

    async def upsert(self, user_id: int, **fields: Any) -> UserSubscription:
        stmt = (
            self.insert(UserSubscription)
            .values(user_id=user_id, **fields)
            .on_conflict_do_update(index_elements=["user_id"], set_=fields)
        )
        await self.session.execute(stmt)
        sub = await self.get(user_id)
        assert sub is not None
        await self.session.refresh(sub)
        return sub

    async def by_stripe_customer(self, customer_id: str) -> UserSubscription | None:
        """The subscription row holding this Stripe customer (maps a webhook to a user)."""
        result = await self.session.execute(
            select(UserSubscription).where(UserSubscription.stripe_customer_id == customer_id)
        )
        return result.scalars().first()

    async def by_stripe_subscription(self, subscription_id: str) -> UserSubscription | None:
        result = await self.session.execute(
            select(UserSubscription).where(
                UserSubscription.stripe_subscription_id == subscription_id
            )
        )
        return result.scalars().first()
