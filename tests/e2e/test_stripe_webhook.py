"""POST /stripe/webhook over HTTP: signed Stripe events change the plan once, and say so."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.delivery.notifier import Notifier
from bot.runtime.telegram import make_bot
from bot.web.stripe_webhook import STRIPE_WEBHOOK_PATH
from core.bootstrap import Container, build
from core.config import Settings
from core.db.models import PaymentEvent as PaymentEventRow
from core.gateways.cipher import Cipher, new_key
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


async def post(client: Client, body: bytes, signature: str | None) -> aiohttp.ClientResponse:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post(STRIPE_WEBHOOK_PATH, data=body, headers=headers)


async def deliver(client: Client, evt: dict[str, Any], secret: str = SECRET) -> int:
    """POST a signed event, then deliver what it queued as the worker's next tick would."""
    resp = await post(client, *ev.signed(evt, secret))
    app = client.app
    await Notifier(app.state.bot, app.state.container.services.pushes, rate_per_s=50).flush()
    return resp.status


async def _user_id(c: Container) -> int:
    return (await c.services.accounts.get_or_create(u.DEFAULT_USER_ID, first_name="Alex")).id


async def _plan(c: Container, user_id: int) -> str:
    return (await c.services.gate.plan_for(user_id)).code


async def _events(c: Container) -> int:
    async with c.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(PaymentEventRow)) or 0)


def _checkout(stripe_api: FakeStripeAPI, user_id: int, **sub: Any) -> dict[str, Any]:
    """checkout.session.completed for a subscription the fake Stripe serves."""
    obj = stripe_api.add_subscription(user_id=user_id, **sub)
    return ev.checkout_completed(user_id=user_id, customer=obj["customer"], subscription=obj["id"])


async def test_a_signed_checkout_makes_pro_and_tells_the_user_once(
    client: Client, container: Container, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI
) -> None:
    user_id = await _user_id(container)
    evt = _checkout(stripe_api, user_id)
    assert await deliver(client, evt) == 200
    assert await _plan(container, user_id) == "pro"
    [text] = bot_api.sent_texts(u.DEFAULT_USER_ID)
    assert text.startswith("🎉 Welcome to Pro until")
    # Stripe delivers at least once: the same event again is acknowledged and changes nothing.
    assert await deliver(client, evt) == 200
    assert await _events(container) == 1
    assert len(bot_api.sent_texts(u.DEFAULT_USER_ID)) == 1


async def test_bad_or_missing_signature_is_refused_and_nothing_is_written(
    client: Client, container: Container, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI
) -> None:
    user_id = await _user_id(container)
    body, _ = ev.signed(_checkout(stripe_api, user_id), SECRET)
    forged = ev.sign(body, "whsec_someone_else")
    tampered = ev.sign(body.replace(b'"livemode": false', b'"livemode": true'), SECRET)
    for signature in (forged, tampered, None, "", "t=1,v1=abc"):
        resp = await post(client, body, signature)
        assert resp.status == 400, signature
    old = ev.sign(body, SECRET, timestamp=int(time.time()) - 3600)
    assert (await post(client, body, old)).status == 400  # replayed outside the tolerance
    assert await _events(container) == 0
    assert await _plan(container, user_id) == "free"
    assert [r for r in stripe_api.requests if r.path.startswith("/v1/subscriptions")] == []
    assert bot_api.sent_texts(u.DEFAULT_USER_ID) == []


async def test_malformed_event_with_a_valid_signature_is_refused(
    client: Client, container: Container
) -> None:
    for body in (b"{not json", b"[]", json.dumps({"id": "evt_1", "type": "x"}).encode()):
        assert (await post(client, body, ev.sign(body, SECRET))).status == 400
    assert await _events(container) == 0


async def test_unknown_event_types_are_acknowledged_and_ignored(
    client: Client, container: Container, bot_api: FakeBotAPI
) -> None:
    evt = ev.event("customer.created", {"id": ev.new_id("cus"), "object": "customer"})
    assert await deliver(client, evt) == 200
    assert await _events(container) == 0
    assert bot_api.sent_texts() == []


