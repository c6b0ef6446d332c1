"""Garmin sign-in throttles and the owed-password marker on both backends, FakeGarmin behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.bootstrap import Container
from core.errors import GarminAuthError, GarminSignInsThrottled
from core.garmin.link import PASSWORD_WAIT, GarminLinkService
from core.limits.throttle import Limit, ThrottleService
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin

PASSWORD = "Sup3r-Secret-Pa55"


@pytest.fixture
def env(garmin_container: Container) -> tuple[Container, GarminLinkService]:
    c = garmin_container
    return c, c.services.garmin_link


async def _user(c: Container, chat_id: int) -> int:
    return (await c.services.accounts.get_or_create(chat_id)).id


async def test_sixth_sign_in_in_an_hour_is_refused_without_garmin(
    env: tuple[Container, GarminLinkService], fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link = env
    uid = await _user(c, 1)
    fake.add_account("one@example.org", PASSWORD)
    for _ in range(5):
        with pytest.raises(GarminAuthError):
            await link.start(uid, "one@example.org", "wrong")
        clock.advance(minutes=5)
    with pytest.raises(GarminSignInsThrottled) as refused:
        await link.start(uid, "one@example.org", PASSWORD)
    assert refused.value.message == "Too many Garmin sign-in attempts; try again in 35 minutes."
    assert fake.count("login") == 5
    other = await _user(c, 2)  # the allowance is per user
    with pytest.raises(GarminAuthError):
        await link.start(other, "one@example.org", "wrong")
    clock.advance(minutes=35)  # the hour since the first attempt is over
    await link.start(uid, "one@example.org", PASSWORD)
    assert (await link.status(uid)).linked
    assert fake.count("login") == 7


async def test_429_on_sign_in_pauses_every_sign_in_until_the_back_off_ends(
    env: tuple[Container, GarminLinkService], fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link = env
    first, second = await _user(c, 1), await _user(c, 2)
    fake.add_account("two@example.org", PASSWORD)
    fake.rate_limit_login()
    with pytest.raises(GarminSignInsThrottled) as limited:
        await link.start(first, "one@example.org", PASSWORD)
    assert limited.value.message == "Garmin Connect is limiting sign-ins; try again in 30 minutes."
    clock.advance(minutes=29, seconds=30)
    with pytest.raises(GarminSignInsThrottled) as paused:
        await link.start(second, "two@example.org", PASSWORD)
    assert paused.value.message == "Garmin Connect is limiting sign-ins; try again in 1 minute."
    assert fake.count("login") == 1
    clock.advance(seconds=30)
    await link.start(second, "two@example.org", PASSWORD)
    assert (await link.status(second)).linked
    assert fake.count("login") == 2


async def test_concurrent_takes_count_exactly_the_limit(
    container: Container, clock: FakeClock
) -> None:
    throttle = ThrottleService(container.uow, clock=clock)
    limit = Limit(5, timedelta(hours=1))
    results = await asyncio.gather(*(throttle.take("k", limit) for _ in range(40)))
    granted = [r for r in results if r is None]
    assert len(granted) == 5
    assert {r.retry_at for r in results if r is not None} == {clock() + timedelta(hours=1)}
    await throttle.block("k", timedelta(minutes=90))
    clock.advance(hours=1)  # a new window, but the block lasts longer
    refusal = await throttle.take("k", limit)
    assert refusal is not None and refusal.retry_at == clock() + timedelta(minutes=30)
    clock.advance(minutes=30)
    assert await throttle.take("k", limit) is None


async def test_password_marker_is_set_by_the_prompt_and_cleared_by_the_password(
    env: tuple[Container, GarminLinkService], fake: FakeGarmin, clock: FakeClock
) -> None:
    c, link = env
    uid = await _user(c, 1)
    fake.add_account("one@example.org", PASSWORD)
    await link.await_password(uid)
    due = (await c.services.accounts.get(uid)).secret_due_until
    assert due == clock() + PASSWORD_WAIT and link.awaits_password(due)
    clock.advance(seconds=PASSWORD_WAIT.total_seconds())
    assert not link.awaits_password(due)  # expired by itself
    await link.await_password(uid)
    await link.start(uid, "one@example.org", PASSWORD)
    assert (await c.services.accounts.get(uid)).secret_due_until is None
    await link.await_password(uid)
    await link.stop_awaiting_password(uid)
    assert (await c.services.accounts.get(uid)).secret_due_until is None
