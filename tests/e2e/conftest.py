"""E2E fixtures: the real bot against the fake Bot API, on SQLite; Stripe where a module asks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.bootstrap import Container
from core.config import Settings
from tests.e2e.harness import BotHarness, running_bot
from tests.fakes import stripe_events as ev
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.stripe_api import FakeStripeAPI


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stripe: the bot is wired to the fake Stripe API")


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
async def stripe_api() -> AsyncIterator[FakeStripeAPI]:
    async with FakeStripeAPI() as api:
        yield api


@pytest.fixture
def settings(settings: Settings, bot_api: FakeBotAPI, request: pytest.FixtureRequest) -> Settings:
    """The bot's settings; a module marked `stripe` also gets Stripe, signed with
    ev.WEBHOOK_SECRET."""
    update: dict[str, Any] = {
        "telegram_api_base": bot_api.base_url,
        "telegram_bot_token": bot_api.token,
        "admin_chat_ids": "424242",
    }
    if request.node.get_closest_marker("stripe") is not None:
        stripe_api: FakeStripeAPI = request.getfixturevalue("stripe_api")
        update |= {
            "stripe_api_key": stripe_api.api_key,
            "stripe_api_base": stripe_api.base_url,
            "stripe_price_id": ev.PRICE_ID,
            "stripe_webhook_secret": ev.WEBHOOK_SECRET,
        }
    return settings.model_copy(update=update)


@pytest.fixture
async def harness(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with running_bot(container, bot_api) as h:
        yield h
