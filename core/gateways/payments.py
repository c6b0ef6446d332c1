"""Stripe behind a small Protocol: Checkout and portal links, subscriptions, charges, webhooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import stripe
from stripe.params.billing_portal import SessionCreateParams as PortalParams
from stripe.params.checkout import SessionCreateParams as CheckoutParams

from core.errors import N_, BadWebhook, PaymentsError, PaymentsNotConfigured

logger = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_S = 300


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    """Where to send the user to pay."""

    url: str
    session_id: str


@dataclass(frozen=True, slots=True)
class PortalLink:
    """Where the user manages or cancels the subscription."""

    url: str


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """What we need to know of a Stripe subscription."""

    subscription_id: str
    customer_id: str
    status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    user_ref: str | None
    price_id: str | None = None
    latest_invoice_id: str | None = None  # the invoice of the current period


@dataclass(frozen=True, slots=True)
class ChargeState:
    """What we need to know of a Stripe charge (a card payment) to judge a refund or dispute."""

    charge_id: str
    customer_id: str | None
    payment_intent_id: str | None
    amount: int
    amount_refunded: int

    @property
    def fully_refunded(self) -> bool:
        return self.amount_refunded >= self.amount


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A verified Stripe event, reduced to the fields billing acts on."""

    id: str
    type: str
    created: datetime
    customer_id: str | None
    subscription_id: str | None
    user_ref: str | None
    subscription: SubscriptionState | None
    raw_object: dict[str, Any]
    charge_id: str | None = None  # charge.* events: the charge refunded or disputed


class Payments(Protocol):
    """The payment provider as core sees it."""

    async def create_checkout(
        self,
        *,
        user_id: int,
        customer_id: str | None,
        price_id: str,
        success_url: str,
        cancel_url: str,
    ) -> CheckoutLink: ...

    async def create_portal(self, *, customer_id: str, return_url: str) -> PortalLink: ...

    async def get_subscription(self, subscription_id: str) -> SubscriptionState: ...

    async def cancel_subscription(self, subscription_id: str) -> bool:
        """Cancel at once; False when Stripe holds no live subscription of that id."""
        ...

    async def get_charge(self, charge_id: str) -> ChargeState: ...

    async def invoice_paid_by(self, payment_intent_id: str) -> str | None:
        """The id of the invoice this payment paid, if it paid one."""
        ...

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> PaymentEvent: ...


class _Malformed(ValueError):
    """A Stripe object lacks a field we rely on."""


def _dig(value: Any, *keys: str | int) -> Any:
    """Walk nested dicts and lists; None as soon as a step is missing."""
    for key in keys:
        if isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        elif isinstance(key, int) and isinstance(value, list) and len(value) > key:
            value = value[key]
        else:
            return None
    return value


def _ref(value: Any) -> str | None:
    """An id from a field that Stripe sends as a string, an expanded object or null."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _first_text(*values: Any) -> str | None:
    """The first non-empty string among the candidates."""
    return next((v for v in values if isinstance(v, str) and v), None)


def _when(value: Any) -> datetime | None:
    """A Stripe Unix timestamp as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"timestamp expected, got {type(value).__name__}")
    return datetime.fromtimestamp(value, tz=UTC)


def subscription_state(obj: dict[str, Any]) -> SubscriptionState:
    """Map a Subscription object (old or new API version) to SubscriptionState."""
    sub_id, customer, status = _ref(obj.get("id")), _ref(obj.get("customer")), obj.get("status")
    if not sub_id or not customer or not isinstance(status, str) or not status:
        raise _Malformed("subscription needs id, customer and status")
    items = _dig(obj, "items", "data")
    # Since API 2025-03-31 the period lives on each subscription item, not the subscription.
    item_ends = [
        _when(item.get("current_period_end"))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and item.get("current_period_end") is not None
    ]
    period_end = _when(obj.get("current_period_end")) or max(
        (end for end in item_ends if end is not None), default=None
    )
    return SubscriptionState(
        subscription_id=sub_id,
        customer_id=customer,
        status=status,
        current_period_end=period_end,
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        canceled_at=_when(obj.get("canceled_at")),
        user_ref=_first_text(_dig(obj, "metadata", "user_id"), obj.get("client_reference_id")),
        price_id=_ref(_dig(obj, "items", "data", 0, "price")),
        latest_invoice_id=_ref(obj.get("latest_invoice")),
    )


def charge_state(obj: dict[str, Any]) -> ChargeState:
    """Map a Charge object to ChargeState."""
    charge_id, amount, refunded = _ref(obj.get("id")), obj.get("amount"), obj.get("amount_refunded")
    if not charge_id or not isinstance(amount, int) or not isinstance(refunded, int):
        raise _Malformed("charge needs id, amount and amount_refunded")
    return ChargeState(
        charge_id=charge_id,
        customer_id=_ref(obj.get("customer")),
        payment_intent_id=_ref(obj.get("payment_intent")),
        amount=amount,
        amount_refunded=refunded,
    )


