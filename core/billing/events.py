"""Stripe webhook events: applied once, in whatever order Stripe delivers them.

- Idempotent: the event id goes into payment_events (ON CONFLICT DO NOTHING) in the same
  transaction as the state change, under a lock on the user's row, so a duplicate delivery,
  even a concurrent one, changes nothing and returns no Change.
- Order: for an event naming a subscription we do not trust the event's copy of it; we re-fetch
  the subscription from Stripe and apply its current state. We also keep, per subscription, the
  `created` time of the last event applied (user_subscriptions.last_event_at) and skip older
  events, so a fetch that raced a newer event can never overwrite what that event applied.
- Whose event: the user named in the metadata (set by our Checkout) is trusted only if the
  account exists and the event's customer is not stored for anyone else, the user included;
  otherwise the event is logged and recorded as processed, changing nothing. Without metadata,
  the stored subscription or customer id names the user.
- Only a subscription to STRIPE_PRICE_ID grants Pro; another price is logged and changes nothing
  (or, when the stored subscription itself moves to it, ends Pro).
"""

from __future__ import annotations

import logging
from typing import Any

from core.billing.charges import CHARGE_EVENTS, ChargeEvents, stripe_record
from core.billing.ledger import PlanIds, SubscriptionLedger
from core.billing.repository import EventOwners, event_owners
from core.billing.rules import Change, accepts_stripe_state, stripe_fields, stripe_user_ref
from core.db.models import UserSubscription
from core.gateways.payments import PaymentEvent, Payments, SubscriptionState

logger = logging.getLogger(__name__)

Refusal = tuple[int, str]  # (log level, why an event's named user is not trusted)

HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
        *CHARGE_EVENTS,
    }
)


class StripeEvents:
    """Applies verified Stripe webhook events to the user's subscription."""

    def __init__(
        self,
        ledger: SubscriptionLedger,
        payments: Payments,
        *,
        price_id: str | None,
        grace_days: int,
    ) -> None:
        self._ledger = ledger
        self._payments = payments
        self._price_id = price_id
        self._grace_days = grace_days
        self._charges = ChargeEvents(ledger, payments)

    async def handle(self, event: PaymentEvent) -> Change | None:
        """Apply a verified Stripe event once; None when ignored, duplicate or stale."""
        if event.type not in HANDLED_EVENTS:
            logger.debug("Ignored Stripe event %s of type %s", event.id, event.type)
            return None
        if event.type in CHARGE_EVENTS:
            return await self._charges.handle(event)
        owners = await self._owners(
            event.id, event.user_ref, event.customer_id, event.subscription_id
        )
        if owners.seen:
            return None
        user_id, refusal = self._event_user(event, owners)
        state = None
        if refusal is None and event.subscription_id:
            # Outside any transaction: a slow Stripe must not hold a database connection.
            # A PaymentsError propagates: the web route answers 5xx and Stripe retries.
            state = await self._payments.get_subscription(event.subscription_id)
            if user_id is None:
                owners = await self._owners(None, state.user_ref, state.customer_id, None)
                user_id, refusal = self._named_user(state.user_ref, state.customer_id, owners)
        if refusal is not None:
            level, why = refusal
            logger.log(level, "Ignored Stripe event %s (%s): %s", event.id, event.type, why)
            await self._ledger.record_only(stripe_record(event), None)
            return None
        if user_id is None:
            logger.info(
                "Ignored Stripe event %s (%s): no account for customer %s",
                event.id,
                event.type,
                event.customer_id,
            )
            return None
        return await self._apply(user_id, event, state)

    async def _owners(
        self,
        event_id: str | None,
        ref: str | None,
        customer_id: str | None,
        subscription_id: str | None,
    ) -> EventOwners:
        return await event_owners(
            self._ledger.uow.reader,
            event_id=event_id,
            user_id=stripe_user_ref(ref),
            customer_id=customer_id,
            subscription_id=subscription_id,
        )

    def _event_user(
        self, event: PaymentEvent, owners: EventOwners
    ) -> tuple[int | None, Refusal | None]:
        """The user the event names in its metadata, else the one its stored ids belong to."""
        user_id, refusal = self._named_user(event.user_ref, event.customer_id, owners)
        if user_id is not None or refusal is not None:
            return user_id, refusal
        holder = owners.subscription_holder if event.subscription_id else None
        if holder is None and event.customer_id:
            holder = owners.customer_holder
        return holder, None

    @staticmethod
    def _named_user(
        ref: str | None, customer_id: str | None, owners: EventOwners
    ) -> tuple[int | None, Refusal | None]:
        """The user a metadata reference names, if it may be trusted; else why not.

        Ids are never reused, but an event can outlive its account (a late delivery after
        /delete) or name a user whose payments run through another Stripe customer.
        """
        user_id = stripe_user_ref(ref)
        if user_id is None:
            return None, None
        if not owners.user_exists:
            return None, (logging.INFO, f"it names user {user_id}, who has no account")
        if customer_id:
            if owners.own_customer not in (None, customer_id):
                why = f"it names user {user_id}, whose Stripe customer is not {customer_id}"
                return None, (logging.WARNING, why)
            holder = owners.customer_holder
            if holder is not None and holder != user_id:
                why = f"it names user {user_id}, but customer {customer_id} is another user's"
                return None, (logging.WARNING, why)
        return user_id, None

    async def _apply(
        self, user_id: int, event: PaymentEvent, state: SubscriptionState | None
    ) -> Change | None:
        """None: the account was deleted meanwhile, a concurrent delivery applied the event
        first, or it changes nothing."""

        def decide(row: UserSubscription | None, plans: PlanIds) -> dict[str, Any] | None:
            return self._fields(row, event, state, plans)

        applied = await self._ledger.apply(user_id, stripe_record(event), decide)
        return applied.change if applied else None

    def _fields(
        self,
        row: UserSubscription | None,
        event: PaymentEvent,
        state: SubscriptionState | None,
        plans: PlanIds,
    ) -> dict[str, Any] | None:
        """The values to write for this event; None when it changes nothing."""
        if state is None:
            return self._customer_only(row, event, plans)
        if not accepts_stripe_state(row, state, event.created):
            logger.info("Skipped stale Stripe event %s (%s)", event.id, event.type)
            return None
        sells_pro = state.price_id == self._price_id
        if not sells_pro:
            logger.warning(
                "Stripe subscription %s has price %s, not the Pro price: it grants no Pro",
                state.subscription_id,
                state.price_id,
            )
            if row is None or row.stripe_subscription_id != state.subscription_id:
                return None
        return stripe_fields(
            state,
            row,
            created=event.created,
            now=self._ledger.clock(),
            grace_days=self._grace_days,
            plan_ids=plans,
            sells_pro=sells_pro,
        )

    @staticmethod
    def _customer_only(
        row: UserSubscription | None, event: PaymentEvent, plans: PlanIds
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
