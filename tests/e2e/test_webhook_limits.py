"""`trainbot web` under load and at shutdown: updates in flight are capped, running ones are
drained, and SIGTERM stops the process through that drain."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest
from aiogram import Dispatcher, Router
from aiogram.types import Message
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from core.bootstrap import Container
from core.config import Settings
from core.gateways.cipher import new_key
from tests.e2e.harness import serving
from tests.e2e.test_webhook import SECRET, _healthz_when_up, free_port, post
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI

CEILING_S = 30
STARTUP_CEILING_S = 120  # a fresh interpreter imports the whole product, on a busy machine
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_secret": SECRET})


class Gate:
    """A message handler that holds every update until released, counting how many run."""

    def __init__(self, *, expected: int, full_at: int) -> None:
        self.running = self.peak = 0
        self.handled: list[str] = []
        self.cancelled: list[str] = []
        self.release = asyncio.Event()
        self.full = asyncio.Event()  # `full_at` handlers run at once
        self.all_done = asyncio.Event()  # `expected` handlers finished
        self._expected, self._full_at = expected, full_at
        self.router = Router(name="gate")
        self.router.message()(self.hold)

    async def hold(self, message: Message) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        if self.running >= self._full_at:
            self.full.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.append(message.text or "")
            raise
        finally:
            self.running -= 1
        self.handled.append(message.text or "")
        if len(self.handled) >= self._expected:
            self.all_done.set()


class Arrivals:
    """ASGI middleware that signals once `count` HTTP requests reached the app."""

    def __init__(self, count: int) -> None:
        self.seen = 0
        self.count = count
        self.all = asyncio.Event()

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def arrived(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.seen += 1
                if self.seen >= self.count:
                    self.all.set()
            await app(scope, receive, send)

        return arrived


async def app_with(
    container: Container, api: FakeBotAPI, gate: Gate, arrivals: Arrivals, **limits: Any
) -> AsyncIterator[FastAPI]:
    bot = make_bot(container.settings, token=api.token)
    dp = Dispatcher()
    dp.include_router(gate.router)
    app = create_app(container, dp, bot, **limits)
    app.add_middleware(arrivals.middleware)
    try:
        yield app
    finally:
        await bot.session.close()


def text_update(n: int) -> dict[str, Any]:
    return {"update_id": n, **u.text_message(f"update {n}")}


async def within(aw: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(aw, CEILING_S)


async def test_updates_beyond_the_cap_wait_for_a_slot(
    container: Container, bot_api: FakeBotAPI
) -> None:
    cap, total = 3, 7
    gate, arrivals = Gate(expected=total, full_at=cap), Arrivals(total)
    async for app in app_with(container, bot_api, gate, arrivals, max_in_flight=cap):
        async with serving(app) as client:
            posts = [asyncio.create_task(post(client, text_update(n))) for n in range(total)]
            await within(arrivals.all.wait())
            await within(gate.full.wait())
            # A full request through the same server: whatever the arrived updates could have
            # started has started by the time it is answered.
            assert (await client.get("/healthz")).status == 200
            assert gate.running == cap and gate.peak == cap
            assert sum(not p.done() for p in posts) >= total - cap  # these wait for a slot
            gate.release.set()
            responses = await within(asyncio.gather(*posts))
            assert [r.status for r in responses] == [200] * total
            await within(gate.all_done.wait())
    assert gate.peak == cap
    assert sorted(gate.handled) == sorted(f"update {n}" for n in range(total))


async def test_shutdown_finishes_running_updates_and_turns_waiting_ones_away(
    container: Container, bot_api: FakeBotAPI
) -> None:
    gate, arrivals = Gate(expected=1, full_at=1), Arrivals(2)
    async for app in app_with(container, bot_api, gate, arrivals, max_in_flight=1):
        async with serving(app) as client:
            running = asyncio.create_task(post(client, text_update(1)))
            await within(gate.full.wait())
            waiting = asyncio.create_task(post(client, text_update(2)))
            await within(arrivals.all.wait())
            closing = asyncio.create_task(client.server.stop())
            await within(app.state.closing.wait())  # the server stops taking updates
            # Not handled here: a 503 makes Telegram deliver it again, to the next instance;
            # answered at once, while the running update still holds the only slot.
            assert (await within(waiting)).status == 503
            assert not closing.done() and gate.running == 1
            gate.release.set()
            await within(closing)
            assert (await within(running)).status == 200
    assert gate.handled == ["update 1"] and gate.cancelled == []


async def test_shutdown_cancels_updates_that_outlast_the_drain(
    container: Container, bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    gate, arrivals = Gate(expected=1, full_at=1), Arrivals(1)
    caplog.set_level("INFO", logger="bot.web.telegram_webhook")
    async for app in app_with(container, bot_api, gate, arrivals, drain_timeout_s=1.0):
        async with serving(app) as client:
            running = asyncio.create_task(post(client, text_update(1)))
            await within(gate.full.wait())
            await within(client.server.stop())  # the handler is never released
            # Not handled: answered 503, so Telegram delivers it again, to the next instance.
            assert (await within(running)).status == 503
    assert gate.cancelled == ["update 1"] and gate.handled == []
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.web.telegram_webhook" and r.levelname == "WARNING"
    ]
    assert warnings == ["1 tasks still running after 1 s at shutdown; cancelling them"]


async def test_sigterm_stops_trainbot_web_cleanly(bot_api: FakeBotAPI, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "local",
        "LOG_LEVEL": "DEBUG",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'web.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "CREDENTIALS_KEYS": new_key(),
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE": bot_api.base_url,
        "WEBHOOK_URL": "https://bot.example.com",
        "WEBHOOK_SECRET": SECRET,
        "PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await bot_api.wait_for("setWebhook", timeout=STARTUP_CEILING_S)
        assert await _healthz_when_up(port) == 200
        process.send_signal(signal.SIGTERM)
        _, stderr = await within(process.communicate())
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "SIGTERM: stopping the web server" in log
    assert bot_api.token.split(":", 1)[1] not in log
