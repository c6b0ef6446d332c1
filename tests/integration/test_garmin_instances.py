"""A Garmin sign-in started by one process takes its one-time code in another: the code goes
through Redis to the process whose Garmin client holds the half-done login."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from core.bootstrap import Container
from core.errors import GarminAuthError, GarminMfaExpired, GarminMfaRequired
from core.garmin.link import GarminLinkService
from core.gateways.garmin.pending import RedisMfaRelay
from tests.fakes.clock import FakeClock
from tests.fakes.garmin import FakeGarmin

REDIS_ENV = "TEST_REDIS_URL"
EMAIL = "relay@example.org"
PASSWORD = "relay-Garmin-pw!"
CODE = "135790"

pytestmark = pytest.mark.skipif(not os.environ.get(REDIS_ENV), reason=f"needs {REDIS_ENV}")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(os.environ[REDIS_ENV])
    yield client
    await client.aclose()


@pytest.fixture
async def pair(
    container: Container, clock: FakeClock, redis: Redis
) -> AsyncIterator[tuple[GarminLinkService, GarminLinkService, FakeGarmin, FakeGarmin]]:
    """Two processes' link services on one database and one Redis, each with its own Garmin
    client (as two processes have)."""
    prefix = f"test-relay-{uuid.uuid4().hex[:8]}:"
    relays = [RedisMfaRelay(redis, prefix=prefix) for _ in range(2)]
    fakes = [FakeGarmin(), FakeGarmin()]
    services = [
        GarminLinkService(container.uow, f, container.cipher, clock=clock, relay=r)
        for f, r in zip(fakes, relays, strict=True)
    ]
    for f in fakes:
        f.add_account(EMAIL, PASSWORD, mfa=True, code=CODE)
    try:
        yield services[0], services[1], fakes[0], fakes[1]
    finally:
        for r in relays:
            await r.close()
        names = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if names:
            await redis.delete(*names)


async def _user(c: Container) -> int:
    return (await c.services.accounts.get_or_create(4_400_001, first_name="Ana")).id


async def test_code_sent_to_another_instance_reaches_the_held_login(
    container: Container,
    pair: tuple[GarminLinkService, GarminLinkService, FakeGarmin, FakeGarmin],
) -> None:
    holder, other, holder_garmin, other_garmin = pair
    user_id = await _user(container)
    with pytest.raises(GarminMfaRequired):
        await holder.start(user_id, EMAIL, PASSWORD)
    with pytest.raises(GarminAuthError):  # a wrong code keeps the login waiting
        await other.submit_code(user_id, "000000")
    assert other.waiting_for_code(user_id)
    await other.submit_code(user_id, CODE)
    assert (await other.status(user_id)).linked
    assert not other.waiting_for_code(user_id) and not holder.waiting_for_code(user_id)
    # Only the holder's Garmin client ever saw the login and its codes.
    assert holder_garmin.count("submit_mfa") == 2 and other_garmin.count("submit_mfa") == 0
    with pytest.raises(GarminMfaExpired):  # done: nothing waits any more, anywhere
        await other.submit_code(user_id, CODE)


async def test_code_for_a_login_whose_instance_stopped_has_expired(
    container: Container,
    pair: tuple[GarminLinkService, GarminLinkService, FakeGarmin, FakeGarmin],
) -> None:
    holder, other, _, other_garmin = pair
    user_id = await _user(container)
    with pytest.raises(GarminMfaRequired):
        await holder.start(user_id, EMAIL, PASSWORD)
    await holder.disconnect(user_id)  # the athlete gave up: the login is forgotten
    with pytest.raises(GarminMfaExpired):
        await other.submit_code(user_id, CODE)
    assert not (await other.status(user_id)).linked
    assert other_garmin.count("submit_mfa") == 0
