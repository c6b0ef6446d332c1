"""The real bot, polling a fake Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher
from fastapi import FastAPI

from bot.runtime.app import AppServer, set_commands
from bot.runtime.dispatcher import build_dispatcher
from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from core.bootstrap import Container
from tests.fakes.bot_api import FakeBotAPI, Recorded
from tests.fakes.updates import DEFAULT_USER_ID


class BotHarness:
    """Feeds updates and waits for what the bot sends back."""

    def __init__(self, api: FakeBotAPI, bot: Bot, dp: Dispatcher, container: Container) -> None:
        self.api = api
        self.bot = bot
        self.dp = dp
        self.container = container

    def feed(self, update: dict[str, Any]) -> None:
        self.api.feed(update)

    async def texts_after(
        self,
        update: dict[str, Any],
        count: int = 1,
        *,
        chat_id: int = DEFAULT_USER_ID,
        timeout: float = 30.0,  # noqa: ASYNC109 (a test helper passing it on)
    ) -> list[str]:
        """Feed one update and return the next `count` texts sent to that chat."""
        before = len(self.api.sent_texts(chat_id))
        self.api.feed(update)
        await self.api.wait_for(
            "sendMessage",
            count=before + count,
            timeout=timeout,
            predicate=lambda r: r.ok and _chat(r) == chat_id,
        )
        return self.api.sent_texts(chat_id)[before : before + count]

    def last_markup(self, chat_id: int = DEFAULT_USER_ID) -> dict[str, Any] | None:
        sends = [r for r in self.api.messages_by_chat.get(chat_id, []) if r.method == "sendMessage"]
        return sends[-1].params.get("reply_markup") if sends else None


def _chat(r: Recorded) -> Any:
    return r.params.get("chat_id")


@contextlib.asynccontextmanager
async def running_bot(container: Container, api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """Start polling against `api`; stop it and close the session afterwards."""
    bot = make_bot(container.settings, token=api.token)
    dp = build_dispatcher(container, bot_username=api.bot_username)
    await set_commands(bot)
    task = asyncio.create_task(
        dp.start_polling(
            bot,
            polling_timeout=1,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=dp.resolve_used_update_types(),
        )
    )
    try:
        await api.wait_until_polling(timeout=10)
        yield BotHarness(api, bot, dp, container)
    finally:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await bot.session.close()


class WebClient:
    """HTTP to an app served by uvicorn on 127.0.0.1; each answer is read in full, so its
    connection is free again when the call returns."""

    def __init__(self, app: FastAPI, server: AppServer, session: aiohttp.ClientSession) -> None:
        self.app = app
        self.server = server
        self.session = session
        self.base_url = f"http://127.0.0.1:{server.port}"

    async def request(self, method: str, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        response = await self.session.request(method, self.base_url + path, **kwargs)
        await response.read()
        return response

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("POST", path, **kwargs)


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[WebClient]:
    """Serve `app` with uvicorn on a free port of 127.0.0.1 as the product does (lifespan,
    drain at shutdown); stopped, and drained, on leaving."""
    server = AppServer(app, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield WebClient(app, server, session)
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def serving_web(container: Container, api: FakeBotAPI) -> AsyncIterator[WebClient]:
    """The web app as `trainbot run` serves it next to polling (no Telegram webhook)."""
    bot = make_bot(container.settings, token=api.token)
    dp = build_dispatcher(container, bot_username=api.bot_username)
    try:
        async with serving(create_app(container, dp, bot, telegram=False)) as client:
            yield client
    finally:
        await bot.session.close()
