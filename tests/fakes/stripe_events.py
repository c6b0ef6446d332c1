"""Realistic Stripe objects and signed webhook events, shaped like Stripe's own payloads."""

from __future__ import annotations

import json
import secrets
import string
import time
from typing import Any, Literal

import stripe

API_VERSION = "2025-09-30.clover"
PRICE_ID = "price_1SproMonthly0000000000"
WEBHOOK_SECRET = "whsec_test_webhook_0000"  # what the e2e settings sign with
PRO_AMOUNT = 999  # cents

_ALPHABET = string.ascii_letters + string.digits

SubscriptionStatus = Literal[
    "active", "trialing", "past_due", "canceled", "unpaid", "incomplete", "incomplete_expired"
]


def new_id(prefix: str) -> str:
    """An id in Stripe's style, e.g. sub_1QxAbC..."""
    return f"{prefix}_1" + "".join(secrets.choice(_ALPHABET) for _ in range(23))


def _now() -> int:
    return int(time.time())


def _metadata(user_id: int | str | None) -> dict[str, str]:
    return {} if user_id is None else {"user_id": str(user_id)}


def subscription_object(
    *,
    id: str | None = None,
    customer: str | None = None,
    status: SubscriptionStatus = "active",
    user_id: int | str | None = None,
    price_id: str = PRICE_ID,
    current_period_start: int | None = None,
    current_period_end: int | None = None,
    cancel_at_period_end: bool = False,
    canceled_at: int | None = None,
    period_on_items: bool = True,
    latest_invoice: str | None = None,
) -> dict[str, Any]:
    """A Subscription; period_on_items=False gives the pre-2025-03-31 shape."""
    sub_id = id or new_id("sub")
    start = current_period_start or _now()
    end = current_period_end or start + 30 * 86400
    item: dict[str, Any] = {
        "id": new_id("si"),
        "object": "subscription_item",
        "created": start,
        "metadata": {},
        "price": {
            "id": price_id,
            "object": "price",
            "active": True,
            "currency": "usd",
            "unit_amount": PRO_AMOUNT,
            "recurring": {"interval": "month", "interval_count": 1},
            "type": "recurring",
        },
        "quantity": 1,
        "subscription": sub_id,
    }
    sub: dict[str, Any] = {
        "id": sub_id,
        "object": "subscription",
        "customer": customer or new_id("cus"),
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": end if cancel_at_period_end else None,
        "canceled_at": canceled_at,
        "ended_at": canceled_at if status == "canceled" else None,
        "created": start,
        "start_date": start,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "livemode": False,
        "latest_invoice": latest_invoice or new_id("in"),
        "metadata": _metadata(user_id),
        "items": {
            "object": "list",
            "data": [item],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
    }
    period = {"current_period_start": start, "current_period_end": end}
    (item if period_on_items else sub).update(period)
    return sub


def checkout_session_object(
    *,
    user_id: int | str,
    customer: str | None = None,
    subscription: str | None = None,
    status: Literal["open", "complete", "expired"] = "complete",
    success_url: str = "https://t.me/trainbot?start=paid",
    cancel_url: str = "https://t.me/trainbot?start=canceled",
) -> dict[str, Any]:
    """A Checkout Session in subscription mode."""
    session_id = "cs_test_" + "".join(secrets.choice(_ALPHABET) for _ in range(58))
    done = status == "complete"
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": status,
        "payment_status": "paid" if done else "unpaid",
        "client_reference_id": str(user_id),
        "customer": customer or (new_id("cus") if done else None),
        "subscription": subscription or (new_id("sub") if done else None),
        "metadata": _metadata(user_id),
        "amount_subtotal": PRO_AMOUNT,
        "amount_total": PRO_AMOUNT,
        "currency": "usd",
        "created": _now(),
        "expires_at": _now() + 86400,
        "livemode": False,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "url": None if done else f"https://checkout.stripe.com/c/pay/{session_id}",
    }


