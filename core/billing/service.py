"""Billing: sells Pro through Stripe Checkout or Telegram Stars and applies payment events.

One service for the edges, made of collaborators sharing one SubscriptionLedger
(core/billing/ledger.py): CheckoutService (offer, links, status: checkout.py), StripeEvents
(webhook events, with ChargeEvents for refunds and disputes: events.py, charges.py; the
idempotency and ordering rules are explained there), StarsPayments (stars.py), and the pure
rules (rules.py). It returns data (a Change, a BillingStatus, an UpgradeOffer) and sends
nothing itself: the edge turns a Change into a message.
"""

from __future__ import annotations

from datetime import datetime

from core.billing.checkout import BillingStatus, CheckoutService, ReturnUrls, UpgradeOffer
from core.billing.events import HANDLED_EVENTS, StripeEvents
from core.billing.ledger import SubscriptionLedger
from core.billing.rules import Change, ChangeKind
from core.billing.stars import StarsPayments
from core.clock import Clock
from core.config import Settings
from core.db.uow import UnitOfWorkFactory
from core.gateways.payments import CheckoutLink, PaymentEvent, Payments, PortalLink
from core.limits.plans import PlanPair

__all__ = [
    "HANDLED_EVENTS",
    "BillingService",
    "BillingStatus",
    "Change",
    "ChangeKind",
    "ReturnUrls",
    "UpgradeOffer",
]


class BillingService:
    """The billing use cases, each handed to the collaborator that owns it."""

    def __init__(
        self, uow: UnitOfWorkFactory, payments: Payments, settings: Settings, clock: Clock
    ) -> None:
        ledger = SubscriptionLedger(uow, clock)
        self._clock = clock  # the clock its payments are dated by
        self._checkout = CheckoutService(
            ledger, payments, price_id=settings.stripe_price_id, stars_price=settings.stars_price
        )
        self._stripe = StripeEvents(
            ledger,
            payments,
            price_id=settings.stripe_price_id,
            grace_days=settings.past_due_grace_days,
        )
        self._stars = StarsPayments(ledger, price=settings.stars_price)

    # -- selling Pro, and what the user has

    async def offer(self, user_id: int, *, urls: ReturnUrls) -> UpgradeOffer:
        """Both plans and the ways to pay Pro; AlreadyPro when the user has it."""
        return await self._checkout.offer(user_id, urls=urls)

    async def plans(self) -> PlanPair:
        """Free and Pro as their plan rows say (prices, limits)."""
        return await self._checkout.plans()

    async def checkout_link(self, user_id: int, *, urls: ReturnUrls) -> CheckoutLink:
        """A Stripe Checkout link for Pro; AlreadyPro when the user has it."""
        return await self._checkout.checkout_link(user_id, urls=urls)

    async def portal_link(self, user_id: int, *, return_url: str) -> PortalLink:
        """A Stripe Customer Portal link; NoStripeCustomer if the user never paid by card."""
        return await self._checkout.portal_link(user_id, return_url=return_url)

    async def status(self, user_id: int, *, portal_return_url: str | None = None) -> BillingStatus:
        """Plan, payment state and dates; with a return URL, the portal link of a card payer."""
        return await self._checkout.status(user_id, portal_return_url=portal_return_url)

    # -- Stripe

    async def handle_event(self, event: PaymentEvent) -> Change | None:
        """Apply a verified Stripe event once; None when ignored, duplicate or stale."""
        return await self._stripe.handle(event)

    # -- Telegram Stars

    async def stars_invoice_payload(self, user_id: int) -> str:
        """The payload for this user's Stars invoice; AlreadyPro when they have Pro."""
        return await self._stars.invoice_payload(user_id)

    async def check_pre_checkout(
        self, user_id: int, payload: str, currency: str, total_amount: int
    ) -> None:
        """Raise an AppError unless this Stars checkout may be paid."""
        await self._stars.check_pre_checkout(user_id, payload, currency, total_amount)

    async def stars_paid(
        self,
        user_id: int,
        *,
        charge_id: str,
        payload: str,
        subscription_expiration_date: datetime | None,
        is_recurring: bool,
        is_first_recurring: bool,
    ) -> Change:
        """Grant Pro until the paid period ends; a repeated charge id changes nothing."""
        return await self._stars.paid(
            user_id,
            charge_id=charge_id,
            payload=payload,
            subscription_expiration_date=subscription_expiration_date,
            is_recurring=is_recurring,
            is_first_recurring=is_first_recurring,
        )

    async def stars_refunded(self, user_id: int, *, charge_id: str) -> Change:
        """A refund of the Stars payment that bought the current period ends Pro."""
        return await self._stars.refunded(user_id, charge_id=charge_id)
