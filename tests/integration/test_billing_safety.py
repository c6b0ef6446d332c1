"""Billing on both backends: whose event it is, which price sells Pro, refunds and disputes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.billing.service import BillingService, Change
from core.bootstrap import Container
from core.config import Settings
from core.db.models import PaymentEvent as PaymentEventRow
from core.db.models import UserSubscription
from tests.fakes import stripe_events as ev
from tests.fakes.clock import FakeClock
from tests.fakes.payments import FakePayments, scenario

DAY = 86400
OTHER_PRICE = "price_1OtherProduct000000000"


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()


@pytest.fixture
def billing(
    container: Container, payments: FakePayments, settings: Settings, clock: FakeClock
) -> BillingService:
    priced = settings.model_copy(update={"stripe_price_id": ev.PRICE_ID})
    return BillingService(container.uow, payments, priced, clock)


async def _user(c: Container, chat_id: int) -> int:
    return (await c.services.accounts.get_or_create(chat_id, first_name="Ann")).id


async def _row(c: Container, user_id: int) -> UserSubscription | None:
    async with c.uow() as uow:
        return await uow.subscriptions.get(user_id)


async def _plan(c: Container, user_id: int) -> str:
    return (await c.services.gate.plan_for(user_id)).code


async def _recorded(c: Container, event: dict[str, Any]) -> list[int | None]:
    """The user ids the event was recorded with (empty: not recorded)."""
    async with c.uow() as uow:
        stmt = select(PaymentEventRow.user_id).where(PaymentEventRow.event_id == event["id"])
        return list(await uow.session.scalars(stmt))


async def _deliver(
    billing: BillingService, payments: FakePayments, evt: dict[str, Any]
) -> Change | None:
    return await billing.handle_event(payments.parse_webhook(ev.encode(evt), None))


async def _subscribe(
    billing: BillingService, payments: FakePayments, clock: FakeClock, uid: int
) -> dict[str, Any]:
    """Pro by card through its checkout event; the subscription as Stripe holds it."""
    step = scenario("new", uid, int(clock().timestamp()))[1]
    payments.set_subscription(step.subscription)
    change = await _deliver(billing, payments, step.event)
    assert change is not None and change.kind == "upgraded"
    return step.subscription


# -- whose event it is -----------------------------------------------------------------------


async def test_metadata_naming_a_user_of_another_customer_is_ignored_and_recorded(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    ann, bob, carol = [await _user(container, n) for n in (1, 2, 3)]
    ann_sub = await _subscribe(billing, payments, clock, ann)
    bob_sub = await _subscribe(billing, payments, clock, bob)
    fetched = len(payments.fetches)
    # A subscription of a customer who is not Ann's, naming Ann (e.g. made in the Dashboard).
    stranger = payments.set_subscription(ev.subscription_object(user_id=ann))
    for_ann = ev.checkout_completed(
        user_id=ann, customer=stranger.customer_id, subscription=stranger.subscription_id
    )
    # Bob's customer naming Carol, who never paid: Bob's payments must not make her Pro.
    for_carol = ev.subscription_event(
        "updated", id=bob_sub["id"], customer=bob_sub["customer"], user_id=carol
    )
    for evt in (for_ann, for_carol):
        assert await _deliver(billing, payments, evt) is None
        assert await _recorded(container, evt) == [None]  # processed: a redelivery is cheap
        assert await _deliver(billing, payments, evt) is None
    assert len(payments.fetches) == fetched  # refused before asking Stripe anything
    ann_row = await _row(container, ann)
    assert ann_row is not None and ann_row.stripe_subscription_id == ann_sub["id"]
    assert ann_row.stripe_customer_id == ann_sub["customer"]
    assert await _row(container, carol) is None and await _plan(container, carol) == "free"
    assert await _plan(container, bob) == "pro"


async def test_a_late_event_of_a_deleted_account_is_recorded_and_changes_nothing(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    gone = await _user(container, 1)
    sub = await _subscribe(billing, payments, clock, gone)
    await container.services.accounts.delete_everything(gone)
    newcomer = await _user(container, 2)
    assert newcomer != gone
    deleted = ev.event("customer.subscription.deleted", {**sub, "status": "canceled"})
    fetched = len(payments.fetches)
    assert await _deliver(billing, payments, deleted) is None
    assert await _recorded(container, deleted) == [None]
    assert len(payments.fetches) == fetched
    assert await _row(container, newcomer) is None


# -- which price sells Pro -------------------------------------------------------------------


async def test_a_subscription_to_another_price_grants_no_pro(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    uid = await _user(container, 1)
    other = payments.set_subscription(ev.subscription_object(user_id=uid, price_id=OTHER_PRICE))
    evt = ev.checkout_completed(
        user_id=uid, customer=other.customer_id, subscription=other.subscription_id
    )
    with caplog.at_level(logging.WARNING):
        change = await _deliver(billing, payments, evt)
    assert change is None and await _plan(container, uid) == "free"
    assert await _row(container, uid) is None
    assert f"price {OTHER_PRICE}, not the Pro price" in caplog.text
    assert await _recorded(container, evt) == [uid]


async def test_the_pro_subscription_moved_to_another_price_ends_pro(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    sub = await _subscribe(billing, payments, clock, uid)
    clock.advance(days=1)
    moved = ev.subscription_object(
        id=sub["id"], customer=sub["customer"], user_id=uid, price_id=OTHER_PRICE
    )
    payments.set_subscription(moved)
    evt = ev.event("customer.subscription.updated", moved, created=int(clock().timestamp()))
    change = await _deliver(billing, payments, evt)
    assert change is not None and (change.kind, change.plan_code) == ("downgraded", "free")
    assert await _plan(container, uid) == "free"


# -- refunds and disputes --------------------------------------------------------------------


def _paid(payments: FakePayments, sub: dict[str, Any], invoice: str) -> dict[str, Any]:
    """The charge that paid `invoice` of this subscription; Stripe serves it."""
    charge = ev.charge_object(customer=sub["customer"])
    payments.set_charge(charge, paid_invoice=invoice)
    return charge


def _refund(payments: FakePayments, charge: dict[str, Any], amount: int) -> dict[str, Any]:
    """charge.refunded after refunding `amount` more; Stripe serves the charge as refunded."""
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    payments.set_charge(charge)
    return ev.event("charge.refunded", dict(charge))


async def test_full_refund_of_the_current_period_ends_pro_until_a_new_payment(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    sub = await _subscribe(billing, payments, clock, uid)
    charge = _paid(payments, sub, sub["latest_invoice"])

    partial = _refund(payments, charge, 300)
    assert await _deliver(billing, payments, partial) is None
    assert await _recorded(container, partial) == [uid]
    assert await _plan(container, uid) == "pro"  # a partial refund keeps Pro

    clock.advance(days=2)
    full = _refund(payments, charge, charge["amount"] - 300)
    change = await _deliver(billing, payments, full)
    assert change is not None and (change.kind, change.plan_code) == ("downgraded", "free")
    row = await _row(container, uid)
    assert row is not None and row.status == "refunded"
    assert await _deliver(billing, payments, full) is None  # once

    # Later events of the refunded period (the subscription is still active) keep it Free.
    clock.advance(days=1)
    updated = ev.event("customer.subscription.updated", sub, created=int(clock().timestamp()))
    assert (await _deliver(billing, payments, updated)) is None
    assert await _plan(container, uid) == "free"

    # The next period, paid: Pro again.
    end = datetime.fromtimestamp(sub["items"]["data"][0]["current_period_end"], UTC)
    clock.set(end + timedelta(minutes=5))
    start = int(end.timestamp())
    renewed = ev.subscription_object(
        id=sub["id"], customer=sub["customer"], user_id=uid,
        current_period_start=start, current_period_end=start + 30 * DAY,
    )  # fmt: skip
    payments.set_subscription(renewed)
    paid = ev.invoice_event("paid", customer=sub["customer"], subscription=sub["id"])
    paid["created"] = int(clock().timestamp())
    change = await _deliver(billing, payments, paid)
    assert change is not None and change.plan_code == "pro"
    assert await _plan(container, uid) == "pro"


async def test_refund_of_an_older_payment_keeps_pro(
    container: Container, billing: BillingService, payments: FakePayments, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    sub = await _subscribe(billing, payments, clock, uid)
    old = _paid(payments, sub, ev.new_id("in"))  # the invoice of the period before
    refund = _refund(payments, old, old["amount"])
    assert await _deliver(billing, payments, refund) is None
    assert await _recorded(container, refund) == [uid]
    assert await _plan(container, uid) == "pro"


async def test_a_dispute_ends_pro_at_once_and_warns_the_operator(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    uid = await _user(container, 1)
    sub = await _subscribe(billing, payments, clock, uid)
    old = _paid(payments, sub, ev.new_id("in"))  # any charge: a dispute is a chargeback
    dispute = ev.event("charge.dispute.created", ev.dispute_object(charge=old["id"]))
    with caplog.at_level(logging.WARNING):
        change = await _deliver(billing, payments, dispute)
    assert change is not None and (change.kind, change.plan_code) == ("downgraded", "free")
    assert await _plan(container, uid) == "free"
    row = await _row(container, uid)
    assert row is not None and row.status == "disputed"
    warning = next(r for r in caplog.records if "dispute" in r.getMessage())
    assert warning.levelno == logging.WARNING and old["id"] in warning.getMessage()
    assert await _deliver(billing, payments, dispute) is None


# -- Telegram Stars refunds ------------------------------------------------------------------


async def test_stars_refund_of_an_older_charge_keeps_pro(
    container: Container, billing: BillingService, clock: FakeClock
) -> None:
    uid = await _user(container, 1)
    payload = await billing.stars_invoice_payload(uid)
    for n, first in ((1, True), (2, False)):
        await billing.stars_paid(
            uid,
            charge_id=f"stxCharge{n}",
            payload=payload,
            subscription_expiration_date=clock() + timedelta(days=30 * n),
            is_recurring=True,
            is_first_recurring=first,
        )
    older = await billing.stars_refunded(uid, charge_id="stxCharge1")
    assert (older.kind, older.plan_code) == (None, "pro")
    assert await _plan(container, uid) == "pro"
    current = await billing.stars_refunded(uid, charge_id="stxCharge2")
    assert (current.kind, current.plan_code) == ("downgraded", "free")
