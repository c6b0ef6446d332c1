"""E2E fixtures: the real bot against the fake Bot API, on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.bootstrap import Container
from core.config import Settings
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes.bot_api import FakeBotAPI


@pytest.fixture
def backend() -> str:
    """E2E runs on the SQLite default; the database suites cover PostgreSQL."""
    return "sqlite"


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api
        # Every request the bot made in the test must match the Bot API spec.
        assert api.violations == [], api.violations


@pytest.fixture
def settings(settings: Settings, bot_api: FakeBotAPI) -> Settings:
    return settings.model_copy(
        update={
            "telegram_api_base": bot_api.base_url,
            "telegram_bot_token": bot_api.token,
            "admin_chat_ids": "424242",
        }
    )


@pytest.fixture
async def harness(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with running_bot(container, bot_api) as h:
        yield h
