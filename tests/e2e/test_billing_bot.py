"""Paying for Pro in the chat: /upgrade, Telegram Stars checkout, /billing, /terms, /paysupport."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from core.bootstrap import Container
from core.db.models import SubscriptionPlan
from core.errors import LimitReached
from core.limits.feature_gate import Feature
from tests.e2e.harness import BotHarness
from tests.fakes import stripe_events as ev
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.fakes.stripe_api import FakeStripeAPI

ADMIN_CHAT = 424242
pytestmark = pytest.mark.stripe

SECRET = ev.WEBHOOK_SECRET
STARS = 500
MONTH_S = 30 * 86400


async def _user_id(c: Container) -> int:
    return (await c.services.accounts.get_or_create(u.DEFAULT_USER_ID, first_name="Alex")).id


def _buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    assert markup is not None
    return [b for row in markup["inline_keyboard"] for b in row]


async def _pay_by_card(c: Container, stripe_api: FakeStripeAPI, user_id: int, **sub: Any) -> str:
    """A Stripe subscription for the user, applied as its webhook would; the customer id."""
    obj = stripe_api.add_subscription(user_id=user_id, **sub)
    billing, payments = c.services.billing, c.services.payments
    evt = ev.checkout_completed(user_id=user_id, customer=obj["customer"], subscription=obj["id"])
    body, signature = ev.signed(evt, SECRET)
    await billing.handle_event(payments.parse_webhook(body, signature))
    return str(obj["customer"])


async def test_upgrade_offers_card_checkout_and_stars_invoice(
    harness: BotHarness, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI, container: Container
) -> None:
    user_id = await _user_id(container)
    [text] = await harness.texts_after(u.command("upgrade"))
    assert "Pro" in text and "9.99" in text and f"{STARS} ⭐" in text
    assert "AI chat messages: 10 / day → <b>unlimited</b>" in text  # read from the Free plan row
    checkout = [r for r in stripe_api.requests if r.path == "/v1/checkout/sessions"]
    assert len(checkout) == 1
    params = checkout[0].params
    assert params["mode"] == "subscription"
    assert params["line_items"] == [{"price": ev.PRICE_ID, "quantity": "1"}]
    assert params["client_reference_id"] == str(user_id)
    assert params["success_url"] == f"https://t.me/{bot_api.bot_username}?start=paid"
    [invoice] = bot_api.calls("createInvoiceLink")
    assert invoice.params["currency"] == "XTR"
    assert invoice.params["subscription_period"] == MONTH_S
    assert invoice.params["payload"] == f"pro:{user_id}"
    assert [p["amount"] for p in invoice.params["prices"]] == [STARS]
    card, stars = _buttons(harness.last_markup())
    session = next(iter(stripe_api.checkout_sessions.values()))
    assert card["url"] == session["url"]
    assert stars["url"] == invoice.result and stars["url"] in bot_api.invoice_links


async def test_upgrade_button_still_sells_stars_when_stripe_is_down(
    harness: BotHarness, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI
) -> None:
    stripe_api.fail_next(500)
    [text] = await harness.texts_after(u.callback_query("upg:limit"))
    assert "Card payment is not available" in text
    [stars] = _buttons(harness.last_markup())
    assert stars["url"] in bot_api.invoice_links
    assert len(bot_api.calls("answerCallbackQuery")) == 1


async def test_pre_checkout_accepts_only_our_current_invoice(
    harness: BotHarness, bot_api: FakeBotAPI, container: Container
) -> None:
    user_id = await _user_id(container)
    cases = [
        (f"pro:{user_id}", STARS, True),
        (f"pro:{user_id + 1}", STARS, False),  # forged: another account's payload
        ("pro:abc", STARS, False),
        (f"pro:{user_id}", STARS - 1, False),  # an old price
    ]
    for n, (payload, amount, _) in enumerate(cases, start=1):
        harness.feed(u.pre_checkout_query(payload=payload, total_amount=amount))
        await bot_api.wait_for("answerPreCheckoutQuery", count=n)
    answers = bot_api.calls("answerPreCheckoutQuery")
    assert [a.params["ok"] for a in answers] == [ok for *_, ok in cases]
    assert "error_message" not in answers[0].params
    assert all(a.params["error_message"] for a in answers[1:])
    assert "another account" in answers[1].params["error_message"]


async def test_stars_payment_makes_pro_and_lifts_a_reached_limit(
    harness: BotHarness, bot_api: FakeBotAPI, container: Container, clock: FakeClock
) -> None:
    user_id = await _user_id(container)
    gate = container.services.gate
    for _ in range(10):
        await gate.check_and_increment(user_id, Feature.AI_CHAT)
    with pytest.raises(LimitReached):
        await gate.check_and_increment(user_id, Feature.AI_CHAT)
    expires = clock() + timedelta(days=30)
    paid = u.successful_payment_message(
        payload=f"pro:{user_id}", total_amount=STARS, charge_id="stxCharge1",
        subscription_expiration_date=int(expires.timestamp()),
    )  # fmt: skip
    [text] = await harness.texts_after(paid)
    assert text.startswith("🎉 Welcome to Pro until") and f"{expires:%d %b %Y}" in text
    assert (await gate.plan_for(user_id)).code == "pro"
    assert (await gate.check_and_increment(user_id, Feature.AI_CHAT)).limit is None
    # Telegram repeating the same payment changes nothing and says so plainly.
    [again] = await harness.texts_after(paid)
    assert again == f"Pro is active until {expires:%d %b %Y}."
    [status] = await harness.texts_after(u.command("billing"))
    assert "Plan: Pro" in status and "Telegram Stars" in status
    assert f"Renews on {expires:%d %b %Y}" in status and "My Stars" in status
    assert harness.last_markup() is None  # no Stripe portal for a Stars subscriber
    [refusal] = await harness.texts_after(u.command("upgrade"))
    assert refusal.startswith("You already have Pro until")
    assert bot_api.calls("createInvoiceLink") == []


async def test_refunded_stars_payment_ends_pro(
    harness: BotHarness, container: Container, clock: FakeClock
) -> None:
    user_id = await _user_id(container)
    expires = int((clock() + timedelta(days=30)).timestamp())
    paid = u.successful_payment_message(
        payload=f"pro:{user_id}", total_amount=STARS, charge_id="stxCharge2",
        subscription_expiration_date=expires,
    )  # fmt: skip
    await harness.texts_after(paid)
    refund = {
        "currency": "XTR",
        "total_amount": STARS,
        "invoice_payload": f"pro:{user_id}",
        "telegram_payment_charge_id": "stxCharge2",
    }
    [text] = await harness.texts_after({"message": u.message(refunded_payment=refund)})
    assert text.startswith(f"Your payment of {STARS} ⭐ was refunded. Pro has ended")
    assert (await container.services.gate.plan_for(user_id)).code == "free"


async def test_billing_gives_card_subscribers_the_portal(
    harness: BotHarness, stripe_api: FakeStripeAPI, container: Container
) -> None:
    user_id = await _user_id(container)
    [free] = await harness.texts_after(u.command("billing"))
    assert "Plan: Free" in free and "/upgrade" in free
    customer = await _pay_by_card(container, stripe_api, user_id)
    [text] = await harness.texts_after(u.command("billing"))
    assert "Plan: Pro" in text and "card (Stripe)" in text and "Renews on" in text
    [portal] = _buttons(harness.last_markup())
    assert portal["url"] == stripe_api.portal_sessions[-1]["url"]
    assert stripe_api.portal_sessions[-1]["customer"] == customer


async def test_billing_explains_the_grace_period_of_a_failed_payment(
    harness: BotHarness, stripe_api: FakeStripeAPI, container: Container, clock: FakeClock
) -> None:
    user_id = await _user_id(container)
    await _pay_by_card(container, stripe_api, user_id, status="past_due")
    [text] = await harness.texts_after(u.command("billing"))
    grace = clock() + timedelta(days=container.settings.past_due_grace_days)
    assert "last payment failed" in text and f"until {grace:%d %b %Y}" in text
    assert len(_buttons(harness.last_markup())) == 1  # update the card in the portal
    assert (await container.services.gate.plan_for(user_id)).code == "pro"


async def test_terms_state_price_renewal_cancellation_and_refunds(harness: BotHarness) -> None:
    [text] = await harness.texts_after(u.command("terms"))
    for words in ("$9.99/month", f"{STARS} ⭐", "renews automatically", "Cancel any time",
                  "/billing", "Refunds", "/paysupport"):  # fmt: skip
        assert words in text


async def test_paysupport_reaches_the_admin_chat(
    harness: BotHarness, bot_api: FakeBotAPI, container: Container
) -> None:
    [usage] = await harness.texts_after(u.command("paysupport"))
    assert "/paysupport I paid" in usage
    assert bot_api.sent_texts(ADMIN_CHAT) == []
    [confirm] = await harness.texts_after(u.command("paysupport", "Charged twice <b>help</b>"))
    assert "went to our support team" in confirm
    [note] = bot_api.sent_texts(ADMIN_CHAT)
    assert str(u.DEFAULT_USER_ID) in note and "@alex_runs" in note
    assert "Free, never paid" in note and "Charged twice &lt;b&gt;help&lt;/b&gt;" in note  # escaped


async def test_upgrade_and_terms_show_the_price_and_limits_of_the_plan_rows(
    harness: BotHarness, container: Container
) -> None:
    await _user_id(container)
    async with container.uow() as uow:
        await uow.session.execute(
            update(SubscriptionPlan)
            .where(SubscriptionPlan.code == "pro")
            .values(price_cents=1299, currency="eur", ai_chat_per_day=100)
        )
        await uow.commit()
    [text] = await harness.texts_after(u.command("upgrade"))
    assert "<b>Pro</b>: €12.99/month by card" in text and "9.99" not in text
    assert "AI chat messages: 10 / day → <b>100 / day</b>" in text
    assert "AI workouts: 3 / month → <b>unlimited</b>" in text
    card, _ = _buttons(harness.last_markup())
    assert card["text"] == "💳 Pay €12.99/month"
    [terms] = await harness.texts_after(u.command("terms"))
    assert "Price: €12.99/month by card" in terms and "9.99" not in terms


async def test_checkout_comes_back_to_the_chat_it_started_in(
    harness: BotHarness, bot_api: FakeBotAPI, stripe_api: FakeStripeAPI, container: Container
) -> None:
    await _user_id(container)
    await harness.texts_after(u.command("upgrade"))
    [checkout] = [r for r in stripe_api.requests if r.path == "/v1/checkout/sessions"]
    back = f"https://t.me/{bot_api.bot_username}"
    assert checkout.params["cancel_url"] == f"{back}?start=cancel"
    [paid] = await harness.texts_after(u.command("start", "paid"))
    assert paid.startswith("Thank you! Pro is active as soon as Stripe confirms")
    [cancelled] = await harness.texts_after(u.command("start", "cancel"))
    assert cancelled.startswith("Checkout cancelled: nothing was charged.")
    customer = await _pay_by_card(container, stripe_api, await _user_id(container))
    await harness.texts_after(u.command("billing"))
    assert stripe_api.portal_sessions[-1]["customer"] == customer
    assert stripe_api.portal_sessions[-1]["return_url"] == back


async def test_a_second_pro_is_refused_with_the_date_in_the_users_zone(
    harness: BotHarness, bot_api: FakeBotAPI, container: Container, clock: FakeClock
) -> None:
    user_id = await _user_id(container)
    await container.services.accounts.set_timezone(user_id, "Asia/Tokyo")
    # 20:00 UTC is 05:00 of the next day in Tokyo.
    end = (clock() + timedelta(days=30)).replace(hour=20, minute=0, second=0, microsecond=0)
    paid = u.successful_payment_message(
        payload=f"pro:{user_id}", total_amount=STARS, charge_id="stxTokyo",
        subscription_expiration_date=int(end.timestamp()),
    )  # fmt: skip
    await harness.texts_after(paid)
    tokyo_day = f"{end.astimezone(ZoneInfo('Asia/Tokyo')):%d %b %Y}"
    [refusal] = await harness.texts_after(u.command("upgrade"))
    assert refusal == f"You already have Pro until {tokyo_day}. /billing shows it."
    harness.feed(u.pre_checkout_query(payload=f"pro:{user_id}", total_amount=STARS))
    [answer] = await bot_api.wait_for("answerPreCheckoutQuery")
    assert answer.params["ok"] is False
    assert answer.params["error_message"] == refusal
