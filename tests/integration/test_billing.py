"""Billing on both backends: Stripe events converge in any order, once; Stars; checkout links."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.billing.service import BillingService, Change, ReturnUrls
from core.bootstrap import Container
from core.clock import utcnow
from core.config import Settings
from core.db.models import PaymentEvent as PaymentEventRow
from core.db.models import UserSubscription
from core.errors import (
    AlreadyPro,
    BadStarsPayment,
    LimitReached,
    NoStripeCustomer,
    PaymentsNotConfigured,
    UnknownUser,
)
from core.gateways.payments import StripePayments
from core.limits.feature_gate import Feature
from core.limits.plans import PlanPair
from tests.fakes import stripe_events as ev
from tests.fakes.clock import FakeClock
from tests.fakes.payments import SCENARIOS, FakePayments, Step, scenario
from tests.fakes.stripe_api import FakeStripeAPI

# Where the edge asks Stripe to send the user back (core passes them on untouched).
URLS = ReturnUrls(success="https://back.test/paid", cancel="https://back.test/cancel")
BACK = "https://back.test/billing"
SECRET = "whsec_test_billing_0000"


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()


@pytest.fixture
def billing_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"stripe_price_id": ev.PRICE_ID})


@pytest.fixture
def billing(
    container: Container, payments: FakePayments, billing_settings: Settings, clock: FakeClock
) -> BillingService:
    return BillingService(container.uow, payments, billing_settings, clock)


async def _user(c: Container, chat_id: int) -> int:
    return (await c.services.accounts.get_or_create(chat_id, first_name="Ann")).id


async def _row(c: Container, user_id: int) -> UserSubscription | None:
    async with c.uow() as uow:
        return await uow.subscriptions.get(user_id)


async def _event_rows(c: Container) -> tuple[int, int]:
    """(payment_events rows, distinct event ids)."""
    async with c.uow() as uow:
        rows = await uow.session.scalar(select(func.count()).select_from(PaymentEventRow))
        ids = await uow.session.scalar(select(func.count(func.distinct(PaymentEventRow.event_id))))
    return int(rows or 0), int(ids or 0)


async def _deliver(
    billing: BillingService, payments: FakePayments, evt: dict[str, Any]
) -> Change | None:
    return await billing.handle_event(payments.parse_webhook(ev.encode(evt), None))


def _t(clock: FakeClock) -> int:
    return int(clock().timestamp())


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


# -- replays: in order, every event three times, shuffled, concurrent ------------------------


async def _replay(
    mode: str, billing: BillingService, payments: FakePayments, clock: FakeClock, steps: list[Step]
) -> list[str]:
    """Deliver a scenario's events; the non-empty change kinds, in delivery order."""
    changes: list[Change | None] = []
    if mode in ("in_order", "three_times"):
        for step in steps:
            clock.set(_at(step.at))
            payments.set_subscription(step.subscription)  # Stripe's state at delivery time
            for _ in range(3 if mode == "three_times" else 1):
                changes.append(await _deliver(billing, payments, step.event))
    else:
        # Late delivery: by now Stripe holds the final state of the subscription.
        clock.set(_at(steps[-1].at))
        payments.set_subscription(steps[-1].subscription)
        events = [s.event for s in steps]
        if mode == "concurrent":
            batch = events * 2
            random.Random(7).shuffle(batch)
            changes = list(await asyncio.gather(*(_deliver(billing, payments, e) for e in batch)))
        else:
            random.Random(int(mode.removeprefix("shuffled_"))).shuffle(events)
            changes = [await _deliver(billing, payments, e) for e in events]
    return [c.kind for c in changes if c is not None and c.kind is not None]


FINAL = {
    "new": ("pro", "active", 30, False),
    "renewal": ("pro", "active", 60, False),
    "card_failure_recovery": ("pro", "active", 60, False),
    "cancel_at_period_end": ("free", "canceled", 30, True),
    "cancel_now": ("free", "canceled", 30, False),
}
IN_ORDER_KINDS = {
    "new": ["upgraded"],
    "renewal": ["upgraded", "renewed"],
    "card_failure_recovery": ["upgraded", "payment_failed", "recovered"],
    "cancel_at_period_end": ["upgraded", "downgraded"],
    "cancel_now": ["upgraded", "downgraded"],
}
MODES = ("in_order", "three_times", "shuffled_1", "shuffled_2", "shuffled_3", "concurrent")


