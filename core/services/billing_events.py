"""Stripe webhook events: applied once, in whatever order Stripe delivers them.

- Idempotent: the event id goes into payment_events (ON CONFLICT DO NOTHING) in the same
  transaction as the state change, under a lock on the user's row, so a duplicate delivery,
  even a concurrent one, changes nothing and returns no Change.
- Order: for an event naming a subscription we do not trust the event's copy of it; we re-fetch
  the subscription from Stripe and apply its current state. We also keep, per subscription, the
  `created` time of the last event applied (user_subscriptions.last_event_at) and skip older
  events, so a fetch that raced a newer event can never overwrite what that event applied.
"""

from __future__ import annotations

import logging
from typing import Any

from core.db.models import UserSubscription
from core.db.uow import UnitOfWork
from core.gateways.payments import PaymentEvent, SubscriptionState
from core.services.billing_base import BillingBase
from core.services.billing_rules import (
    Change,
    Snapshot,
    accepts_stripe_state,
    stripe_fields,
    stripe_user_ref,
)

logger = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)


class StripeEvents(BillingBase):
    """The Stripe webhook side of the billing service."""

    async def handle_event(self, event: PaymentEvent) -> Change | None:
        """Apply a verified Stripe event once; None when ignored, duplicate or stale."""
        if event.type not in HANDLED_EVENTS:
            logger.debug("Ignored Stripe event %s of type %s", event.id, event.type)
            return None
        async with self._uow() as uow:
            if await uow.billing.event_seen(event.id):
                return None
            user_id = await self._stripe_user(uow, event)
        state = None
        if event.subscription_id:
            # Outside any transaction: a slow Stripe must not hold a database connection.
            # A PaymentsError propagates: the web route answers 5xx and Stripe retries.
            state = await self._payments.get_subscription(event.subscription_id)
            if user_id is None and stripe_user_ref(state.user_ref) is not None:
                async with self._uow() as uow:
                    user_id = await self._known_user(uow, state.user_ref)
        if user_id is None:
            logger.info(
                "Ignored Stripe event %s (%s): no account for customer %s",
                event.id,
                event.type,
                event.customer_id,
            )
            return None
        return await self._apply_event(user_id, event, state)

    async def _known_user(self, uow: UnitOfWork, ref: str | None) -> int | None:
        user_id = stripe_user_ref(ref)
        if user_id is not None and await uow.users.get(user_id) is not None:
            return user_id
        return None

    async def _stripe_user(self, uow: UnitOfWork, event: PaymentEvent) -> int | None:
        """The user an event is about: metadata or client reference first, then stored ids."""
        user_id = await self._known_user(uow, event.user_ref)
        if user_id is not None:
            return user_id
        row = None
        if event.subscription_id:
            row = await uow.subscriptions.by_stripe_subscription(event.subscription_id)
        if row is None and event.customer_id:
            row = await uow.subscriptions.by_stripe_customer(event.customer_id)
        return row.user_id if row else None

    async def _apply_event(
        self, user_id: int, event: PaymentEvent, state: SubscriptionState | None
    ) -> Change | None:
        now = self._clock()
        async with self._uow() as uow:
            if not await uow.billing.lock_account(user_id):
                return None  # the account was deleted meanwhile
            recorded = await uow.billing.record_event(
                event.id, provider="stripe", event_type=event.type, user_id=user_id, at=now
            )
            if not recorded:
                return None  # a concurrent delivery applied it first
            plans = await self._plans(uow)
            row = await uow.subscriptions.get(user_id)
            before = Snapshot.of(row, pro_plan_id=plans["pro"], now=now)
            fields = self._fields(row, event, state, plans)
            change = None
            if fields is not None:
                change = await self._write(uow, user_id, fields, before, plans)
            # Committed even when nothing changed: the stored id makes a redelivery cheap.
            await uow.commit()
        return change

    def _fields(
        self,
        row: UserSubscription | None,
        event: PaymentEvent,
        state: SubscriptionState | None,
        plans: dict[str, int],
    ) -> dict[str, Any] | None:
        """The values to write for this event; None when it changes nothing."""
        if state is None:
            return self._customer_only(row, event, plans)
        if not accepts_stripe_state(row, state, event.created):
            logger.info("Skipped stale Stripe event %s (%s)", event.id, event.type)
            return None
        return stripe_fields(
            state,
            row,
            created=event.created,
            now=self._clock(),
            grace_days=self._settings.past_due_grace_days,
            plan_ids=plans,
        )

    @staticmethod
    def _customer_only(
        row: UserSubscription | None, event: PaymentEvent, plans: dict[str, int]
    ) -> dict[str, Any] | None:
        """A checkout without a subscription: remember the customer for later checkouts."""
        if event.customer_id is None:
            return None
        if row is not None:
            # plan_id too: the INSERT half of the upsert must be a valid row on its own.
            customer = row.stripe_customer_id or event.customer_id
            return {"plan_id": row.plan_id, "stripe_customer_id": customer}
        return {
            "plan_id": plans["free"],
            "provider": "stripe",
            "status": "incomplete",
            "stripe_customer_id": event.customer_id,
        }
