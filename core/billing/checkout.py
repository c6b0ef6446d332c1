"""Selling Pro and showing what the user has: the upgrade offer, Stripe Checkout and portal
links, and the billing status.

The caller passes the URLs Stripe sends the user back to: where they lead is the edge's business.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from core.billing.ledger import SubscriptionLedger
from core.billing.rules import stars_payload
from core.db.models import SubscriptionPlan, UserSubscription
from core.errors import N_, NoStripeCustomer, PaymentsError, PaymentsNotConfigured
from core.gateways.payments import CheckoutLink, Payments, PortalLink
from core.limits.plans import PlanPair, subscription_grants_plan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReturnUrls:
    """Where Stripe Checkout sends the user after paying or giving up."""

    success: str
    cancel: str


@dataclass(frozen=True)
class UpgradeOffer:
    """Free next to Pro, and the ways this user can pay for Pro right now."""

    plans: PlanPair
    stars_payload: str  # the payload of this user's Stars invoice
    stars_price: int
    checkout: CheckoutLink | None  # None: card payments are off or Stripe is unreachable


@dataclass(frozen=True)
class BillingStatus:
    """The user's plan and payment state; dates are None where they don't apply."""

    plan_code: str
    plan_name: str
    provider: str | None  # "stripe", "stars", or None when the user never paid
    status: str | None  # the provider's status, e.g. active, past_due, canceled
    renews_at: datetime | None  # Pro renews by itself on this date
    ends_at: datetime | None  # Pro ends on this date unless paid for (again)
    cancel_at_period_end: bool
    grace_until: datetime | None  # past_due: Pro is kept until then
    can_manage: bool  # a Stripe customer exists, so portal_link works
    portal: PortalLink | None = None  # asked for, and Stripe answered


def billing_status(
    sub: UserSubscription | None,
    plan: SubscriptionPlan | None,
    free: SubscriptionPlan,
    now: datetime,
) -> BillingStatus:
    """What a subscription row means for the user now."""
    can_manage = bool(sub and sub.stripe_customer_id)
    provider, status = (sub.provider, sub.status) if sub else (None, None)
    if (
        sub is None
        or plan is None
        or plan.code == free.code
        or not subscription_grants_plan(sub, now)
    ):
        return BillingStatus(
            free.code, free.name, provider, status, None, None, False, None, can_manage
        )
    renews = sub.status != "past_due" and not sub.cancel_at_period_end
    ends = sub.grace_until if sub.status == "past_due" else sub.current_period_end
    return BillingStatus(
        plan_code=plan.code,
        plan_name=plan.name,
        provider=provider,
        status=status,
        renews_at=sub.current_period_end if renews else None,
        ends_at=None if renews else ends,
        cancel_at_period_end=sub.cancel_at_period_end,
        grace_until=sub.grace_until,
        can_manage=can_manage,
    )


class CheckoutService:
    """The upgrade offer, Stripe Checkout and Customer Portal links, and the billing status."""

    def __init__(
        self,
        ledger: SubscriptionLedger,
        payments: Payments,
        *,
        price_id: str | None,
        stars_price: int,
    ) -> None:
        self._ledger = ledger
        self._payments = payments
        self._price_id = price_id
        self._stars_price = stars_price

    async def offer(self, user_id: int, *, urls: ReturnUrls) -> UpgradeOffer:
        """Both plans and the ways to pay; AlreadyPro when the user has Pro."""
        async with self._ledger.uow() as uow:
            sub = await self._ledger.refuse_if_pro(uow, user_id)
            plans = PlanPair.of(await uow.plans.all())
        checkout = None
        try:
            checkout = await self._checkout(user_id, sub, urls)
        except PaymentsNotConfigured:
            pass
        except PaymentsError as exc:
            logger.warning("No checkout link for user %s: %s", user_id, exc.message)
        return UpgradeOffer(plans, stars_payload(user_id), self._stars_price, checkout)

    async def plans(self) -> PlanPair:
        """Free and Pro as their plan rows say (prices, limits)."""
        async with self._ledger.uow() as uow:
            return PlanPair.of(await uow.plans.all())

    async def checkout_link(self, user_id: int, *, urls: ReturnUrls) -> CheckoutLink:
        """A Stripe Checkout link for Pro; AlreadyPro when the user has it."""
        if not self._price_id:  # before any query: a server without Stripe answers at once
            raise PaymentsNotConfigured(N_("Payments are not configured on this server."))
        async with self._ledger.uow() as uow:
            sub = await self._ledger.refuse_if_pro(uow, user_id)
        return await self._checkout(user_id, sub, urls)

    async def portal_link(self, user_id: int, *, return_url: str) -> PortalLink:
        """A Stripe Customer Portal link; NoStripeCustomer if the user never paid by card."""
        async with self._ledger.uow() as uow:
            await self._ledger.require_user(uow, user_id)
            sub = await uow.subscriptions.get(user_id)
        if sub is None or not sub.stripe_customer_id:
            raise NoStripeCustomer()
        return await self._payments.create_portal(
            customer_id=sub.stripe_customer_id, return_url=return_url
        )

    async def status(self, user_id: int, *, portal_return_url: str | None = None) -> BillingStatus:
        """Plan, provider, status and the dates that matter; with `portal_return_url`, also
        the portal link of a card subscriber (None when Stripe cannot make one now)."""
        async with self._ledger.uow() as uow:
            await self._ledger.require_user(uow, user_id)
            sub, plan = await uow.subscriptions.with_plan(user_id)
            free = await uow.plans.by_code("free")
        assert free is not None, "the first migration seeds the free plan"
        status = billing_status(sub, plan, free, self._ledger.clock())
        if portal_return_url is None or sub is None or not sub.stripe_customer_id:
            return status
        try:
            portal = await self._payments.create_portal(
                customer_id=sub.stripe_customer_id, return_url=portal_return_url
            )
        except (PaymentsNotConfigured, PaymentsError) as exc:
            logger.warning("No portal link for user %s: %s", user_id, exc.message)
            return status
        return replace(status, portal=portal)

    async def _checkout(
        self, user_id: int, sub: UserSubscription | None, urls: ReturnUrls
    ) -> CheckoutLink:
        if not self._price_id:
            raise PaymentsNotConfigured(N_("Payments are not configured on this server."))
        return await self._payments.create_checkout(
            user_id=user_id,
            # Reusing the customer keeps one Stripe customer (cards, invoices) per user.
            customer_id=sub.stripe_customer_id if sub else None,
            price_id=self._price_id,
            success_url=urls.success,
            cancel_url=urls.cancel,
        )