@pytest.mark.parametrize("name", SCENARIOS)
async def test_replays_converge_to_the_same_final_state(
    name: str,
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    clock: FakeClock,
) -> None:
    t0 = _t(clock)
    finals = set()
    for chat, mode in enumerate(MODES, start=1):
        uid = await _user(container, chat)
        steps = scenario(name, uid, t0)
        kinds = await _replay(mode, billing, payments, clock, steps)
        if mode in ("in_order", "three_times"):
            assert kinds == IN_ORDER_KINDS[name], mode
        else:  # at most one message of each kind, never a duplicate
            assert len(kinds) == len(set(kinds)), (mode, kinds)
        row = await _row(container, uid)
        assert row is not None
        status = await billing.status(uid)
        final = (
            status.plan_code,
            row.status,
            (row.current_period_end or _at(t0)) - _at(t0),
            row.cancel_at_period_end,
        )
        finals.add(final)
        plan, stripe_status, days, cancel = FINAL[name]
        assert final == (plan, stripe_status, timedelta(days=days), cancel), mode
        assert row.grace_until is None and row.stripe_customer_id and row.stripe_subscription_id
        assert (await container.services.gate.plan_for(uid)).code == plan
        clock.set(_at(t0))
    assert len(finals) == 1
    rows, ids = await _event_rows(container)
    assert rows == ids == len(MODES) * len(scenario(name, 0, t0))


