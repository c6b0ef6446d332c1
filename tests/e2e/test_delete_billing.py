"""/delete in the chat ends billing first: Stripe over HTTP, Telegram Stars over the Bot API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.bootstrap import Container
from core.clock import utcnow
from core.db.models import PaymentEvent as PaymentEventRow
from tests.e2e.harness import BotHarness
from tests.fakes import stripe_events as ev
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.stripe_api import FakeStripeAPI

pytestmark = pytest.mark.stripe

SECRET = ev.WEBHOOK_SECRET
STARS = 500
STRIPE_ENDS = "Your Pro subscription will be cancelled at Stripe, no further charges."
STARS_ENDS = "Your Telegram Stars subscription will be cancelled, no further renewals."


async def _user_id(c: Container) -> int:
    return (await c.services.accounts.get_or_create(u.DEFAULT_USER_ID, first_name="Alex")).id


async def _pay_by_card(c: Container, stripe_api: FakeStripeAPI, clock: FakeClock) -> str:
    """A Stripe subscription for the user, applied as its webhook would; the subscription id."""
    user_id = await _user_id(c)
    sub = stripe_api.add_subscription(user_id=user_id)
    clock.set(utcnow())  # the fake Stripe API stamps objects with the real time
    evt = ev.checkout_completed(user_id=user_id, customer=sub["customer"], subscription=sub["id"])
    event = c.services.payments.parse_webhook(*ev.signed(evt, SECRET))
    change = await c.services.billing.handle_event(event)
    assert change is not None and change.plan_code == "pro"
    return str(sub["id"])


async def _pay_stars(harness: BotHarness, c: Container, clock: FakeClock, charge: str) -> None:
    """A recurring Stars payment, as Telegram reports it in the chat."""
    user_id = await _user_id(c)
    paid = u.successful_payment_message(
        payload=f"pro:{user_id}", total_amount=STARS, charge_id=charge,
        subscription_expiration_date=int((clock() + timedelta(days=30)).timestamp()),
    )  # fmt: skip
    await harness.texts_after(paid)


async def _payment_owners(c: Container) -> list[int | None]:
    async with c.uow() as uow:
        return list(await uow.session.scalars(select(PaymentEventRow.user_id)))


async def test_delete_cancels_the_card_subscription_at_stripe_first(
    harness: BotHarness, stripe_api: FakeStripeAPI, container: Container, clock: FakeClock
) -> None:
    sub_id = await _pay_by_card(container, stripe_api, clock)
    [question] = await harness.texts_after(u.command("delete"))
    assert STRIPE_ENDS in question and STARS_ENDS not in question
    [done] = await harness.texts_after(u.callback_query("del:1"))
    assert done.startswith("All your data is deleted.") and "no further charges" in done
    cancels = [r for r in stripe_api.requests if r.method == "DELETE"]
    assert [r.path for r in cancels] == [f"/v1/subscriptions/{sub_id}"]
    assert stripe_api.subscriptions[sub_id]["status"] == "canceled"
    assert await container.services.accounts.by_chat(u.DEFAULT_USER_ID) is None
    assert await _payment_owners(container) == [None]  # kept for accounting, unlinked


async def test_stripe_down_deletes_nothing_and_says_so(
    harness: BotHarness, stripe_api: FakeStripeAPI, container: Container, clock: FakeClock
) -> None:
    sub_id = await _pay_by_card(container, stripe_api, clock)
    await harness.texts_after(u.command("delete"))
    stripe_api.fail_next(500)
    [refusal] = await harness.texts_after(u.callback_query("del:1"))
    assert refusal == (
        "I could not reach Stripe to cancel your Pro subscription, so nothing was deleted. "
        "Please try /delete again in a few minutes."
    )
    assert stripe_api.subscriptions[sub_id]["status"] == "active"
    assert await container.services.accounts.by_chat(u.DEFAULT_USER_ID) is not None
    assert (await container.services.gate.plan_for(await _user_id(container))).code == "pro"
    [done] = await harness.texts_after(u.callback_query("del:1"))  # trying again works
    assert done.startswith("All your data is deleted.")
    assert stripe_api.subscriptions[sub_id]["status"] == "canceled"


async def test_delete_cancels_the_stars_subscription(
    harness: BotHarness, bot_api: FakeBotAPI, container: Container, clock: FakeClock
) -> None:
    await _pay_stars(harness, container, clock, "stxRenews1")
    [question] = await harness.texts_after(u.command("delete"))
    assert STARS_ENDS in question and STRIPE_ENDS not in question
    bot_api.fail_next("editUserStarSubscription", 502, "Bad Gateway")
    [refusal] = await harness.texts_after(u.callback_query("del:1"))
    assert "could not reach Telegram" in refusal and "nothing was deleted" in refusal
    assert refusal.endswith("Please try /delete again in a few minutes.")
    assert await container.services.accounts.by_chat(u.DEFAULT_USER_ID) is not None

    [done] = await harness.texts_after(u.callback_query("del:1"))
    assert done.startswith("All your data is deleted.")
    edits = bot_api.calls("editUserStarSubscription")
    assert [e.status for e in edits] == [502, 200]
    assert edits[-1].params == {
        "user_id": u.DEFAULT_USER_ID,
        "telegram_payment_charge_id": "stxRenews1",
        "is_canceled": True,
    }
    assert await container.services.accounts.by_chat(u.DEFAULT_USER_ID) is None


async def test_an_ended_card_subscription_is_not_cancelled_again(
    harness: BotHarness, stripe_api: FakeStripeAPI, container: Container, clock: FakeClock
) -> None:
    sub_id = await _pay_by_card(container, stripe_api, clock)
    ended = stripe_api.subscriptions[sub_id] | {"status": "canceled"}
    stripe_api.add_subscription(ended)
    deleted = ev.event("customer.subscription.deleted", ended)
    payments = container.services.payments
    await container.services.billing.handle_event(
        payments.parse_webhook(*ev.signed(deleted, SECRET))
    )
    [question] = await harness.texts_after(u.command("delete"))
    assert "subscription" not in question
    [done] = await harness.texts_after(u.callback_query("del:1"))
    assert done == "All your data is deleted. Send /start if you want to begin again."
    assert [r for r in stripe_api.requests if r.method == "DELETE"] == []
    assert await _payment_owners(container) == [None, None]  # both kept, unlinked


async def test_refund_of_an_older_stars_charge_keeps_pro(
    harness: BotHarness, container: Container, clock: FakeClock
) -> None:
    user_id = await _user_id(container)
    await _pay_stars(harness, container, clock, "stxOld")
    clock.advance(days=30)
    await _pay_stars(harness, container, clock, "stxNew")
    refund = {
        "currency": "XTR",
        "total_amount": STARS,
        "invoice_payload": f"pro:{user_id}",
        "telegram_payment_charge_id": "stxOld",
    }
    [text] = await harness.texts_after({"message": u.message(refunded_payment=refund)})
    assert text == f"Your payment of {STARS} ⭐ was refunded."
    assert (await container.services.gate.plan_for(user_id)).code == "pro"


async def test_terms_say_what_delete_does_to_a_subscription(harness: BotHarness) -> None:
    [text] = await harness.texts_after(u.command("terms"))
    assert "/delete cancels the subscription at once" in text
    assert "records of past payments are kept for accounting" in text
