"""Update throughput through long polling: the full bot against a bare aiogram echo bot.

5000 "/settings" updates from 500 chats are queued at a fake Bot API server; the clock runs
until the fake has accepted all 5000 answers. /settings is the closest command to "account
lookup and nothing else": the account middleware resolves the chat's AccountContext (user,
plan and athlete profile) in one statement and the handler renders it. Every chat wrote once
before the clock starts (account creation is excluded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from typing import Any

from _common import ROOT, backends, database
from aiogram import Bot, Dispatcher
from aiogram.types import Message

from bot.runtime.app import UPDATE_CONCURRENCY
from bot.runtime.dispatcher import build_dispatcher
from bot.runtime.telegram import make_bot
from core.bootstrap import build
from core.config import Settings
from core.gateways.cipher import Cipher, new_key
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI

UPDATES = int(os.environ.get("BENCH_UPDATES", "5000"))
CHATS = 500
COMMAND = "settings"
assert str(ROOT) in sys.path


def batch(count: int) -> list[dict[str, Any]]:
    return [u.command(COMMAND, chat_id=100_000 + i % CHATS) for i in range(count)]


async def drive(api: FakeBotAPI, dp: Dispatcher, bot: Bot) -> float:
    """Warm every chat up, then time UPDATES updates; updates per second."""
    task = asyncio.create_task(
        dp.start_polling(
            bot,
            polling_timeout=1,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=dp.resolve_used_update_types(),
            tasks_concurrency_limit=UPDATE_CONCURRENCY,
        )
    )
    try:
        await api.wait_until_polling(timeout=10)
        api.feed_many(batch(CHATS))
        await api.wait_for("sendMessage", count=CHATS, timeout=60)
        start = time.perf_counter()
        api.feed_many(batch(UPDATES))
        await api.wait_for("sendMessage", count=CHATS + UPDATES, timeout=110)
        elapsed = time.perf_counter() - start
    finally:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await bot.session.close()
    assert api.violations == [], api.violations[:5]
    assert api.status_counts.keys() == {200}, api.status_counts
    return UPDATES / elapsed


async def full(backend: str) -> float:
    """The product: container, migrations, middleware, routers, services."""
    async with database(backend) as url, FakeBotAPI() as api:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, database_url=url, data_dir=tmp, telegram_api_base=api.base_url
            )
            container = build(settings, cipher=Cipher([new_key()]))
            try:
                dp = build_dispatcher(container, bot_username=api.bot_username)
                return await drive(api, dp, make_bot(settings, token=api.token))
            finally:
                await container.close()


async def bare() -> float:
    """aiogram alone: one handler echoing the text."""
    async with FakeBotAPI() as api:
        dp = Dispatcher()

        @dp.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

        settings = Settings(_env_file=None, telegram_api_base=api.base_url)  # type: ignore[call-arg]
        return await drive(api, dp, make_bot(settings, token=api.token))


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    for backend in backends():
        # The echo is timed right before each backend: on a shared machine the load drifts,
        # and the ratio should compare two runs made under the same load.
        echo = await bare()
        print(f"bare aiogram echo: {echo:8.0f} updates/s ({UPDATES} updates, {CHATS} chats)")
        rate = await full(backend)
        print(f"full bot, {backend:8s}: {rate:8.0f} updates/s   ratio full/bare {rate / echo:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
