"""GET /readyz over real HTTP: ready on a current schema with Redis answering, 503 naming the
check that failed (a schema one migration behind, a Redis nobody listens on)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot

from bot.runtime.dispatcher import build_dispatcher
from bot.web.app import create_app
from core.bootstrap import Container
from core.config import Settings
from core.db import migrate
from tests.e2e.harness import serving
from tests.fakes import updates as u

REDIS_ENV = "TEST_REDIS_URL"
NOBODY_LISTENS = "redis://127.0.0.1:1/0"
PREVIOUS = "0005_row_level_security"


def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"needs {REDIS_ENV} (e.g. redis://127.0.0.1:6379/15)")
    return url


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """REDIS_URL: the test Redis, or what a test parametrizes `settings` with."""
    url = getattr(request, "param", None) or redis_url()
    return settings.model_copy(update={"redis_url": url})


async def readyz(container: Container) -> tuple[int, Any]:
    bot = Bot(u.DEFAULT_TOKEN)  # never called: readiness asks only the database and Redis
    dp = build_dispatcher(container, bot_username=u.BOT_USERNAME)
    try:
        async with serving(create_app(container, dp, bot, telegram=False)) as client:
            response = await client.get("/readyz")
            return response.status, await response.json()
    finally:
        await bot.session.close()
        await dp.storage.close()


@pytest.fixture
async def migrated(container: Container) -> AsyncIterator[Container]:
    await migrate.upgrade(container.engine)
    yield container


async def test_ready_on_a_current_schema_with_redis(migrated: Container) -> None:
    status, body = await readyz(migrated)
    assert status == 200
    assert body == {"status": "ready", "checks": {"schema": "ok", "redis": "ok"}}


@pytest.mark.parametrize("backend", ["sqlite"])  # the PostgreSQL database is shared by the suite
async def test_a_schema_one_migration_behind_is_not_ready(migrated: Container) -> None:
    await migrate.downgrade(migrated.engine, PREVIOUS)
    status, body = await readyz(migrated)
    assert status == 503
    assert body["status"] == "not ready" and body["failed"] == ["schema"]
    assert body["checks"]["schema"] == f"at {PREVIOUS}, expected {await _head()}"
    assert body["checks"]["redis"] == "ok"
    await migrate.upgrade(migrated.engine)
    assert (await readyz(migrated))[0] == 200


@pytest.mark.parametrize("settings", [NOBODY_LISTENS], indirect=True)
async def test_a_redis_that_does_not_answer_is_not_ready(migrated: Container) -> None:
    status, body = await readyz(migrated)
    assert status == 503
    assert body["failed"] == ["redis"]
    assert body["checks"]["schema"] == "ok"
    assert body["checks"]["redis"].startswith("unavailable: ")


async def _head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(migrate.alembic_config()).get_current_head())
