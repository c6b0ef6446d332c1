"""POST /stripe/webhook over HTTP: refunds and disputes of card payments end Pro, and say so."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.delivery.notifier import Notifier
from bot.web.stripe_webhook import STRIPE_WEBHOOK_PATH
from core.bootstrap import Container
from core.clock import utcnow
from tests.e2e.harness import WebClient, serving_web
from tests.fakes import stripe_events as ev
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.stripe_api import FakeStripeAPI

pytestmark = pytest.mark.stripe

SECRET = ev.WEBHOOK_SECRET
Client = WebClient


@pytest.fixture
async def client(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[Client]:
    async with serving_web(container, bot_api) as c:
        yield c


async def _deliver(client: Client, evt: dict[str, Any]) -> int:
    """POST a signed event, then send what it queued as the worker's next tick would."""
    body, signature = ev.signed(evt, SECRET)
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    resp = await client.post(STRIPE_WEBHOOK_PATH, data=body, headers=headers)
    app = client.app
    await Notifier(app.state.bot, app.state.container.services.pushes, rate_per_s=50).flush()
    return resp.status


async def _card_subscriber(
    client: Client, container: Container, stripe_api: FakeStripeAPI, clock: FakeClock
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """(user id, subscription, the charge that paid its current period), Pro applied."""
    clock.set(utcnow())  # the fake Stripe API stamps objects with the real time
    user_id = (await container.services.accounts.get_or_create(u.DEFAULT_USER_ID)).id
    sub = stripe_api.add_subscription(user_id=user_id)
    charge = stripe_api.pay_invoice(sub["id"])
    evt = ev.checkout_completed(user_id=user_id, customer=sub["customer"], subscription=sub["id"])
    assert await _deliver(client, evt) == 200
    assert (await container.services.gate.plan_for(user_id)).code == "pro"
    return user_id, sub, charge


async def test_full_refund_of_the_current_payment_ends_pro_and_tells_the_user(
    client: Client,
    container: Container,
    bot_api: FakeBotAPI,
    stripe_api: FakeStripeAPI,
    clock: FakeClock,
) -> None:
    user_id, _, charge = await _card_subscriber(client, container, stripe_api, clock)
    assert await _deliver(client, stripe_api.refund(charge["id"], 100)) == 200
    assert (await container.services.gate.plan_for(user_id)).code == "pro"  # partial: Pro stays
    full = stripe_api.refund(charge["id"])
    assert await _deliver(client, full) == 200
    assert await _deliver(client, full) == 200  # Stripe's redelivery changes and says nothing
    assert (await container.services.gate.plan_for(user_id)).code == "free"
    texts = bot_api.sent_texts(u.DEFAULT_USER_ID)
    assert len(texts) == 2 and texts[0].startswith("🎉 Welcome to Pro")
    assert "Free plan" in texts[1]
    paths = [r.path for r in stripe_api.requests if r.method == "GET"]
    assert f"/v1/charges/{charge['id']}" in paths and "/v1/invoice_payments" in paths


async def test_refund_of_an_older_payment_keeps_pro(
    client: Client,
    container: Container,
    bot_api: FakeBotAPI,
    stripe_api: FakeStripeAPI,
    clock: FakeClock,
) -> None:
    user_id, sub, old = await _card_subscriber(client, container, stripe_api, clock)
    stripe_api.pay_invoice(sub["id"])  # the next period's invoice is the latest now
    refund = stripe_api.refund(old["id"])
    assert await _deliver(client, refund) == 200
    assert (await container.services.gate.plan_for(user_id)).code == "pro"
    assert len(bot_api.sent_texts(u.DEFAULT_USER_ID)) == 1
    async with container.uow() as uow:  # examined and recorded, so a redelivery is cheap
        assert await uow.billing.event_seen(refund["id"])


async def test_a_dispute_ends_pro_at_once_and_is_logged_for_the_operator(
    client: Client,
    container: Container,
    bot_api: FakeBotAPI,
    stripe_api: FakeStripeAPI,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user_id, _, charge = await _card_subscriber(client, container, stripe_api, clock)
    with caplog.at_level(logging.WARNING):
        assert await _deliver(client, stripe_api.dispute(charge["id"])) == 200
    assert (await container.services.gate.plan_for(user_id)).code == "free"
    assert "Free plan" in bot_api.sent_texts(u.DEFAULT_USER_ID)[-1]
    status = await container.services.billing.status(user_id)
    assert (status.plan_code, status.status) == ("free", "disputed")
    assert any("dispute" in r.getMessage() and charge["id"] in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)  # fmt: skip


async def test_stripe_down_while_checking_a_refund_answers_503_so_it_is_retried(
    client: Client,
    container: Container,
    stripe_api: FakeStripeAPI,
    clock: FakeClock,
) -> None:
    user_id, _, charge = await _card_subscriber(client, container, stripe_api, clock)
    full = stripe_api.refund(charge["id"])
    stripe_api.fail_next(500)
    assert await _deliver(client, full) == 503
    assert (await container.services.gate.plan_for(user_id)).code == "pro"
    assert await _deliver(client, full) == 200
    assert (await container.services.gate.plan_for(user_id)).code == "free"
