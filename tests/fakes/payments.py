"""In-memory Payments and Stars subscriptions for service tests, and Stripe event scenarios."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

from core.errors import PaymentsError
from core.gateways.payments import (
    ChargeState,
    CheckoutLink,
    PaymentEvent,
    PortalLink,
    SubscriptionState,
    charge_state,
    event_from_payload,
    subscription_state,
)
from tests.fakes import stripe_events as ev


@dataclass(frozen=True)
class CheckoutCall:
    """The parameters of one create_checkout call."""

    user_id: int
    customer_id: str | None
    price_id: str
    success_url: str
    cancel_url: str


class FakePayments:
    """Satisfies the Payments protocol; get_subscription serves what `set_subscription` stored.

    A scenario stores each subscription's state as Stripe holds it at the moment of delivery
    (or its final state, to replay late and shuffled events); webhooks are not verified.
    """

    def __init__(self) -> None:
        self.checkouts: list[CheckoutCall] = []
        self.portals: list[tuple[str, str]] = []
        self.subscriptions: dict[str, SubscriptionState] = {}
        self.fetches: list[str] = []
        self.cancelled: list[str] = []
        self.charges: dict[str, ChargeState] = {}
        self.paid_invoices: dict[str, str] = {}  # payment intent id -> invoice id

    def set_subscription(self, obj: dict[str, Any]) -> SubscriptionState:
        """Serve this Stripe Subscription object (as built by tests.fakes.stripe_events)."""
        state = subscription_state(obj)
        self.subscriptions[state.subscription_id] = state
        return state

    async def create_checkout(
        self,
        *,
        user_id: int,
        customer_id: str | None,
        price_id: str,
        success_url: str,
        cancel_url: str,
    ) -> CheckoutLink:
        call = CheckoutCall(user_id, customer_id, price_id, success_url, cancel_url)
        self.checkouts.append(call)
        n = len(self.checkouts)
        url = f"https://checkout.stripe.test/c/pay/cs_test_{n}"
        return CheckoutLink(url=url, session_id=f"cs_test_{n}")

    async def create_portal(self, *, customer_id: str, return_url: str) -> PortalLink:
        self.portals.append((customer_id, return_url))
        return PortalLink(url=f"https://billing.stripe.test/p/session/{customer_id}")

    async def get_subscription(self, subscription_id: str) -> SubscriptionState:
        self.fetches.append(subscription_id)
        await asyncio.sleep(0)  # a network call yields: concurrent deliveries interleave here
        state = self.subscriptions.get(subscription_id)
        if state is None:  # what StripePayments raises on Stripe's 404
            raise PaymentsError("Stripe refused to fetch a subscription (HTTP 404).")
        return state

    def set_charge(self, obj: dict[str, Any], *, paid_invoice: str | None = None) -> ChargeState:
        """Serve this Charge object; `paid_invoice` is the invoice its payment paid."""
        charge = charge_state(obj)
        self.charges[charge.charge_id] = charge
        if paid_invoice and charge.payment_intent_id:
            self.paid_invoices[charge.payment_intent_id] = paid_invoice
        return charge

    async def cancel_subscription(self, subscription_id: str) -> bool:
        state = self.subscriptions.get(subscription_id)
        if state is None or state.status in ("canceled", "incomplete_expired"):
            return False  # what StripePayments returns on Stripe's 404
        self.cancelled.append(subscription_id)
        self.subscriptions[subscription_id] = dataclasses.replace(state, status="canceled")
        return True

    async def get_charge(self, charge_id: str) -> ChargeState:
        charge = self.charges.get(charge_id)
        if charge is None:
            raise PaymentsError("Stripe refused to fetch a charge (HTTP 404).")
        return charge

    async def invoice_paid_by(self, payment_intent_id: str) -> str | None:
        return self.paid_invoices.get(payment_intent_id)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> PaymentEvent:
        return event_from_payload(payload)


class FakeStarSubscriptions:
    """Satisfies core's StarSubscriptions; `unreachable` makes cancel fail as the bot's would."""

    def __init__(self) -> None:
        self.cancelled: list[tuple[int, str]] = []
        self.unreachable = False

    async def cancel(self, *, telegram_user_id: int, charge_id: str) -> None:
        if self.unreachable:
            raise PaymentsError("Could not reach Telegram.")
        self.cancelled.append((telegram_user_id, charge_id))


# -- scenarios: Stripe event sequences with the subscription state after each event -------

DAY = 86400
SCENARIOS = ("new", "renewal", "card_failure_recovery", "cancel_at_period_end", "cancel_now")


@dataclass(frozen=True)
class Step:
    """One delivery: the event, and the subscription as Stripe holds it right after it."""

    event: dict[str, Any]
    subscription: dict[str, Any]

    @property
    def at(self) -> int:
        return int(self.event["created"])


def scenario(name: str, user_id: int, t0: int, *, customer: str | None = None) -> list[Step]:
    """A subscription's life as Stripe reports it, starting at Unix time t0; fresh ids each call
    (but `customer`, the user's Stripe customer, when they subscribed before).

    Invoice events carry no user metadata, so the user is found by the stored or fetched ids.
    """
    cus, sub = customer or ev.new_id("cus"), ev.new_id("sub")
    end1, end2 = t0 + 30 * DAY, t0 + 60 * DAY

    def state(status: ev.SubscriptionStatus, end: int = end1, **kw: Any) -> dict[str, Any]:
        start = end - 30 * DAY
        return ev.subscription_object(
            id=sub, customer=cus, status=status, user_id=user_id,
            current_period_start=start, current_period_end=end, **kw,
        )  # fmt: skip

    def step(kind: str, obj: dict[str, Any], at: int, after: dict[str, Any]) -> Step:
        return Step(ev.event(kind, obj, created=at), after)

    def invoice(kind: str, at: int, end: int, paid: bool) -> Step:
        obj = ev.invoice_object(customer=cus, subscription=sub, period_end=end, paid=paid)
        return step(f"invoice.{kind}", obj, at, state("active" if paid else "past_due", end))

    checkout = ev.checkout_session_object(user_id=user_id, customer=cus, subscription=sub)
    steps = [
        step("customer.subscription.created", state("incomplete"), t0, state("incomplete")),
        step("checkout.session.completed", checkout, t0 + 1, state("active")),
        invoice("paid", t0 + 2, end1, True),
        step("customer.subscription.updated", state("active"), t0 + 2, state("active")),
    ]
    if name == "renewal":
        steps += [
            invoice("paid", end1 + 60, end2, True),
            step("customer.subscription.updated", state("active", end2), end1 + 61,
                 state("active", end2)),
        ]  # fmt: skip
    elif name == "card_failure_recovery":
        steps += [
            invoice("payment_failed", end1 + 60, end2, False),
            step("customer.subscription.updated", state("past_due", end2), end1 + 61,
                 state("past_due", end2)),
            invoice("paid", end1 + 2 * DAY, end2, True),
            step("customer.subscription.updated", state("active", end2), end1 + 2 * DAY + 1,
                 state("active", end2)),
        ]  # fmt: skip
    elif name == "cancel_at_period_end":
        pending = state("active", cancel_at_period_end=True)
        ended = state("canceled", cancel_at_period_end=True, canceled_at=end1)
        steps += [
            step("customer.subscription.updated", pending, t0 + 10 * DAY, pending),
            step("customer.subscription.deleted", ended, end1, ended),
        ]
    elif name == "cancel_now":
        ended = state("canceled", canceled_at=t0 + 5 * DAY)
        steps.append(step("customer.subscription.deleted", ended, t0 + 5 * DAY, ended))
    elif name != "new":
        raise ValueError(f"unknown scenario {name!r}")
    return steps
