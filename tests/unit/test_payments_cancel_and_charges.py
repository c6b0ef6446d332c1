"""StripePayments over real HTTP: cancelling a subscription, charges, refunds and disputes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.errors import PaymentsError, PaymentsNotConfigured
from core.gateways.payments import ChargeState, NotConfiguredPayments, StripePayments
from tests.fakes import stripe_events as ev
from tests.fakes.stripe_api import FakeStripeAPI

API_KEY = "sk_test_51SecretKeyNeverLogged0123456789"
WEBHOOK_SECRET = "whsec_NeverLoggedWebhookSecret0123456789"


@pytest.fixture
async def api() -> AsyncIterator[FakeStripeAPI]:
    async with FakeStripeAPI(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
async def payments(api: FakeStripeAPI) -> AsyncIterator[StripePayments]:
    gateway = StripePayments(API_KEY, WEBHOOK_SECRET, api.base_url)
    yield gateway
    await gateway.aclose()


def _parse(payments: StripePayments, evt: dict[str, Any]) -> Any:
    return payments.parse_webhook(*ev.signed(evt, WEBHOOK_SECRET))


async def test_cancel_subscription_at_once_then_it_is_gone(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    sub = api.add_subscription(user_id=42)
    assert await payments.cancel_subscription(sub["id"]) is True
    assert (api.requests[-1].method, api.requests[-1].path) == (
        "DELETE",
        f"/v1/subscriptions/{sub['id']}",
    )
    assert api.subscriptions[sub["id"]]["status"] == "canceled"
    assert await payments.cancel_subscription(sub["id"]) is False  # Stripe's 404 for a second
    assert await payments.cancel_subscription("sub_1Unknown") is False


async def test_cancel_subscription_on_a_server_error_is_a_payments_error(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    sub = api.add_subscription(user_id=42)
    api.fail_next(503)
    with pytest.raises(PaymentsError, match="HTTP 503"):
        await payments.cancel_subscription(sub["id"])
    assert api.subscriptions[sub["id"]]["status"] == "active"


async def test_charge_and_the_invoice_its_payment_paid(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    sub = api.add_subscription(user_id=42)
    charge = api.pay_invoice(sub["id"])
    api.refund(charge["id"], 300)

    state = await payments.get_charge(charge["id"])

    assert state == ChargeState(
        charge_id=charge["id"],
        customer_id=sub["customer"],
        payment_intent_id=charge["payment_intent"],
        amount=ev.PRO_AMOUNT,
        amount_refunded=300,
    )
    assert not state.fully_refunded
    invoice = await payments.invoice_paid_by(charge["payment_intent"])
    assert invoice is not None and invoice == api.subscriptions[sub["id"]]["latest_invoice"]
    assert api.requests[-1].params["payment"] == {
        "type": "payment_intent",
        "payment_intent": charge["payment_intent"],
    }
    assert await payments.invoice_paid_by("pi_1NotAnInvoicePayment") is None
    assert (await payments.get_subscription(sub["id"])).latest_invoice_id == invoice
    with pytest.raises(PaymentsError, match="HTTP 404"):
        await payments.get_charge("ch_1Missing")


async def test_refund_and_dispute_events_name_their_charge(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    sub = api.add_subscription(user_id=42)
    charge = api.pay_invoice(sub["id"])

    refunded = _parse(payments, api.refund(charge["id"]))
    disputed = _parse(payments, api.dispute(charge["id"]))

    assert (refunded.type, refunded.charge_id, refunded.customer_id) == (
        "charge.refunded",
        charge["id"],
        sub["customer"],
    )
    assert (disputed.type, disputed.charge_id, disputed.customer_id) == (
        "charge.dispute.created",
        charge["id"],
        None,  # a Dispute does not name the customer: the charge does
    )
    assert (await payments.get_charge(charge["id"])).fully_refunded


async def test_not_configured_payments_refuse_cancel_and_charges() -> None:
    off = NotConfiguredPayments()
    with pytest.raises(PaymentsNotConfigured):
        await off.cancel_subscription("sub_1")
    with pytest.raises(PaymentsNotConfigured):
        await off.get_charge("ch_1")
    with pytest.raises(PaymentsNotConfigured):
        await off.invoice_paid_by("pi_1")
