"""/delete on both backends: billing is stopped first, payments stay for accounting, unlinked."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.accounts.deletion import AccountDeletion, BillingToStop
from core.billing.service import BillingService
from core.bootstrap import Container
from core.clock import utcnow
from core.config import Settings
from core.db.models import PaymentEvent as PaymentEventRow
from core.errors import BillingNotStopped
from core.gateways.payments import StripePayments
from tests.fakes import stripe_events as ev
from tests.fakes.clock import FakeClock
from tests.fakes.payments import FakePayments, FakeStarSubscriptions, scenario
from tests.fakes.stripe_api import FakeStripeAPI

TELEGRAM_ID = 777_000_111
SECRET = "whsec_test_deletion_0000"


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


@pytest.fixture
def deletion(container: Container, payments: FakePayments, clock: FakeClock) -> AccountDeletion:
    return AccountDeletion(container.uow, payments, clock)


async def _user(c: Container, chat_id: int) -> int:
    return (await c.services.accounts.get_or_create(chat_id, first_name="Ann")).id


async def _pay_by_card(billing: BillingService, payments: FakePayments, uid: int) -> str:
    """A live Pro subscription applied from its checkout event; the subscription id."""
    step = scenario("new", uid, int(billing._clock().timestamp()))[1]
    payments.set_subscription(step.subscription)
    await billing.handle_event(payments.parse_webhook(ev.encode(step.event), None))
    return str(step.subscription["id"])


async def _pay_stars(billing: BillingService, uid: int, charge: str, *, recurring: bool) -> None:
    await billing.stars_paid(
        uid,
        charge_id=charge,
        payload=await billing.stars_invoice_payload(uid),
        subscription_expiration_date=billing._clock() + timedelta(days=30) if recurring else None,
        is_recurring=recurring,
        is_first_recurring=recurring,
    )


async def _payment_owners(c: Container) -> list[int | None]:
    async with c.uow() as uow:
        return list(await uow.session.scalars(select(PaymentEventRow.user_id)))


async def test_delete_cancels_the_stripe_subscription_and_keeps_payments_unlinked(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    deletion: AccountDeletion,
) -> None:
    uid, other = await _user(container, 1), await _user(container, 2)
    sub_id = await _pay_by_card(billing, payments, uid)
    await _pay_by_card(billing, payments, other)
    assert await deletion.billing_to_stop(uid) == BillingToStop(sub_id, pays_by_card=True)
    stars = FakeStarSubscriptions()

    stopped = await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=stars)

    assert stopped.stripe_subscription_id == sub_id
    assert payments.cancelled == [sub_id] and stars.cancelled == []
    assert await container.services.accounts.by_chat(1) is None
    owners = await _payment_owners(container)
    assert len(owners) == 2 and set(owners) == {None, other}


async def test_account_service_delete_keeps_payment_events_unlinked(
    container: Container, billing: BillingService, payments: FakePayments
) -> None:
    uid = await _user(container, 1)
    await _pay_by_card(billing, payments, uid)
    counts = await container.services.accounts.delete_everything(uid)
    assert counts["payment_events"] == 1 and counts["users"] == 1
    assert await _payment_owners(container) == [None]


async def test_a_stripe_subscription_gone_at_stripe_does_not_block_the_delete(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    deletion: AccountDeletion,
) -> None:
    uid = await _user(container, 1)
    sub_id = await _pay_by_card(billing, payments, uid)
    await payments.cancel_subscription(sub_id)  # cancelled at Stripe; the webhook is not in yet
    payments.cancelled.clear()
    await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=FakeStarSubscriptions())
    assert payments.cancelled == []
    assert await container.services.accounts.by_chat(1) is None


async def test_stripe_down_deletes_nothing_and_a_retry_goes_through(
    container: Container, billing_settings: Settings, clock: FakeClock
) -> None:
    clock.set(utcnow())  # the fake Stripe API stamps objects with the real time
    uid = await _user(container, 1)
    async with FakeStripeAPI() as api:
        stripe = StripePayments(api.api_key, SECRET, api.base_url)
        try:
            billing = BillingService(container.uow, stripe, billing_settings, clock)
            sub = api.add_subscription(user_id=uid)
            evt = ev.checkout_completed(
                user_id=uid, customer=sub["customer"], subscription=sub["id"]
            )
            await billing.handle_event(stripe.parse_webhook(*ev.signed(evt, SECRET)))
            deletion = AccountDeletion(container.uow, stripe, clock)
            api.fail_next(500)
            with pytest.raises(BillingNotStopped, match="could not reach Stripe"):
                await deletion.delete(
                    uid, telegram_user_id=TELEGRAM_ID, stars=FakeStarSubscriptions()
                )
            assert api.subscriptions[sub["id"]]["status"] == "active"
            assert await container.services.accounts.by_chat(1) is not None
            assert (await billing.status(uid)).plan_code == "pro"

            await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=FakeStarSubscriptions())
            cancels = [r for r in api.requests if r.method == "DELETE"]
            assert [r.path for r in cancels] == [f"/v1/subscriptions/{sub['id']}"] * 2
            assert api.subscriptions[sub["id"]]["status"] == "canceled"
            assert await container.services.accounts.by_chat(1) is None
        finally:
            await stripe.aclose()


async def test_unreachable_stripe_deletes_nothing(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    clock: FakeClock,
) -> None:
    uid = await _user(container, 1)
    await _pay_by_card(billing, payments, uid)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    stripe = StripePayments("sk_test_x", "whsec_x", closed, timeout_s=5)
    try:
        deletion = AccountDeletion(container.uow, stripe, clock)
        with pytest.raises(BillingNotStopped, match="nothing was deleted"):
            await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=FakeStarSubscriptions())
    finally:
        await stripe.aclose()
    assert await container.services.accounts.by_chat(1) is not None


async def test_delete_cancels_a_renewing_stars_subscription(
    container: Container, billing: BillingService, deletion: AccountDeletion
) -> None:
    uid = await _user(container, 1)
    await _pay_stars(billing, uid, "stxRenewing", recurring=True)
    assert await deletion.billing_to_stop(uid) == BillingToStop(stars_charge_id="stxRenewing")
    stars = FakeStarSubscriptions()
    stars.unreachable = True
    with pytest.raises(BillingNotStopped, match="reach Telegram"):
        await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=stars)
    assert await container.services.accounts.by_chat(1) is not None

    stars.unreachable = False
    await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=stars)
    assert stars.cancelled == [(TELEGRAM_ID, "stxRenewing")]
    assert await container.services.accounts.by_chat(1) is None
    assert await _payment_owners(container) == [None]


async def test_nothing_to_stop_for_ended_or_one_off_payments(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    deletion: AccountDeletion,
    clock: FakeClock,
) -> None:
    once, ended, free = [await _user(container, n) for n in (1, 2, 3)]
    await _pay_stars(billing, once, "stxOnce", recurring=False)  # a one-off payment never renews
    steps = scenario("cancel_now", ended, int(clock().timestamp()))
    for step in steps:
        payments.set_subscription(step.subscription)
        await billing.handle_event(payments.parse_webhook(ev.encode(step.event), None))
    for uid in (once, ended, free):
        assert await deletion.billing_to_stop(uid) == BillingToStop()
        await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=FakeStarSubscriptions())
    assert payments.cancelled == []


async def test_a_card_subscription_still_retrying_under_stars_is_cancelled_too(
    container: Container,
    billing: BillingService,
    payments: FakePayments,
    deletion: AccountDeletion,
    clock: FakeClock,
) -> None:
    """Pro lapsed after a failed card payment, then bought with Stars: Stripe keeps retrying."""
    uid = await _user(container, 1)
    steps = scenario("card_failure_recovery", uid, int(clock().timestamp()))[:6]
    for step in steps:  # up to the failed renewal, past_due
        clock.set(datetime.fromtimestamp(step.at, UTC))
        payments.set_subscription(step.subscription)
        await billing.handle_event(payments.parse_webhook(ev.encode(step.event), None))
    clock.advance(days=4)  # the grace is over: Free, so Stars may be bought
    await _pay_stars(billing, uid, "stxAfterCard", recurring=True)
    sub_id = str(steps[0].subscription["id"])
    assert await deletion.billing_to_stop(uid) == BillingToStop(sub_id, "stxAfterCard")
    stars = FakeStarSubscriptions()
    stopped = await deletion.delete(uid, telegram_user_id=TELEGRAM_ID, stars=stars)
    assert not stopped.pays_by_card  # the question spoke of Stars only
    assert payments.cancelled == [sub_id] and stars.cancelled == [(TELEGRAM_ID, "stxAfterCard")]