def invoice_object(
    *,
    customer: str,
    subscription: str,
    user_id: int | str | None = None,
    paid: bool = True,
    period_end: int | None = None,
    parent_shape: bool = True,
) -> dict[str, Any]:
    """A subscription Invoice; parent_shape=False gives the pre-2025-03-31 layout."""
    end = period_end or _now() + 30 * 86400
    start = end - 30 * 86400
    line: dict[str, Any] = {
        "id": new_id("il"),
        "object": "line_item",
        "amount": PRO_AMOUNT,
        "currency": "usd",
        "metadata": _metadata(user_id),
        "period": {"start": start, "end": end},
        "pricing": {"price_details": {"price": PRICE_ID}, "type": "price_details"},
    }
    invoice: dict[str, Any] = {
        "id": new_id("in"),
        "object": "invoice",
        "customer": customer,
        "status": "paid" if paid else "open",
        "billing_reason": "subscription_cycle",
        "amount_due": PRO_AMOUNT,
        "amount_paid": PRO_AMOUNT if paid else 0,
        "amount_remaining": 0 if paid else PRO_AMOUNT,
        "attempt_count": 1,
        "currency": "usd",
        "created": start,
        "period_start": start,
        "period_end": end,
        "livemode": False,
        "metadata": {},
        "lines": {"object": "list", "data": [line], "has_more": False},
    }
    if parent_shape:
        details = {"metadata": _metadata(user_id), "subscription": subscription}
        invoice["parent"] = {"type": "subscription_details", "subscription_details": details}
        line["parent"] = {
            "type": "subscription_item_details",
            "subscription_item_details": {"subscription": subscription, "proration": False},
        }
    else:
        invoice["subscription"] = subscription
        invoice["subscription_details"] = {"metadata": _metadata(user_id)}
        line["subscription"] = subscription
    return invoice


def charge_object(
    *,
    customer: str,
    id: str | None = None,
    payment_intent: str | None = None,
    amount: int = PRO_AMOUNT,
    amount_refunded: int = 0,
) -> dict[str, Any]:
    """A card Charge (since API 2025-03-31 it no longer names its invoice)."""
    return {
        "id": id or new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "captured": True,
        "created": _now(),
        "currency": "usd",
        "customer": customer,
        "disputed": False,
        "livemode": False,
        "metadata": {},
        "paid": True,
        "payment_intent": payment_intent or new_id("pi"),
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
    }


def dispute_object(
    *, charge: str, payment_intent: str | None = None, amount: int = PRO_AMOUNT
) -> dict[str, Any]:
    """A Dispute opened by the card holder's bank (it names the charge, not the customer)."""
    return {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": amount,
        "charge": charge,
        "created": _now(),
        "currency": "usd",
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": "needs_response",
    }


def event(
    type: str,
    obj: dict[str, Any],
    *,
    created: int | None = None,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Wrap an object in an Event envelope as Stripe delivers it."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created or _now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": new_id("req"), "idempotency_key": None},
        "type": type,
    }


def checkout_completed(
    *, user_id: int | str, customer: str | None = None, subscription: str | None = None
) -> dict[str, Any]:
    """checkout.session.completed for a paid subscription checkout."""
    session = checkout_session_object(user_id=user_id, customer=customer, subscription=subscription)
    return event("checkout.session.completed", session)


def subscription_event(
    kind: Literal["created", "updated", "deleted"], **fields: Any
) -> dict[str, Any]:
    """customer.subscription.<kind>; fields go to subscription_object."""
    if kind == "deleted":
        fields.setdefault("status", "canceled")
        fields.setdefault("canceled_at", _now())
    previous = {"status": "active"} if kind == "updated" else None
    return event(
        f"customer.subscription.{kind}",
        subscription_object(**fields),
        previous_attributes=previous,
    )


def invoice_event(kind: Literal["paid", "payment_failed"], **fields: Any) -> dict[str, Any]:
    """invoice.paid or invoice.payment_failed; fields go to invoice_object."""
    fields.setdefault("paid", kind == "paid")
    return event(f"invoice.{kind}", invoice_object(**fields))


def encode(evt: dict[str, Any]) -> bytes:
    """The body bytes as Stripe sends them."""
    return json.dumps(evt, indent=2).encode()


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """A Stripe-Signature header (t=...,v1=...) for this body and secret."""
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=timestamp
    )


def signed(evt: dict[str, Any], secret: str) -> tuple[bytes, str]:
    """(body, Stripe-Signature header) ready to POST to a webhook endpoint."""
    body = encode(evt)
    return body, sign(body, secret)
