"""The web app as served: its API docs work offline, the client's address behind proxies, the
Mini App's menu button, and `trainbot run` serving the app on PORT next to polling."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fastapi import Request

from bot.runtime.app import AppServer, run_web, set_menu_button
from bot.runtime.dispatcher import build_dispatcher
from bot.runtime.telegram import make_bot
from bot.web.app import create_app
from bot.web.deps import WEBHOOK_MAX_BODY, client_ip
from core.bootstrap import Container
from core.config import Settings
from core.errors import ConfigError
from core.gateways.cipher import new_key
from tests.e2e.harness import WebClient, serving
from tests.e2e.test_webhook import SECRET, free_port
from tests.fakes.bot_api import FakeBotAPI

CEILING_S = 30
STARTUP_CEILING_S = 120  # a fresh interpreter imports the whole product, on a busy machine
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IP_PATH = "/test/client-ip"


@pytest.fixture
async def client(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[WebClient]:
    """`trainbot web`'s app, plus a route that answers with client_ip(request)."""
    bot = make_bot(container.settings, token=bot_api.token)
    dp = build_dispatcher(container, bot_username=bot_api.bot_username)
    app = create_app(container, dp, bot)

    async def whoami(request: Request) -> dict[str, str]:
        return {"ip": client_ip(request)}

    app.add_api_route(IP_PATH, whoami, methods=["GET"], include_in_schema=False)
    try:
        async with serving(app) as c:
            yield c
    finally:
        await bot.session.close()


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)