async def test_stripe_unreachable_answers_503_so_the_event_is_retried(
    client: Client, container: Container, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI
) -> None:
    user_id = await _user_id(container)
    evt = _checkout(stripe_api, user_id)
    stripe_api.fail_next(500)
    assert await deliver(client, evt) == 503
    assert await _events(container) == 0 and await _plan(container, user_id) == "free"
    assert await deliver(client, evt) == 200  # Stripe's retry
    assert await _plan(container, user_id) == "pro"
    assert len(bot_api.sent_texts(u.DEFAULT_USER_ID)) == 1


async def test_failed_payment_recovery_and_cancellation_each_get_a_message(
    client: Client, container: Container, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI
) -> None:
    user_id = await _user_id(container)
    evt = _checkout(stripe_api, user_id)
    sub_id = evt["data"]["object"]["subscription"]
    sub = stripe_api.subscriptions[sub_id]
    assert await deliver(client, evt) == 200

    def invoice(kind: Literal["paid", "payment_failed"], status: str) -> dict[str, Any]:
        stripe_api.subscriptions[sub_id] = {**sub, "status": status}
        return ev.invoice_event(kind, customer=sub["customer"], subscription=sub_id)

    assert await deliver(client, invoice("payment_failed", "past_due")) == 200
    assert await deliver(client, invoice("paid", "active")) == 200
    stripe_api.subscriptions[sub_id] = {**sub, "status": "canceled"}
    deleted = ev.event("customer.subscription.deleted", stripe_api.subscriptions[sub_id])
    assert await deliver(client, deleted) == 200
    texts = bot_api.sent_texts(u.DEFAULT_USER_ID)
    assert [t.split()[0] for t in texts] == ["🎉", "⚠️", "✅", "Your"]
    assert "payment failed" in texts[1] and "/billing" in texts[1]
    assert "Free plan" in texts[3]
    assert await _plan(container, user_id) == "free"


async def test_telegram_being_down_never_fails_the_webhook(
    client: Client, container: Container, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI
) -> None:
    user_id = await _user_id(container)
    bot_api.block_chat(u.DEFAULT_USER_ID)
    evt = _checkout(stripe_api, user_id)
    assert await deliver(client, evt) == 200
    assert await _plan(container, user_id) == "pro"
    assert [r.status for r in bot_api.calls("sendMessage")] == [403]
    assert await container.services.pushes.status(f"billing:{evt['id']}") == "blocked"


async def test_without_a_webhook_secret_the_route_answers_503(
    settings: Settings, clock: FakeClock, bot_api: FakeBotAPI
) -> None:
    bare = settings.model_copy(update={"stripe_webhook_secret": None})
    container = build(bare, clock=clock, cipher=Cipher([bare.credentials_keys or new_key()]))
    try:
        async with serving_web(container, bot_api) as client:
            body = ev.encode(ev.event("invoice.paid", {"id": "in_1"}))
            assert (await post(client, body, ev.sign(body, SECRET))).status == 503
    finally:
        await container.close()


async def test_the_message_waits_in_the_outbox_once_until_the_worker_sends_it(
    client: Client, container: Container, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI
) -> None:
    pushes = container.services.pushes
    user_id = await _user_id(container)
    evt = _checkout(stripe_api, user_id)
    for _ in range(2):
        assert (await post(client, *ev.signed(evt, SECRET))).status == 200
    assert bot_api.sent_texts(u.DEFAULT_USER_ID) == []  # the worker delivers, under the limits
    assert await pushes.counts() == {"pending": 1}
    async with container.uow() as uow:
        stored = await uow.pushes.by_key(f"billing:{evt['id']}")
    assert stored is not None and set(stored.payload) == {"data"}  # the change, worded when sent
    assert (stored.kind, stored.payload["data"]["kind"]) == ("billing", "upgraded")
    bot = make_bot(container.settings, token=bot_api.token)
    try:
        await Notifier(bot, pushes, rate_per_s=20).flush()
    finally:
        await bot.session.close()
    [text] = bot_api.sent_texts(u.DEFAULT_USER_ID)
    assert text.startswith("🎉 Welcome to Pro until")
    assert await pushes.status(f"billing:{evt['id']}") == "sent"
