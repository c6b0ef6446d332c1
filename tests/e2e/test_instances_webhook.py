"""One update delivered twice (Telegram redelivers what got no 2xx, to any instance) is handled
once: in one process with the ledger in memory, across instances with it in Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import cast

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.web.telegram_webhook import RedisLedger
from core.bootstrap import Container
from core.config import Settings
from tests.e2e.harness import serving
from tests.e2e.test_webhook import SECRET, post
from tests.e2e.test_webhook_limits import Arrivals, Gate, app_with, text_update, within
from tests.fakes.bot_api import FakeBotAPI

REDIS_ENV = "TEST_REDIS_URL"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_secret": SECRET})


async def test_instance_handles_a_redelivered_update_once(
    container: Container, bot_api: FakeBotAPI
) -> None:
    gate, arrivals = Gate(expected=1, full_at=1), Arrivals(2)
    async for app in app_with(container, bot_api, gate, arrivals):
        async with serving(app) as client:
            first = asyncio.create_task(post(client, text_update(7)))
            await within(gate.full.wait())
            # Delivered again while the first delivery runs: it waits for that one to end.
            again = asyncio.create_task(post(client, text_update(7)))
            await within(arrivals.all.wait())
            gate.release.set()
            assert (await within(first)).status == 200
            assert (await within(again)).status == 200
            # And once more, long after: acknowledged, not handled.
            assert (await post(client, text_update(7))).status == 200
    assert gate.handled == ["update 7"] and gate.peak == 1


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"needs {REDIS_ENV}")
    client = Redis.from_url(url)
    yield client
    await client.aclose()


async def test_two_instances_share_handled_updates_through_redis(
    container: Container, bot_api: FakeBotAPI, redis: Redis
) -> None:
    prefix = f"test-ledger-{uuid.uuid4().hex[:8]}:"
    gates = [Gate(expected=1, full_at=1), Gate(expected=1, full_at=1)]
    arrivals = [Arrivals(1), Arrivals(1)]
    apps = [
        cast(AsyncGenerator[FastAPI, None], app_with(container, bot_api, g, a))
        for g, a in zip(gates, arrivals, strict=True)
    ]
    ledgers = [RedisLedger(redis, prefix=prefix) for _ in range(2)]
    try:
        one, two = [await anext(a) for a in apps]
        one.state.ledger, two.state.ledger = ledgers
        async with serving(one) as c1, serving(two) as c2:
            first = asyncio.create_task(post(c1, text_update(41)))
            await within(gates[0].full.wait())
            again = asyncio.create_task(post(c2, text_update(41)))  # the other instance
            await within(arrivals[1].all.wait())
            gates[0].release.set()
            gates[1].release.set()
            assert (await within(first)).status == 200
            assert (await within(again)).status == 200
            assert (await post(c2, text_update(41))).status == 200
            # An update the first instance let go (cancelled) is handled by the next delivery.
            token = await ledgers[0].claim(42)
            assert isinstance(token, str)
            await ledgers[0].release(42, token)
            assert (await post(c2, text_update(42))).status == 200
    finally:
        for ledger in ledgers:
            await ledger.close()
        for a in apps:
            await a.aclose()
        names = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if names:
            await redis.delete(*names)
    assert gates[0].handled == ["update 41"]
    assert gates[1].handled == ["update 42"]
