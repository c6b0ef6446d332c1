"""StripePayments against a fake Stripe API over real HTTP, and webhook verification."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.errors import BadWebhook, PaymentsError, PaymentsNotConfigured
from core.gateways.payments import (
    CheckoutLink,
    NotConfiguredPayments,
    PaymentEvent,
    PortalLink,
    StripePayments,
)
from tests.fakes import stripe_events as ev
from tests.fakes.stripe_api import FakeStripeAPI, parse_form

API_KEY = "sk_test_51SecretKeyNeverLogged0123456789"
WEBHOOK_SECRET = "whsec_NeverLoggedWebhookSecret0123456789"
PRICE = "price_1SproMonthly0000000000"


@pytest.fixture
async def api() -> AsyncIterator[FakeStripeAPI]:
    async with FakeStripeAPI(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
async def payments(api: FakeStripeAPI) -> AsyncIterator[StripePayments]:
    gateway = StripePayments(API_KEY, WEBHOOK_SECRET, api.base_url)
    yield gateway
    await gateway.aclose()


async def _checkout(payments: StripePayments, customer_id: str | None = None) -> CheckoutLink:
    return await payments.create_checkout(
        user_id=42,
        customer_id=customer_id,
        price_id=PRICE,
        success_url="https://t.me/trainbot?start=paid",
        cancel_url="https://t.me/trainbot?start=canceled",
    )


def _parse(payments: StripePayments, evt: dict[str, Any]) -> PaymentEvent:
    body, header = ev.signed(evt, WEBHOOK_SECRET)
    return payments.parse_webhook(body, header)


# --- API calls -----------------------------------------------------------------------------


async def test_checkout_sends_subscription_parameters(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    link = await _checkout(payments)

    [request] = api.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.params == {
        "mode": "subscription",
        "line_items": [{"price": PRICE, "quantity": "1"}],
        "client_reference_id": "42",
        "metadata": {"user_id": "42"},
        "subscription_data": {"metadata": {"user_id": "42"}},
        "success_url": "https://t.me/trainbot?start=paid",
        "cancel_url": "https://t.me/trainbot?start=canceled",
    }
    assert link.session_id in api.checkout_sessions
    assert link.session_id.startswith("cs_test_")
    assert link.url == f"https://checkout.stripe.com/c/pay/{link.session_id}"


async def test_checkout_reuses_a_known_customer(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    await _checkout(payments, customer_id="cus_1Known")

    assert api.requests[0].params["customer"] == "cus_1Known"


async def test_portal_sends_customer_and_return_url(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    link = await payments.create_portal(customer_id="cus_1Known", return_url="https://t.me/x")

    [request] = api.requests
    assert request.path == "/v1/billing_portal/sessions"
    assert request.params == {"customer": "cus_1Known", "return_url": "https://t.me/x"}
    assert link == PortalLink(url=api.portal_sessions[0]["url"])
    assert link.url.startswith("https://billing.stripe.com/p/session/")


@pytest.mark.parametrize("period_on_items", [True, False], ids=["items-period", "legacy-period"])
async def test_get_subscription_maps_fields(
    api: FakeStripeAPI, payments: StripePayments, period_on_items: bool
) -> None:
    api.add_subscription(
        id="sub_1Abc",
        customer="cus_1Abc",
        status="past_due",
        user_id=42,
        current_period_end=1_767_225_600,
        cancel_at_period_end=True,
        canceled_at=1_765_000_000,
        period_on_items=period_on_items,
    )

    state = await payments.get_subscription("sub_1Abc")

    assert api.requests[0].path == "/v1/subscriptions/sub_1Abc"
    assert state.subscription_id == "sub_1Abc"
    assert state.customer_id == "cus_1Abc"
    assert state.status == "past_due"
    assert state.current_period_end == datetime(2026, 1, 1, tzinfo=UTC)
    assert state.cancel_at_period_end is True
    assert state.canceled_at == datetime.fromtimestamp(1_765_000_000, tz=UTC)
    assert state.user_ref == "42"
    assert state.price_id == PRICE


async def test_unknown_subscription_is_a_payments_error(payments: StripePayments) -> None:
    with pytest.raises(PaymentsError, match="HTTP 404"):
        await payments.get_subscription("sub_1Missing")


async def test_server_error_is_a_payments_error_without_retry(
    api: FakeStripeAPI, payments: StripePayments
) -> None:
    api.fail_next(500)

    with pytest.raises(PaymentsError, match="HTTP 500"):
        await _checkout(payments)
    assert len(api.requests) == 1


async def test_wrong_api_key_is_a_payments_error(api: FakeStripeAPI) -> None:
    gateway = StripePayments("sk_test_wrong_key_123456", WEBHOOK_SECRET, api.base_url)
    try:
        with pytest.raises(PaymentsError, match="HTTP 401"):
            await gateway.create_portal(customer_id="cus_1", return_url="https://t.me/x")
    finally:
        await gateway.aclose()


async def test_unreachable_stripe_is_a_payments_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = StripePayments(API_KEY, WEBHOOK_SECRET, f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(PaymentsError, match="Could not reach Stripe"):
            await _checkout(gateway)
    finally:
        await gateway.aclose()


async def test_completed_checkout_round_trip(api: FakeStripeAPI, payments: StripePayments) -> None:
    link = await _checkout(payments)

    event = _parse(payments, api.complete_checkout(link.session_id))
    state = await payments.get_subscription(event.subscription_id or "")

    assert event.type == "checkout.session.completed"
    assert event.user_ref == "42"
    assert state.customer_id == event.customer_id
    assert state.user_ref == "42"  # subscription_data.metadata reached the subscription


# --- webhooks: the events we handle -----------------------------------------------------------


def test_checkout_completed_event(payments: StripePayments) -> None:
    evt = ev.checkout_completed(user_id=7, customer="cus_1A", subscription="sub_1A")

    event = _parse(payments, evt)

    assert event.id == evt["id"] and event.id.startswith("evt_")
    assert event.type == "checkout.session.completed"
    assert event.created == datetime.fromtimestamp(evt["created"], tz=UTC)
    assert (event.customer_id, event.subscription_id, event.user_ref) == ("cus_1A", "sub_1A", "7")
    assert event.subscription is None
    assert event.raw_object["object"] == "checkout.session"


def test_checkout_completed_falls_back_to_client_reference_id(payments: StripePayments) -> None:
    evt = ev.checkout_completed(user_id=7)
    evt["data"]["object"]["metadata"] = {}

    assert _parse(payments, evt).user_ref == "7"


@pytest.mark.parametrize("kind", ["created", "updated", "deleted"])
@pytest.mark.parametrize(
    "status", ["active", "trialing", "past_due", "canceled", "unpaid", "incomplete_expired"]
)
@pytest.mark.parametrize("period_on_items", [True, False], ids=["items-period", "legacy-period"])
def test_subscription_events(
    payments: StripePayments, kind: Any, status: Any, period_on_items: bool
) -> None:
    evt = ev.subscription_event(
        kind,
        id="sub_1B",
        customer="cus_1B",
        status=status,
        user_id=9,
        current_period_end=1_767_225_600,
        cancel_at_period_end=kind == "updated",
        period_on_items=period_on_items,
    )

    event = _parse(payments, evt)

    assert event.type == f"customer.subscription.{kind}"
    assert (event.customer_id, event.subscription_id, event.user_ref) == ("cus_1B", "sub_1B", "9")
    sub = event.subscription
    assert sub is not None
    assert (sub.subscription_id, sub.customer_id, sub.status) == ("sub_1B", "cus_1B", status)
    assert sub.current_period_end == datetime(2026, 1, 1, tzinfo=UTC)
    assert sub.cancel_at_period_end is (kind == "updated")
    assert (sub.canceled_at is not None) is (kind == "deleted")


@pytest.mark.parametrize("kind", ["paid", "payment_failed"])
@pytest.mark.parametrize("parent_shape", [True, False], ids=["parent", "legacy"])
def test_invoice_events(payments: StripePayments, kind: Any, parent_shape: bool) -> None:
    evt = ev.invoice_event(
        kind, customer="cus_1C", subscription="sub_1C", user_id=11, parent_shape=parent_shape
    )

    event = _parse(payments, evt)

    assert event.type == f"invoice.{kind}"
    assert (event.customer_id, event.subscription_id, event.user_ref) == ("cus_1C", "sub_1C", "11")
    assert event.subscription is None
    assert event.raw_object["status"] == ("paid" if kind == "paid" else "open")


def test_unhandled_event_type_still_parses(payments: StripePayments) -> None:
    evt = ev.event("customer.created", {"id": "cus_1D", "object": "customer"})

    event = _parse(payments, evt)

    assert (event.type, event.customer_id, event.subscription_id) == (
        "customer.created",
        None,
        None,
    )


# --- webhooks: what we reject -----------------------------------------------------------------


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature_is_rejected(payments: StripePayments, header: str | None) -> None:
    body = ev.encode(ev.checkout_completed(user_id=1))

    with pytest.raises(BadWebhook, match="Missing Stripe-Signature"):
        payments.parse_webhook(body, header)


def test_wrong_secret_is_rejected(payments: StripePayments) -> None:
    body = ev.encode(ev.checkout_completed(user_id=1))

    with pytest.raises(BadWebhook, match="Invalid Stripe signature"):
        payments.parse_webhook(body, ev.sign(body, "whsec_someone_else"))


def test_tampered_body_is_rejected(payments: StripePayments) -> None:
    body = ev.encode(ev.checkout_completed(user_id=1))
    header = ev.sign(body, WEBHOOK_SECRET)

    with pytest.raises(BadWebhook, match="Invalid Stripe signature"):
        payments.parse_webhook(body.replace(b'"1"', b'"2"'), header)


def test_old_timestamp_is_rejected(payments: StripePayments) -> None:
    body = ev.encode(ev.checkout_completed(user_id=1))
    header = ev.sign(body, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)

    with pytest.raises(BadWebhook, match="Invalid Stripe signature"):
        payments.parse_webhook(body, header)


@pytest.mark.parametrize("header", ["nonsense", "t=abc,v1=00", "t=1700000000"])
def test_garbled_header_is_rejected(payments: StripePayments, header: str) -> None:
    with pytest.raises(BadWebhook, match="Invalid Stripe signature"):
        payments.parse_webhook(b"{}", header)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        json.dumps({"id": "evt_1", "type": "invoice.paid", "created": 1}).encode(),
        json.dumps(ev.event("invoice.paid", {}) | {"created": "yesterday"}).encode(),
        json.dumps(ev.subscription_event("updated") | {"id": ""}).encode(),
    ],
    ids=["not-json", "not-object", "no-data", "bad-created", "empty-id"],
)
def test_signed_but_malformed_event_is_rejected(payments: StripePayments, body: bytes) -> None:
    with pytest.raises(BadWebhook, match="Malformed Stripe event"):
        payments.parse_webhook(body, ev.sign(body, WEBHOOK_SECRET))


def test_subscription_event_without_status_is_rejected(payments: StripePayments) -> None:
    evt = ev.subscription_event("updated")
    del evt["data"]["object"]["status"]

    with pytest.raises(BadWebhook, match="Malformed Stripe event"):
        _parse(payments, evt)


def test_webhook_without_secret_is_not_configured() -> None:
    gateway = StripePayments(API_KEY, "", None)
    body = ev.encode(ev.checkout_completed(user_id=1))

    with pytest.raises(PaymentsNotConfigured):
        gateway.parse_webhook(body, ev.sign(body, "whsec_x"))


# --- secrets and the unconfigured stand-in ----------------------------------------------------


async def test_secrets_never_reach_the_logs(
    api: FakeStripeAPI, payments: StripePayments, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _checkout(payments)
    api.fail_next(500)
    with pytest.raises(PaymentsError):
        await payments.get_subscription("sub_1X")
    with pytest.raises(PaymentsError):
        await payments.get_subscription("sub_1Missing")
    wrong = StripePayments(API_KEY[:-1] + "X", WEBHOOK_SECRET, api.base_url)
    with pytest.raises(PaymentsError):
        await _checkout(wrong)
    await wrong.aclose()
    body = ev.encode(ev.checkout_completed(user_id=1))
    rejected = [
        (body, None),
        (body, ev.sign(body, "whsec_other")),
        (b"[]", ev.sign(b"[]", WEBHOOK_SECRET)),
    ]
    for payload, header in rejected:
        with pytest.raises(BadWebhook):
            payments.parse_webhook(payload, header)

    assert caplog.records, "the gateway should log what it rejects"
    assert API_KEY not in caplog.text
    assert API_KEY[8:-4] not in caplog.text
    assert WEBHOOK_SECRET not in caplog.text


async def test_not_configured_payments_refuse_every_call() -> None:
    off = NotConfiguredPayments()

    with pytest.raises(PaymentsNotConfigured):
        await off.create_checkout(
            user_id=1, customer_id=None, price_id=PRICE, success_url="a", cancel_url="b"
        )
    with pytest.raises(PaymentsNotConfigured):
        await off.create_portal(customer_id="cus_1", return_url="a")
    with pytest.raises(PaymentsNotConfigured):
        await off.get_subscription("sub_1")
    with pytest.raises(PaymentsNotConfigured):
        off.parse_webhook(b"{}", "t=1,v1=00")


def test_fake_parses_stripe_form_encoding() -> None:
    pairs = [
        ("line_items[0][price]", "price_1"),
        ("line_items[1][price]", "price_2"),
        ("metadata[user_id]", "5"),
        ("expand[]", "customer"),
        ("mode", "subscription"),
    ]

    assert parse_form(pairs) == {
        "line_items": [{"price": "price_1"}, {"price": "price_2"}],
        "metadata": {"user_id": "5"},
        "expand": ["customer"],
        "mode": "subscription",
    }
