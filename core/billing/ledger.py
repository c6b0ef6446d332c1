"""The subscription ledger: how every billing collaborator reads and changes a user's plan.

A payment is applied in one transaction, under the lock on the user's row, together with its
event id in payment_events (ON CONFLICT DO NOTHING): a duplicate delivery, even a concurrent
one, finds the id taken and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.billing.rules import Change, Snapshot, already_pro, change_kind
from core.clock import Clock
from core.db.models import UserSubscription
from core.db.uow import UnitOfWork, UnitOfWorkFactory
from core.errors import UnknownUser

logger = logging.getLogger(__name__)

PlanIds = dict[str, int]  # plan id by code ("free", "pro")
# The values to write for a payment, given the row before it; None writes nothing.
Decide = Callable[[UserSubscription | None, PlanIds], dict[str, Any] | None]


@dataclass(frozen=True)
class EventRecord:
    """A payment event as payment_events keeps it."""

    event_id: str
    provider: str  # "stripe" or "stars"
    event_type: str


@dataclass(frozen=True)
class Applied:
    """What applying one payment event did."""

    new: bool  # False: the event id was applied before, nothing was written
    before: Snapshot
    change: Change | None  # None: no row was written


class SubscriptionLedger:
    """The unit of work, clock and plan ids that checkout, Stripe and Stars share."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock
        self._plan_ids: PlanIds = {}

    async def plan_ids(self, uow: UnitOfWork) -> PlanIds:
        """Plan ids by code; they change only by migration, so they are loaded once."""
        if not self._plan_ids:
            self._plan_ids = {p.code: p.id for p in await uow.plans.all()}
        return self._plan_ids

    async def require_user(self, uow: UnitOfWork, user_id: int) -> None:
        if await uow.users.get(user_id) is None:
            raise UnknownUser(user_id)

    async def refuse_if_pro(self, uow: UnitOfWork, user_id: int) -> UserSubscription | None:
        """The user's subscription row; AlreadyPro if it grants Pro now."""
        await self.require_user(uow, user_id)
        sub, plan = await uow.subscriptions.with_plan(user_id)
        refusal = already_pro(sub, plan, self.clock())
        if refusal is not None:
            raise refusal
        return sub

    async def apply(self, user_id: int, record: EventRecord, decide: Decide) -> Applied | None:
        """Record the event and write what `decide` says, once; None when there is no account.

        Committed even when nothing is written: the stored id makes a redelivery cheap.
        """
        now = self.clock()
        async with self.uow() as uow:
            exists, row = await uow.billing.lock_with_subscription(user_id)
            if not exists:
                return None
            new = await uow.billing.record_event(
                record.event_id,
                provider=record.provider,
                event_type=record.event_type,
                user_id=user_id,
                at=now,
            )
            plans = await self.plan_ids(uow)
            before = Snapshot.of(row, pro_plan_id=plans["pro"], now=now)
            fields = decide(row, plans) if new else None
            change = None
            if fields is not None:
                change = await self._write(uow, user_id, fields, before, plans)
            await uow.commit()
        return Applied(new, before, change)

    async def record_only(self, record: EventRecord, user_id: int | None) -> None:
        """Mark the event processed without changing any plan (a redelivery is then cheap)."""
        async with self.uow() as uow:
            await uow.billing.record_event(
                record.event_id,
                provider=record.provider,
                event_type=record.event_type,
                user_id=user_id,
                at=self.clock(),
            )
            await uow.commit()

    async def _write(
        self,
        uow: UnitOfWork,
        user_id: int,
        fields: dict[str, Any],
        before: Snapshot,
        plans: PlanIds,
    ) -> Change:
        """Upsert the subscription row (the caller commits); the Change it makes."""
        row = await uow.billing.save_subscription(user_id, **fields)
        after = Snapshot.of(row, pro_plan_id=plans["pro"], now=self.clock())
        kind = change_kind(before, after)
        if kind:
            logger.info("Billing: user %s %s (status %s)", user_id, kind, row.status)
        return Change(
            user_id, kind, "pro" if after.pro else "free", row.current_period_end, row.grace_until
        )


def unchanged(user_id: int, before: Snapshot) -> Change:
    """The Change of a payment already applied, or one that changed nothing: nothing to tell."""
    return Change(user_id, None, "pro" if before.pro else "free", before.period_end)
