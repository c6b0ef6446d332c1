"""Billing: sells Pro through Stripe Checkout or Telegram Stars and applies payment events.

Stripe events: core/billing/events.py (idempotency and ordering are explained there).
Stars: core/billing/stars.py. The pure rules: core/billing/rules.py.
The caller (the bot) turns a returned Change into a chat message; billing sends nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.billing.events import HANDLED_EVENTS, StripeEvents
from core.billing.rules import (
    AlreadyPro,
    BadStarsPayment,
    Change,
    ChangeKind,
    NoStripeCustomer,
)
from core.billing.stars import StarsBilling
from core.errors import PaymentsNotConfigured
from core.gateways.payments import CheckoutLink, PortalLink
from core.limits.plans import subscription_grants_plan

__all__ = [
    "HANDLED_EVENTS",
    "AlreadyPro",
    "BadStarsPayment",
    "BillingService",
    "BillingStatus",
    "Change",
    "ChangeKind",
    "NoStripeCustomer",
]


@dataclass(frozen=True)
class BillingStatus:
    """The user's plan and payment state for /billing; dates are None where they don't apply."""

    plan_code: str
    plan_name: str
    provider: str | None  # "stripe", "stars", or None when the user never paid
    status: str | None  # the provider's status, e.g. active, past_due, canceled
    renews_at: datetime | None  # Pro renews by itself on this date
    ends_at: datetime | None  # Pro ends on this date unless paid for (again)
    cancel_at_period_end: bool
    grace_until: datetime | None  # past_due: Pro is kept until then
    can_manage: bool  # a Stripe customer exists, so portal_link works


def _bot_url(bot_username: str) -> str:
    return f"https://t.me/{bot_username.strip().lstrip('@')}"


class BillingService(StripeEvents, StarsBilling):
    """Checkout and portal links, plan status, Stripe events and Telegram Stars payments."""

    async def checkout_link(self, user_id: int, *, bot_username: str) -> CheckoutLink:
        """A Stripe Checkout link for Pro; AlreadyPro when the user has it."""
        price_id = self._settings.stripe_price_id
        if not price_id:
            raise PaymentsNotConfigured("Payments are not configured on this server.")
        sub = await self._refuse_if_pro(user_id)
        base = _bot_url(bot_username)
        return await self._payments.create_checkout(
            user_id=user_id,
            # Reusing the customer keeps one Stripe customer (cards, invoices) per user.
            customer_id=sub.stripe_customer_id if sub else None,
            price_id=price_id,
            success_url=f"{base}?start=paid",
            cancel_url=f"{base}?start=cancel",
        )

    async def portal_link(self, user_id: int, *, bot_username: str) -> PortalLink:
        """A Stripe Customer Portal link; NoStripeCustomer if the user never paid by card."""
        async with self._uow() as uow:
            await self._require_user(uow, user_id)
            sub = await uow.subscriptions.get(user_id)
        if sub is None or not sub.stripe_customer_id:
            raise NoStripeCustomer(
                "There is no card subscription to manage: you have never paid for Pro by card."
            )
        return await self._payments.create_portal(
            customer_id=sub.stripe_customer_id, return_url=_bot_url(bot_username)
        )

    async def status(self, user_id: int) -> BillingStatus:
        """Plan, provider, status and the dates that matter, for /billing."""
        now = self._clock()
        async with self._uow() as uow:
            await self._require_user(uow, user_id)
            sub, plan = await uow.subscriptions.with_plan(user_id)
            free = await uow.plans.by_code("free")
        assert free is not None, "the first migration seeds the free plan"
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
