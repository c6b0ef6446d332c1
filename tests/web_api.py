"""The web app served by uvicorn on 127.0.0.1, and a small client for its JSON API (tests,
benchmarks)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
from aiogram import Dispatcher

from bot.runtime.app import AppServer
from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from core.bootstrap import Container
from tests.fakes.webapp import init_data


class ApiClient:
    """Calls the API over HTTP; answers (status, JSON body)."""

    def __init__(self, base_url: str, http: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.http = http

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with self.http.request(
            method, self.base_url + path, json=json, headers=sent, params=params
        ) as resp:
            body = await resp.json(content_type=None) if await resp.read() else None
            self.last_headers = resp.headers
            return resp.status, body

    async def get(self, path: str, token: str, **params: str) -> tuple[int, Any]:
        return await self.call("GET", path, token=token, params=params or None)

    async def sign_in(
        self, chat_id: int, *, at: datetime, ip: str | None = None, **user: Any
    ) -> str:
        """A session token for this Telegram user, from fresh Mini App initData."""
        status, body = await self.call(
            "POST",
            "/api/auth/telegram",
            json={"init_data": init_data(chat_id, auth_date=at, **user)},
            headers={"X-Forwarded-For": ip} if ip else None,
        )
        assert status == 200, body
        token: str = body["access_token"]
        return token


@contextlib.asynccontextmanager
async def serving_api(container: Container) -> AsyncIterator[ApiClient]:
    """The web app of this container (no Telegram webhook) over HTTP, with an API client."""
    bot = make_bot(container.settings, token=container.settings.telegram_bot_token or "1:none")
    server = AppServer(
        create_app(container, Dispatcher(), bot, telegram=False), host="127.0.0.1", port=0
    )
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield ApiClient(f"http://127.0.0.1:{server.port}", http)
    finally:
        await server.stop()
        await bot.session.close()
