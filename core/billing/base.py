"""What every part of the billing service shares: dependencies, plan ids, writing a change."""

from __future__ import annotations

import logging
from typing import Any

from core.billing.rules import AlreadyPro, Change, Snapshot, change_kind
from core.clock import Clock
from core.config import Settings
from core.db.models import SubscriptionPlan, UserSubscription
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import UnknownUser
from core.gateways.payments import Payments
from core.limits.plans import subscription_grants_plan

logger = logging.getLogger(__name__)


class BillingBase:
    """Holds the unit of work, the payment gateway, settings and clock."""

    def __init__(
        self, uow: UnitOfWorkFactory, payments: Payments, settings: Settings, clock: Clock
    ) -> None:
        self._uow = uow
        self._payments = payments
        self._settings = settings
        self._clock = clock
        self._plan_ids: dict[str, int] = {}

    async def _plans(self, uow: UnitOfWork) -> dict[str, int]:
        """Plan ids by code; they change only by migration, so they are loaded once."""
        if not self._plan_ids:
            self._plan_ids = {p.code: p.id for p in await uow.plans.all()}
        return self._plan_ids

    async def _require_user(self, uow: UnitOfWork, user_id: int) -> None:
        if await uow.users.get(user_id) is None:
            raise UnknownUser(user_id)

    async def _refuse_if_pro(self, user_id: int) -> UserSubscription | None:
        """The user's subscription row; AlreadyPro if it grants Pro now."""
        async with self._uow() as uow:
            await self._require_user(uow, user_id)
            sub, plan = await uow.subscriptions.with_plan(user_id)
        refusal = self._already_pro(sub, plan)
        if refusal is not None:
            raise refusal
        return sub

    def _already_pro(
        self, sub: UserSubscription | None, plan: SubscriptionPlan | None
    ) -> AlreadyPro | None:
        """The refusal to sell Pro again, if the user has it now."""
        if sub is None or plan is None or plan.code == "free":
            return None
        if not subscription_grants_plan(sub, self._clock()):
            return None
        until = sub.grace_until if sub.status == "past_due" else sub.current_period_end
        day = f" until {until:%Y-%m-%d}" if until else ""
        if sub.status == "past_due":
            text = "Your last Pro payment failed: update your card in the billing portal instead."
        elif sub.provider == "stripe":
            text = f"You already have Pro{day}. Manage or cancel it in the billing portal."
        else:
            text = f"You already have Pro{day}."
        return AlreadyPro(text, provider=sub.provider, until=until)

    async def _write(
        self,
        uow: UnitOfWork,
        user_id: int,
        fields: dict[str, Any],
        before: Snapshot,
        plans: dict[str, int],
    ) -> Change:
        """Upsert the subscription row (the caller commits); the Change it makes."""
        row = await uow.billing.save_subscription(user_id, **fields)
        after = Snapshot.of(row, pro_plan_id=plans["pro"], now=self._clock())
        kind = change_kind(before, after)
        if kind:
            logger.info("Billing: user %s %s (status %s)", user_id, kind, row.status)
        return Change(
            user_id, kind, "pro" if after.pro else "free", row.current_period_end, row.grace_until
        )

    @staticmethod
    def _unchanged(user_id: int, before: Snapshot) -> Change:
        """The Change of a payment already applied: nothing to tell."""
        return Change(user_id, None, "pro" if before.pro else "free", before.period_end)