def _invoice_refs(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """(subscription id, user ref) of an Invoice, wherever its API version put them."""
    line = _dig(obj, "lines", "data", 0)
    sub_id = (
        _ref(_dig(obj, "parent", "subscription_details", "subscription"))
        or _ref(obj.get("subscription"))
        or _ref(_dig(line, "parent", "subscription_item_details", "subscription"))
        or _ref(_dig(line, "subscription"))
    )
    user_ref = _first_text(
        _dig(obj, "parent", "subscription_details", "metadata", "user_id"),
        _dig(obj, "subscription_details", "metadata", "user_id"),
        _dig(obj, "metadata", "user_id"),
        _dig(line, "metadata", "user_id"),
    )
    return sub_id, user_ref


def event_from_payload(payload: bytes) -> PaymentEvent:
    """Parse an already verified event body; BadWebhook if it is not a usable event."""
    try:
        return _event_from_dict(json.loads(payload))
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and _Malformed
        logger.warning("Rejected a Stripe webhook with a malformed body: %s", exc)
        raise BadWebhook("Malformed Stripe event.") from None


def _event_from_dict(data: Any) -> PaymentEvent:
    """Map a decoded event to PaymentEvent; _Malformed when fields are missing."""
    event_id, event_type = _dig(data, "id"), _dig(data, "type")
    created, obj = _dig(data, "created"), _dig(data, "data", "object")
    if not (_first_text(event_id) and _first_text(event_type) and isinstance(obj, dict)):
        raise _Malformed("event needs id, type, created and data.object")
    created_at = _when(created)
    if created_at is None:
        raise _Malformed("event needs created")
    subscription = None
    sub_id: str | None
    user_ref: str | None
    charge_id = None
    if event_type.startswith("charge.dispute."):  # a Dispute names the charge it disputes
        charge_id = _ref(obj.get("charge"))
    elif event_type.startswith("charge."):
        charge_id = _ref(obj.get("id"))
    if event_type.startswith("customer.subscription."):
        subscription = subscription_state(obj)
        sub_id, user_ref = subscription.subscription_id, subscription.user_ref
    elif event_type.startswith("invoice."):
        sub_id, user_ref = _invoice_refs(obj)
    else:  # checkout.session.* and any other object: Stripe's usual field names
        sub_id = _ref(obj.get("subscription"))
        user_ref = _first_text(_dig(obj, "metadata", "user_id"), obj.get("client_reference_id"))
    return PaymentEvent(
        id=event_id,
        type=event_type,
        created=created_at,
        customer_id=_ref(obj.get("customer")),
        subscription_id=sub_id,
        user_ref=user_ref,
        subscription=subscription,
        raw_object=obj,
        charge_id=charge_id,
    )


@contextmanager
def _stripe_errors(action: str) -> Iterator[None]:
    """Turn Stripe exceptions into PaymentsError without leaking keys into messages."""
    try:
        yield
    except stripe.APIConnectionError:
        logger.warning("Could not reach Stripe to %s", action)
        raise PaymentsError(N_("Could not reach Stripe. Please try again later.")) from None
    except stripe.StripeError as exc:
        # Authentication errors echo a masked key: keep their text out of the logs.
        auth = isinstance(exc, stripe.AuthenticationError | stripe.PermissionError)
        logger.warning(
            "Stripe refused to %s: %s http=%s code=%s request=%s %s",
            action,
            type(exc).__name__,
            exc.http_status,
            exc.code,
            exc.request_id,
            "" if auth else exc.user_message,
        )
        raise PaymentsError(f"Stripe refused to {action} (HTTP {exc.http_status}).") from None


class StripePayments:
    """Payments through the Stripe API (async HTTP over aiohttp)."""

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        *,
        timeout_s: float = 20.0,
        max_network_retries: int = 0,
    ) -> None:
        self._webhook_secret = webhook_secret
        self._http = stripe.AIOHTTPClient(timeout=aiohttp.ClientTimeout(total=timeout_s))
        # Retries stay off by default: a user waiting on a button is better served by a quick
        # error than by a chain of back-offs, and webhooks are retried by Stripe itself.
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=self._http,
        )

    async def create_checkout(
        self,
        *,
        user_id: int,
        customer_id: str | None,
        price_id: str,
        success_url: str,
        cancel_url: str,
    ) -> CheckoutLink:
        """Open a subscription Checkout session for this user."""
        ref = str(user_id)
        params: CheckoutParams = {
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "client_reference_id": ref,
            "metadata": {"user_id": ref},
            # Copied onto the subscription so its own events name the user too.
            "subscription_data": {"metadata": {"user_id": ref}},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_id:
            params["customer"] = customer_id
        with _stripe_errors("create a checkout session"):
            session = await self._client.v1.checkout.sessions.create_async(params)
        if not session.url:
            raise PaymentsError(N_("Stripe returned a checkout session without a URL."))
        return CheckoutLink(url=session.url, session_id=session.id)

    async def create_portal(self, *, customer_id: str, return_url: str) -> PortalLink:
        """Open a billing portal session for this customer."""
        params: PortalParams = {"customer": customer_id, "return_url": return_url}
        with _stripe_errors("create a billing portal session"):
            session = await self._client.v1.billing_portal.sessions.create_async(params)
        return PortalLink(url=session.url)

    async def get_subscription(self, subscription_id: str) -> SubscriptionState:
        """Fetch a subscription's current state."""
        with _stripe_errors("fetch a subscription"):
            sub = await self._client.v1.subscriptions.retrieve_async(subscription_id)
        try:
            return subscription_state(sub.to_dict())
        except _Malformed as exc:
            logger.warning("Stripe sent an unusable subscription %s: %s", subscription_id, exc)
            raise PaymentsError(N_("Stripe sent an unusable subscription.")) from None

    async def cancel_subscription(self, subscription_id: str) -> bool:
        """Cancel at once (no further invoices); False when Stripe has no live one of that id."""
        with _stripe_errors("cancel a subscription"):
            try:
                await self._client.v1.subscriptions.cancel_async(subscription_id)
            except stripe.InvalidRequestError as exc:
                # Stripe answers 404 for a subscription that is already canceled, or unknown.
                if exc.http_status != 404:
                    raise
                logger.info("Stripe has no live subscription %s to cancel", subscription_id)
                return False
        return True

    async def get_charge(self, charge_id: str) -> ChargeState:
        """Fetch a charge's current state (amount refunded so far, customer, payment)."""
        with _stripe_errors("fetch a charge"):
            charge = await self._client.v1.charges.retrieve_async(charge_id)
        try:
            return charge_state(charge.to_dict())
        except _Malformed as exc:
            logger.warning("Stripe sent an unusable charge %s: %s", charge_id, exc)
            raise PaymentsError(N_("Stripe sent an unusable charge.")) from None

    async def invoice_paid_by(self, payment_intent_id: str) -> str | None:
        """The invoice a payment paid (since API 2025-03-31 a charge no longer names it)."""
        with _stripe_errors("look up an invoice payment"):
            found = await self._client.v1.invoice_payments.list_async(
                {
                    "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
                    "status": "paid",
                    "limit": 1,
                }
            )
        return next((_ref(p.to_dict().get("invoice")) for p in found.data), None)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> PaymentEvent:
        """Verify the Stripe-Signature over the raw body, then parse the event."""
        if not self._webhook_secret:
            raise PaymentsNotConfigured("The Stripe webhook secret is not set.")
        if not signature_header:
            logger.warning("Rejected a Stripe webhook without a Stripe-Signature header")
            raise BadWebhook("Missing Stripe-Signature header.")
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature_header, self._webhook_secret, WEBHOOK_TOLERANCE_S
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            reason = exc.user_message if isinstance(exc, stripe.StripeError) else "not UTF-8"
            logger.warning("Rejected a Stripe webhook: %s", reason)
            raise BadWebhook("Invalid Stripe signature.") from None
        return event_from_payload(payload)

    async def aclose(self) -> None:
        """Close the HTTP session (call once at shutdown)."""
        await self._http.close_async()


class NotConfiguredPayments:
    """Stands in when Stripe has no keys: every call says payments are off."""

    _MESSAGE = N_("Payments are not configured on this server.")

    async def create_checkout(
        self,
        *,
        user_id: int,
        customer_id: str | None,
        price_id: str,
        success_url: str,
        cancel_url: str,
    ) -> CheckoutLink:
        """Refuse: no Stripe key."""
        raise PaymentsNotConfigured(self._MESSAGE)

    async def create_portal(self, *, customer_id: str, return_url: str) -> PortalLink:
        """Refuse: no Stripe key."""
        raise PaymentsNotConfigured(self._MESSAGE)

    async def get_subscription(self, subscription_id: str) -> SubscriptionState:
        """Refuse: no Stripe key."""
        raise PaymentsNotConfigured(self._MESSAGE)

    async def cancel_subscription(self, subscription_id: str) -> bool:
        """Refuse: no Stripe key."""
        raise PaymentsNotConfigured(self._MESSAGE)

    async def get_charge(self, charge_id: str) -> ChargeState:
        """Refuse: no Stripe key."""
        raise PaymentsNotConfigured(self._MESSAGE)

    async def invoice_paid_by(self, payment_intent_id: str) -> str | None:
        """Refuse: no Stripe key."""
        raise PaymentsNotConfigured(self._MESSAGE)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> PaymentEvent:
        """Refuse: without a webhook secret no event can be trusted."""
        raise PaymentsNotConfigured(self._MESSAGE)

    async def aclose(self) -> None:
        """Nothing to close."""
