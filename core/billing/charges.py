"""Money going back on a Stripe charge: a refund or a dispute ends the Pro that money paid for.

- charge.refunded: a full refund of the charge that paid the current period (the payment of
  the subscription's latest invoice) ends Pro at once. A partial refund keeps Pro: it is a
  goodwill credit, as most subscription services treat one. A refund of an older payment
  changes nothing.
- charge.dispute.created: Pro ends at once, whichever charge is disputed, and the operator is
  warned in the log: a dispute has to be answered in the Stripe Dashboard within days.

The charge is fetched from Stripe rather than read from the event, as subscriptions are. The
refunded or disputed period stays Free (rules.MONEY_BACK_STATUSES); a renewal paid
after it brings Pro back.
"""

from __future__ import annotations

import logging
from typing import Any

from core.billing.ledger import EventRecord, PlanIds, SubscriptionLedger
from core.billing.rules import Change, money_back_fields
from core.db.models import UserSubscription
from core.gateways.payments import ChargeState, PaymentEvent, Payments

logger = logging.getLogger(__name__)

DISPUTE = "charge.dispute.created"
CHARGE_EVENTS = frozenset({"charge.refunded", DISPUTE})


def stripe_record(event: PaymentEvent) -> EventRecord:
    """How payment_events keeps a Stripe event."""
    return EventRecord(event.id, "stripe", event.type)


class ChargeEvents:
    """Refunds and disputes of Stripe charges."""

    def __init__(self, ledger: SubscriptionLedger, payments: Payments) -> None:
        self._ledger = ledger
        self._payments = payments

    async def handle(self, event: PaymentEvent) -> Change | None:
        """Apply a refund or dispute once; None when it changes nothing."""
        if not event.charge_id:
            logger.warning("Ignored Stripe event %s (%s): it names no charge", event.id, event.type)
            return None
        async with self._ledger.uow() as uow:
            if await uow.billing.event_seen(event.id):
                return None
        # Outside any transaction; a PaymentsError makes the route answer 5xx, Stripe retries.
        charge = await self._payments.get_charge(event.charge_id)
        row = None
        if charge.customer_id:
            async with self._ledger.uow() as uow:
                row = await uow.subscriptions.by_stripe_customer(charge.customer_id)
        if row is None:
            level = logging.WARNING if event.type == DISPUTE else logging.INFO
            logger.log(level, "Stripe %s on charge %s: no account for customer %s",
                       event.type, charge.charge_id, charge.customer_id)  # fmt: skip
            return None
        if event.type == DISPUTE:
            logger.warning(
                "Stripe dispute on charge %s of user %s (event %s): card Pro ends now; answer "
                "the dispute in the Stripe Dashboard", charge.charge_id, row.user_id, event.id,
            )  # fmt: skip
            return await self._money_back(row.user_id, event, status="disputed")
        return await self._refund(row, charge, event)

    async def _refund(
        self, row: UserSubscription, charge: ChargeState, event: PaymentEvent
    ) -> Change | None:
        """A full refund of the current period's payment ends Pro; any other keeps it."""
        if charge.fully_refunded and await self._paid_current_period(row, charge):
            return await self._money_back(
                row.user_id, event, status="refunded", subscription_id=row.stripe_subscription_id
            )
        which = "not of the current period" if charge.fully_refunded else "a partial refund"
        logger.info("Refund of charge %s (user %s) is %s: Pro stays",
                    charge.charge_id, row.user_id, which)  # fmt: skip
        await self._ledger.record_only(stripe_record(event), row.user_id)
        return None

    async def _paid_current_period(self, row: UserSubscription, charge: ChargeState) -> bool:
        """Whether the charge paid the latest invoice of the user's current Stripe subscription."""
        if row.provider != "stripe" or not row.stripe_subscription_id:
            return False
        if not charge.payment_intent_id:
            return False
        invoice_id = await self._payments.invoice_paid_by(charge.payment_intent_id)
        if invoice_id is None:
            return False
        state = await self._payments.get_subscription(row.stripe_subscription_id)
        return state.latest_invoice_id == invoice_id

    async def _money_back(
        self, user_id: int, event: PaymentEvent, *, status: str, subscription_id: str | None = None
    ) -> Change | None:
        """End the user's Stripe Pro now (if still that subscription); once per event."""

        def decide(row: UserSubscription | None, plans: PlanIds) -> dict[str, Any] | None:
            # A refund ends only the subscription it was checked against (not a newer one).
            if (
                row is None
                or row.provider != "stripe"
                or subscription_id not in (None, row.stripe_subscription_id)
            ):
                return None
            return money_back_fields(
                row, status=status, created=event.created, free_id=plans["free"]
            )

        # None: the account was deleted meanwhile, or a concurrent delivery applied it first.
        applied = await self._ledger.apply(user_id, stripe_record(event), decide)
        return applied.change if applied else None
