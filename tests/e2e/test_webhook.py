"""The Telegram webhook and /healthz over real HTTP, and `trainbot web` registering itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runtime.app import WEBHOOK_PATH, run_web
from bot.runtime.dispatcher import build_dispatcher
from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from core.bootstrap import Container, build
from core.config import Settings
from core.gateways.cipher import Cipher, new_key
from tests.db import PG_SKIP_REASON, pg_admin_url
from tests.e2e.harness import WebClient, serving
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI

SECRET = "s3cret"
OTHER_CHAT = 555_000_111


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_secret": SECRET,
            "webhook_url": "https://bot.example.com/",
            "port": free_port(),
        }
    )


async def serve(container: Container, api: FakeBotAPI) -> AsyncIterator[WebClient]:
    """`trainbot web`'s app, served by uvicorn on 127.0.0.1."""
    bot = make_bot(container.settings, token=api.token)
    dp = build_dispatcher(container, bot_username=api.bot_username)
    try:
        async with serving(create_app(container, dp, bot)) as c:
            yield c
    finally:
        await bot.session.close()


@pytest.fixture
async def client(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[WebClient]:
    async for c in serve(container, bot_api):
        yield c


async def post(
    client: WebClient, body: Any, *, secret: str | None = SECRET
) -> aiohttp.ClientResponse:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return await client.post(WEBHOOK_PATH, data=data, headers=headers)


def start_update(chat_id: int = u.DEFAULT_USER_ID, update_id: int = 1) -> dict[str, Any]:
    return {"update_id": update_id, **u.command("start", chat_id=chat_id)}


async def test_secret_and_body_are_checked_before_anything_runs(
    client: WebClient,
    container: Container,
    bot_api: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = start_update(OTHER_CHAT, update_id=7)
    assert (await post(client, other, secret=None)).status == 401
    assert (await post(client, other, secret="s3cret-not")).status == 401
    assert (await post(client, other, secret="")).status == 401
    # Telegram redelivers an update on any answer but a 2xx: what is not an update is
    # acknowledged (and logged), never bounced.
    caplog.set_level("WARNING", logger="bot.web.telegram_webhook")
    assert (await post(client, "{not json")).status == 200
    assert (await post(client, b"\xff\xfe")).status == 200
    broken = {"update_id": 9, "message": {"text": "my private words", "chat": {"id": OTHER_CHAT}}}
    for not_update in ({"hello": 1}, [1, 2], '"text"', {"update_id": "x"}, broken):
        response = await post(client, not_update)
        assert response.status == 200 and await response.json() == {"ok": True}, not_update
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.web.telegram_webhook"]
    assert len(logged) == 7
    assert sum("not JSON" in line for line in logged) == 2
    assert any(line.startswith("update 9 is not a valid Update") for line in logged)
    assert "my private words" not in caplog.text
    # A good update afterwards: once it is answered, anything the rejected ones had
    # started would have shown up too.
    response = await post(client, start_update())
    assert response.status == 200 and await response.json() == {"ok": True}
    await bot_api.wait_for(
        "sendMessage", count=2, predicate=lambda r: r.params.get("chat_id") == u.DEFAULT_USER_ID
    )
    assert "Hi Alex" in bot_api.sent_texts(u.DEFAULT_USER_ID)[0]
    assert bot_api.sent_texts(OTHER_CHAT) == []
    assert await container.services.accounts.by_chat(OTHER_CHAT) is None
    assert await container.services.accounts.by_chat(u.DEFAULT_USER_ID) is not None


async def test_callback_through_the_webhook(client: WebClient, bot_api: FakeBotAPI) -> None:
    assert (await post(client, start_update())).status == 200
    await bot_api.wait_for("sendMessage", count=2)
    press = {"update_id": 2, **u.callback_query("tz:Europe/Berlin")}
    assert (await post(client, press)).status == 200
    await bot_api.wait_for("answerCallbackQuery")
    sent = await bot_api.wait_for("sendMessage", count=3)
    assert "Europe/Berlin" in sent[2].params["text"]


async def test_healthz_ok(client: WebClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param(
            "postgres", marks=pytest.mark.skipif(not pg_admin_url(), reason=PG_SKIP_REASON)
        ),
    ],
)
async def test_healthz_answers_while_a_write_holds_the_database(
    client: WebClient, container: Container
) -> None:
    # The unit of work holds the write transaction (on SQLite: the one write connection, with
    # BEGIN IMMEDIATE's lock) until healthz has answered; a probe that needs the writer waits.
    async with container.uow() as uow:
        await uow.users.update_fields(-1, first_name="held")
        response = await asyncio.wait_for(client.get("/healthz"), timeout=20)
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_healthz_503_when_the_database_cannot_be_opened(
    tmp_path: Path, settings: Settings, bot_api: FakeBotAPI
) -> None:
    directory = tmp_path / "not-a-db"
    directory.mkdir()  # SQLite cannot open a directory as its database file
    broken = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{directory}"})
    container = build(broken, cipher=Cipher([new_key()]))
    try:
        async for c in serve(container, bot_api):
            response = await c.get("/healthz")
            assert response.status == 503
            assert (await response.json())["status"] != "ok"
    finally:
        await container.close()


async def test_web_mode_registers_the_webhook_and_serves(
    container: Container, bot_api: FakeBotAPI, settings: Settings
) -> None:
    task = asyncio.create_task(run_web(container))
    try:
        (call,) = await bot_api.wait_for("setWebhook", timeout=10)
        params = call.params
        assert params["url"] == "https://bot.example.com" + WEBHOOK_PATH
        assert params["url"].endswith("/telegram/webhook")
        assert params["secret_token"] == SECRET
        assert params["max_connections"] == 100  # answered once handled: many in flight
        allowed = params["allowed_updates"]
        assert isinstance(allowed, list) and {"message", "callback_query"} <= set(allowed)
        assert set(allowed) <= set(bot_api.spec.update_types)
        assert bot_api.webhook_url == params["url"]
        assert await _healthz_when_up(settings.port) == 200
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _healthz_when_up(port: int) -> int:
    """Poll until the server listens (it starts right after setWebhook)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")