async def test_concurrent_duplicate_delivery_applies_once(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    steps = scenario("new", uid, _t(clock))
    payments.set_subscription(steps[1].subscription)
    checkout = steps[1].event
    results = await asyncio.gather(*(_deliver(billing, payments, checkout) for _ in range(10)))
    applied = [r for r in results if r is not None]
    assert len(applied) == 1 and applied[0].kind == "upgraded" and applied[0].plan_code == "pro"
    assert await _event_rows(container) == (1, 1)
    assert await _deliver(billing, payments, checkout) is None


async def test_older_event_cannot_undo_a_newer_one(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    """A fetch that raced a newer event (it saw an older state) loses to that event."""
    uid = await _user(container, 1)
    t0 = _t(clock)
    steps = scenario("cancel_now", uid, t0)
    payments.set_subscription(steps[-1].subscription)
    change = await _deliver(billing, payments, steps[-1].event)
    assert change is not None and change.plan_code == "free"
    payments.set_subscription(steps[1].subscription)  # stale "active" answer
    assert await _deliver(billing, payments, steps[1].event) is None
    row = await _row(container, uid)
    assert row is not None and row.status == "canceled"
    assert row.last_event_at == _at(steps[-1].at)


async def test_late_event_of_an_old_subscription_keeps_the_new_one(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    t0 = _t(clock)
    old = scenario("cancel_now", uid, t0)
    payments.set_subscription(old[-1].subscription)
    await _deliver(billing, payments, old[1].event)
    new = scenario("new", uid, t0 + 10, customer=old[0].subscription["customer"])
    payments.set_subscription(new[1].subscription)
    change = await _deliver(billing, payments, new[1].event)
    assert change is not None and change.kind == "upgraded"
    assert await _deliver(billing, payments, old[-1].event) is None  # old sub's deletion, late
    row = await _row(container, uid)
    assert row is not None and row.status == "active"
    assert row.stripe_subscription_id == new[1].subscription["id"]
    assert (await billing.status(uid)).plan_code == "pro"


async def test_past_due_keeps_pro_for_the_grace_period(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    steps = scenario("card_failure_recovery", uid, _t(clock))
    for step in steps[:5]:  # up to the failed renewal
        clock.set(_at(step.at))
        payments.set_subscription(step.subscription)
        change = await _deliver(billing, payments, step.event)
    assert change is not None and change.kind == "payment_failed"
    assert change.plan_code == "pro" and change.grace_until == clock() + timedelta(days=3)
    status = await billing.status(uid)
    assert (status.status, status.grace_until, status.ends_at) == (
        "past_due",
        change.grace_until,
        change.grace_until,
    )
    with pytest.raises(AlreadyPro, match="update your card"):
        await billing.checkout_link(uid, urls=URLS)
    clock.advance(days=1)
    payments.set_subscription(steps[5].subscription)
    await _deliver(billing, payments, steps[5].event)  # Stripe retries: the grace stays
    row = await _row(container, uid)
    assert row is not None and row.grace_until == change.grace_until
    clock.advance(days=2, seconds=1)
    assert (await container.services.gate.plan_for(uid)).code == "free"
    assert (await billing.status(uid)).plan_code == "free"


async def test_upgrade_lifts_a_reached_free_limit_at_once(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    for _ in range(10):
        await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)
    with pytest.raises(LimitReached):
        await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)
    steps = scenario("new", uid, _t(clock))
    payments.set_subscription(steps[1].subscription)
    change = await _deliver(billing, payments, steps[1].event)
    assert change is not None and change.kind == "upgraded"
    grant = await container.services.gate.check_and_increment(uid, Feature.AI_CHAT)
    assert grant.limit is None and grant.used == 11


async def test_unknown_type_and_unknown_customer_are_ignored(
    container: Container, billing: BillingService, payments: FakePayments
) -> None:
    uid = await _user(container, 1)
    other = ev.event("customer.created", {"id": ev.new_id("cus"), "object": "customer"})
    assert await _deliver(billing, payments, other) is None
    # Another product on the same Stripe account: its subscription names none of our users.
    foreign = payments.set_subscription(ev.subscription_object())
    paid = ev.invoice_event(
        "paid", customer=foreign.customer_id, subscription=foreign.subscription_id
    )
    assert await _deliver(billing, payments, paid) is None
    ghost = ev.checkout_completed(user_id=uid + 1000)
    payments.set_subscription(ev.subscription_object(id=ghost["data"]["object"]["subscription"]))
    assert await _deliver(billing, payments, ghost) is None
    assert await _event_rows(container) == (1, 1)  # the ghost's, recorded as ignored
    assert await _row(container, uid) is None
    assert payments.fetches == [foreign.subscription_id]  # the ghost is refused before a fetch


async def test_checkout_without_subscription_remembers_the_customer(
    container: Container, billing: BillingService, payments: FakePayments
) -> None:
    uid = await _user(container, 1)
    session = ev.checkout_session_object(user_id=uid, customer="cus_1Kept")
    session["subscription"] = None
    change = await _deliver(billing, payments, ev.event("checkout.session.completed", session))
    assert change is not None and (change.kind, change.plan_code) == (None, "free")
    await billing.checkout_link(uid, urls=URLS)
    assert payments.checkouts[-1].customer_id == "cus_1Kept"


# -- checkout and portal links ---------------------------------------------------------------


async def test_checkout_link_reuses_the_customer_and_refuses_a_second_pro(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    link = await billing.checkout_link(uid, urls=URLS)
    assert link.url.startswith("https://")
    first = payments.checkouts[-1]
    assert (first.user_id, first.customer_id, first.price_id) == (uid, None, ev.PRICE_ID)
    assert (first.success_url, first.cancel_url) == (URLS.success, URLS.cancel)
    with pytest.raises(NoStripeCustomer, match="never paid"):
        await billing.portal_link(uid, return_url=BACK)

    steps = scenario("cancel_now", uid, _t(clock))
    payments.set_subscription(steps[1].subscription)
    await _deliver(billing, payments, steps[1].event)
    with pytest.raises(AlreadyPro, match="billing portal") as info:
        await billing.checkout_link(uid, urls=URLS)
    assert info.value.provider == "stripe" and info.value.until is not None
    customer = steps[1].subscription["customer"]
    portal = await billing.portal_link(uid, return_url=BACK)
    assert customer in portal.url and payments.portals[-1] == (customer, BACK)

    payments.set_subscription(steps[-1].subscription)
    await _deliver(billing, payments, steps[-1].event)
    await billing.checkout_link(uid, urls=URLS)
    assert payments.checkouts[-1].customer_id == customer
    assert len(payments.checkouts) == 2


async def test_the_offer_reads_both_plan_rows_and_the_ways_to_pay(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    billing_settings: Settings,
    clock: FakeClock,
) -> None:
    uid = await _user(container, 1)
    offer = await billing.offer(uid, urls=URLS)
    async with container.uow() as uow:
        rows = {p.code: p for p in await uow.plans.all()}
    assert offer.plans == PlanPair.of(rows.values())
    assert (offer.plans.pro.price_cents, offer.plans.pro.currency) == (999, "usd")
    assert (offer.plans.free.ai_chat_per_day, offer.plans.pro.ai_chat_per_day) == (10, None)
    assert offer.stars_payload == f"pro:{uid}"
    assert offer.stars_price == billing_settings.stars_price
    assert offer.checkout is not None and offer.checkout.url.startswith("https://")
    assert (payments.checkouts[-1].success_url, payments.checkouts[-1].cancel_url) == (
        URLS.success,
        URLS.cancel,
    )
    assert await billing.plans() == offer.plans

    cardless = BillingService(container.uow, payments, container.settings, clock)
    assert (await cardless.offer(uid, urls=URLS)).checkout is None  # Stars only
    assert len(payments.checkouts) == 1

    steps = scenario("card_failure_recovery", uid, _t(clock))
    for step in steps[:5]:  # up to the failed renewal: Pro on grace
        clock.set(_at(step.at))
        payments.set_subscription(step.subscription)
        await _deliver(billing, payments, step.event)
    with pytest.raises(AlreadyPro) as info:
        await billing.offer(uid, urls=URLS)
    assert info.value.past_due and info.value.provider == "stripe"
    assert info.value.until == clock() + timedelta(days=3)
    assert len(payments.checkouts) == 1


async def test_status_brings_the_portal_of_a_card_payer_only(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    card, stars = await _user(container, 1), await _user(container, 2)
    free = await billing.status(card, portal_return_url=BACK)
    assert (free.plan_code, free.portal) == ("free", None) and payments.portals == []
    steps = scenario("new", card, _t(clock))
    payments.set_subscription(steps[1].subscription)
    await _deliver(billing, payments, steps[1].event)
    status = await billing.status(card, portal_return_url=BACK)
    customer = steps[1].subscription["customer"]
    assert status.plan_code == "pro" and status.portal is not None
    assert customer in status.portal.url and payments.portals == [(customer, BACK)]
    assert (await billing.status(card)).portal is None  # not asked for: no call to Stripe
    await billing.stars_paid(
        stars,
        charge_id="stxStatus",
        payload=await billing.stars_invoice_payload(stars),
        subscription_expiration_date=None,
        is_recurring=False,
        is_first_recurring=False,
    )
    paid_by_stars = await billing.status(stars, portal_return_url=BACK)
    assert (paid_by_stars.provider, paid_by_stars.portal) == ("stars", None)
    assert len(payments.portals) == 1


async def test_checkout_needs_a_price_and_a_user(
    container: Container, payments: FakePayments, settings: Settings, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    unpriced = BillingService(container.uow, payments, settings, clock)
    with pytest.raises(PaymentsNotConfigured):
        await unpriced.checkout_link(uid, urls=URLS)
    priced = BillingService(
        container.uow, payments, settings.model_copy(update={"stripe_price_id": "price_1"}), clock
    )
    with pytest.raises(UnknownUser):
        await priced.checkout_link(uid + 1, urls=URLS)
    assert payments.checkouts == []


async def test_checkout_over_http_to_the_stripe_api(
    container: Container, billing_settings: Settings, clock: FakeClock
) -> None:
    clock.set(utcnow())  # the fake Stripe API stamps objects with the real time
    uid = await _user(container, 1)
    async with FakeStripeAPI() as api:
        stripe = StripePayments(api.api_key, SECRET, api.base_url)
        billing = BillingService(container.uow, stripe, billing_settings, clock)
        try:
            link = await billing.checkout_link(uid, urls=URLS)
            sent = api.requests[-1]
            assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
            assert sent.params["mode"] == "subscription"
            assert sent.params["line_items"] == [{"price": ev.PRICE_ID, "quantity": "1"}]
            assert sent.params["client_reference_id"] == str(uid)
            assert sent.params["metadata"] == {"user_id": str(uid)}
            assert sent.params["subscription_data"] == {"metadata": {"user_id": str(uid)}}
            assert sent.params["success_url"] == URLS.success
            assert sent.params["cancel_url"] == URLS.cancel
            assert "customer" not in sent.params

            body, signature = ev.signed(api.complete_checkout(link.session_id), SECRET)
            change = await billing.handle_event(stripe.parse_webhook(body, signature))
            assert change is not None and change.kind == "upgraded"
            assert api.requests[-1].path.startswith("/v1/subscriptions/")  # re-fetched
            with pytest.raises(AlreadyPro):
                await billing.checkout_link(uid, urls=URLS)

            customer = api.checkout_sessions[link.session_id]["customer"]
            sub_id = api.checkout_sessions[link.session_id]["subscription"]
            await billing.portal_link(uid, return_url=BACK)
            assert api.requests[-1].params == {
                "customer": customer,
                "return_url": BACK,
            }
            ended = api.subscriptions[sub_id] | {"status": "canceled"}
            api.add_subscription(ended)
            body, signature = ev.signed(ev.event("customer.subscription.deleted", ended), SECRET)
            change = await billing.handle_event(stripe.parse_webhook(body, signature))
            assert change is not None and change.kind == "downgraded"
            await billing.checkout_link(uid, urls=URLS)
            assert api.requests[-1].params["customer"] == customer
        finally:
            await stripe.aclose()


# -- Telegram Stars --------------------------------------------------------------------------


async def test_stars_pre_checkout_checks_user_currency_and_amount(
    container: Container, billing: BillingService, billing_settings: Settings
) -> None:
    ann, bob = await _user(container, 1), await _user(container, 2)
    price = billing_settings.stars_price
    payload = await billing.stars_invoice_payload(ann)
    assert str(ann) in payload and len(payload.encode()) <= 128
    await billing.check_pre_checkout(ann, payload, "XTR", price)
    bad: Sequence[tuple[int, str, str, int, str]] = [
        (bob, payload, "XTR", price, "another account"),
        (ann, "something else", "XTR", price, "another account"),
        (ann, payload, "USD", price, "Telegram Stars"),
        (ann, payload, "XTR", price - 1, f"{price} Stars"),
    ]
    for user, load, currency, amount, message in bad:
        with pytest.raises(BadStarsPayment, match=message):
            await billing.check_pre_checkout(user, load, currency, amount)


async def test_stars_payment_renewal_duplicate_and_refund(
    container: Container, billing: BillingService, billing_settings: Settings, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    payload = await billing.stars_invoice_payload(uid)
    until = clock() + timedelta(days=30)

    async def pay(charge: str, expires: datetime, first: bool) -> Change:
        return await billing.stars_paid(
            uid,
            charge_id=charge,
            payload=payload,
            subscription_expiration_date=expires,
            is_recurring=True,
            is_first_recurring=first,
        )

    change = await pay("stxCharge1", until, True)
    assert (change.kind, change.plan_code, change.period_end) == ("upgraded", "pro", until)
    assert (await container.services.gate.plan_for(uid)).code == "pro"
    status = await billing.status(uid)
    assert (status.provider, status.renews_at, status.can_manage) == ("stars", until, False)
    again = await pay("stxCharge1", until, True)
    assert (again.kind, again.plan_code) == (None, "pro")
    with pytest.raises(AlreadyPro):
        await billing.check_pre_checkout(uid, payload, "XTR", billing_settings.stars_price)

    clock.set(until - timedelta(hours=1))
    renewed = await pay("stxCharge2", until + timedelta(days=30), False)
    assert renewed.kind == "renewed"
    assert await _event_rows(container) == (2, 2)

    refund = await billing.stars_refunded(uid, charge_id="stxCharge2")
    assert (refund.kind, refund.plan_code) == ("downgraded", "free")
    assert (await billing.stars_refunded(uid, charge_id="stxCharge2")).kind is None
    assert (await container.services.gate.plan_for(uid)).code == "free"
    assert (await billing.status(uid)).plan_code == "free"
    await billing.stars_invoice_payload(uid)  # may buy again


async def test_one_off_stars_payment_ends_after_its_period(
    container: Container, billing: BillingService, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    change = await billing.stars_paid(
        uid,
        charge_id="stxOnce",
        payload=await billing.stars_invoice_payload(uid),
        subscription_expiration_date=None,
        is_recurring=False,
        is_first_recurring=False,
    )
    assert change.kind == "upgraded" and change.period_end == clock() + timedelta(days=30)
    status = await billing.status(uid)
    assert (status.renews_at, status.ends_at) == (None, change.period_end)
    clock.advance(days=32)
    assert (await billing.status(uid)).plan_code == "free"
    with pytest.raises(UnknownUser):
        await billing.stars_refunded(uid + 1, charge_id="stxOnce")
