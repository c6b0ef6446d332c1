"""With REDIS_URL the bot keeps dialog state in Redis, shared by every web instance."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from core.config import Settings
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="Redis tests need TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)"
)


@pytest.fixture
async def redis_client() -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL or "")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def settings(settings: Settings, redis_client: redis.Redis) -> Settings:
    return settings.model_copy(update={"redis_url": REDIS_URL})


async def test_dialog_state_lives_in_redis(harness: BotHarness, redis_client: redis.Redis) -> None:
    await harness.texts_after(u.command("settings"))
    asked = await harness.texts_after(u.callback_query("set:hr_max"))
    assert "maximum heart rate" in asked[0]
    keys = [k.decode() for k in await redis_client.keys("fsm:*")]
    assert any(str(u.DEFAULT_USER_ID) in k and k.endswith(":state") for k in keys), keys
    saved = await harness.texts_after(u.text_message("191"))
    assert "HR max: 191" in saved[0]
    profile = await harness.container.services.accounts.profile(
        (await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)).id  # type: ignore[union-attr]
    )
    assert profile.hr_max == 191