async def test_openapi_schema_leaves_out_the_webhooks(client: WebClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    schema = await response.json()
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "Training Analyzer"
    hidden = {"/telegram/webhook", "/stripe/webhook", "/healthz", IP_PATH}
    assert hidden.isdisjoint(schema["paths"])


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
async def test_docs_pages_load_everything_from_the_app_itself(client: WebClient, page: str) -> None:
    response = await client.get(page)
    assert response.status == 200
    html = await response.text()
    assert "/api/openapi.json" in html
    assert re.findall(r"https?://|//cdn|googleapis", html) == []  # no CDN, no fonts, no validator
    assets = _asset_urls(html)
    assert len(assets) >= 2  # the script and its stylesheet or icon
    for url in assets:
        assert url.startswith("/api/docs/static/"), url
        asset = await client.get(url)
        assert asset.status == 200 and len(await asset.read()) > 0, url


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium for Playwright")
async def test_swagger_ui_renders_offline_in_a_browser(client: WebClient) -> None:
    from playwright.async_api import async_playwright

    requested: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = await browser.new_page()
            page.on("request", lambda r: requested.append(r.url))
            await page.goto(client.base_url + "/api/docs", timeout=CEILING_S * 1000)
            title = page.locator(".swagger-ui .info .title")
            await title.wait_for(timeout=CEILING_S * 1000)
            assert "Training Analyzer" in await title.inner_text()
        finally:
            await browser.close()
    assert client.base_url + "/api/openapi.json" in requested
    assert [u for u in requested if not u.startswith(client.base_url + "/")] == []


@pytest.mark.parametrize("path", ["/telegram/webhook", "/stripe/webhook"])
async def test_webhook_bodies_over_2_mb_are_refused(client: WebClient, path: str) -> None:
    body = b"{" + b" " * WEBHOOK_MAX_BODY + b"}"
    response = await client.post(path, data=body, headers={"Content-Type": "application/json"})
    assert response.status == 413


async def _ip(client: WebClient, trusted: str, *forwarded: str) -> str:
    app = client.app
    app.state.container = dataclasses.replace(
        app.state.container,
        settings=app.state.container.settings.model_copy(update={"trusted_proxies": trusted}),
    )
    headers = [("X-Forwarded-For", value) for value in forwarded]
    response = await client.get(IP_PATH, headers=headers)
    assert response.status == 200
    return str((await response.json())["ip"])


async def test_client_ip_believes_x_forwarded_for_only_from_trusted_proxies(
    client: WebClient,
) -> None:
    # The test talks to the app from 127.0.0.1: the peer every answer falls back to.
    assert await _ip(client, "") == "127.0.0.1"
    assert await _ip(client, "", "203.0.113.7") == "127.0.0.1"
    assert await _ip(client, "10.0.0.0/8, 192.168.1.1", "203.0.113.7") == "127.0.0.1"
    # From a trusted proxy: the right-most address that is not a trusted proxy; what the
    # client wrote to the left of it is never believed.
    assert await _ip(client, "127.0.0.1", "203.0.113.7") == "203.0.113.7"
    spoofed = "6.6.6.6, 203.0.113.7, 10.1.2.3"
    assert await _ip(client, "127.0.0.0/8,10.0.0.0/8", spoofed) == "203.0.113.7"
    assert await _ip(client, "127.0.0.1", spoofed) == "10.1.2.3"
    assert await _ip(client, "127.0.0.1, 10.0.0.0/8", "6.6.6.6", "203.0.113.9, 10.0.0.2") == (
        "203.0.113.9"  # two headers count as one list
    )
    assert await _ip(client, "127.0.0.1, 10.0.0.0/8", "10.0.0.1, 10.0.0.2") == "10.0.0.1"
    assert await _ip(client, "127.0.0.1", "2001:db8::1") == "2001:db8::1"
    # Junk from a trusted proxy: its own address is the last one known.
    assert await _ip(client, "127.0.0.1", "not-an-address") == "127.0.0.1"
    assert await _ip(client, "127.0.0.1") == "127.0.0.1"


async def test_a_bad_trusted_proxies_setting_stops_the_start(
    container: Container, bot_api: FakeBotAPI
) -> None:
    broken = dataclasses.replace(
        container,
        settings=container.settings.model_copy(update={"trusted_proxies": "10.0.0.0/8, proxy"}),
    )
    bot = make_bot(container.settings, token=bot_api.token)
    try:
        with pytest.raises(ConfigError) as caught:
            create_app(broken, build_dispatcher(broken, bot_username=None), bot)
    finally:
        await bot.session.close()
    assert caught.value.message == (
        "TRUSTED_PROXIES has 'proxy', which is neither an IP address nor a network."
    )


async def test_a_port_in_use_is_one_clear_sentence(client: WebClient) -> None:
    taken = client.server.port
    other = AppServer(client.app, host="127.0.0.1", port=taken)
    with pytest.raises(ConfigError) as caught:
        await other.start()
    await other.stop()  # nothing started: nothing to stop
    assert caught.value.message.startswith(f"Cannot listen on port {taken} (")
    assert caught.value.message.endswith("set PORT to a free port.")
    assert (await client.get("/healthz")).status == 200  # the first server is untouched


def _menu_buttons(api: FakeBotAPI) -> list[Any]:
    return [r.params.get("menu_button") for r in api.calls("setChatMenuButton") if r.ok]


@pytest.mark.parametrize(
    ("public_url", "webhook_url", "opens"),
    [
        ("https://dash.example.com/", None, "https://dash.example.com/app"),
        (None, "https://bot.example.com", "https://bot.example.com/app"),
        ("https://dash.example.com", "https://bot.example.com", "https://dash.example.com/app"),
    ],
)
async def test_menu_button_opens_the_dashboard_at_an_https_app_url(
    settings: Settings,
    bot_api: FakeBotAPI,
    public_url: str | None,
    webhook_url: str | None,
    opens: str,
) -> None:
    configured = settings.model_copy(update={"public_url": public_url, "webhook_url": webhook_url})
    bot = make_bot(configured, token=bot_api.token)
    try:
        assert await set_menu_button(bot, configured) is True
    finally:
        await bot.session.close()
    button = {"type": "web_app", "text": "Dashboard", "web_app": {"url": opens}}
    assert _menu_buttons(bot_api) == [button]
    (call,) = bot_api.calls("setChatMenuButton")
    assert "chat_id" not in call.params  # the default button, for every chat


@pytest.mark.parametrize(
    ("public_url", "why"),
    [
        (None, "no PUBLIC_URL or WEBHOOK_URL is set"),
        ("http://192.168.1.20:8080", "PUBLIC_URL is not https"),
    ],
)
async def test_menu_button_is_left_alone_without_https(
    settings: Settings,
    bot_api: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
    public_url: str | None,
    why: str,
) -> None:
    configured = settings.model_copy(update={"public_url": public_url, "port": 8123})
    caplog.set_level("INFO", logger="bot.runtime.app")
    bot = make_bot(configured, token=bot_api.token)
    try:
        assert await set_menu_button(bot, configured) is False
    finally:
        await bot.session.close()
    assert bot_api.calls("setChatMenuButton") == []
    logged = [r.getMessage() for r in caplog.records if "menu button" in r.getMessage()]
    assert len(logged) == 1
    assert why in logged[0] and "http://127.0.0.1:8123/app" in logged[0]


async def test_web_mode_sets_the_menu_button_before_the_webhook(
    container: Container, bot_api: FakeBotAPI, settings: Settings
) -> None:
    container = dataclasses.replace(
        container,
        settings=settings.model_copy(
            update={
                "webhook_secret": SECRET,
                "webhook_url": "https://bot.example.com/",
                "port": free_port(),
            }
        ),
    )
    task = asyncio.create_task(run_web(container))
    try:
        await bot_api.wait_for("setWebhook", timeout=CEILING_S)
        button = {
            "type": "web_app",
            "text": "Dashboard",
            "web_app": {"url": "https://bot.example.com/app"},
        }
        assert _menu_buttons(bot_api) == [button]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_sigterm_stops_trainbot_run_which_serves_the_app_on_port(
    bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "local",
        "LOG_LEVEL": "INFO",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "CREDENTIALS_KEYS": new_key(),
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE": bot_api.base_url,
        "PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await bot_api.wait_until_polling(timeout=STARTUP_CEILING_S)
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for path in ("/healthz", "/api/openapi.json", "/api/docs"):
                async with session.get(base + path) as response:
                    assert response.status == 200, path
            # Polling takes the updates: the app next to it has no Telegram webhook.
            async with session.post(base + "/telegram/webhook", json={}) as response:
                assert response.status == 404
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), CEILING_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert f"listening on port {port}" in log
    assert "Dashboard menu button not set: no PUBLIC_URL or WEBHOOK_URL is set" in log
    assert bot_api.calls("setChatMenuButton") == []
    assert bot_api.calls("deleteWebhook") and bot_api.calls("setWebhook") == []
    assert bot_api.token.split(":", 1)[1] not in log
