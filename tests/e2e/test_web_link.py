"""/web and /dashboard end to end: the bot's link signs a browser in once; the Mini App button
appears only for a public HTTPS address."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from core.config import Settings
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.clock import FakeClock
from tests.web_api import ApiClient, serving_api

LINK = re.compile(r"(http\S+)/app#code=([\w-]+)")


@pytest.fixture
async def api(harness: BotHarness) -> AsyncIterator[ApiClient]:
    async with serving_api(harness.container) as client:
        yield client


async def _link(harness: BotHarness, command: str = "web") -> tuple[str, str]:
    (text,) = await harness.texts_after(u.command(command))
    found = LINK.search(text)
    assert found is not None, text
    assert "works once, within 5 minutes" in text
    return found.group(1), found.group(2)


async def test_web_link_signs_a_browser_in_once(
    harness: BotHarness, api: ApiClient, clock: FakeClock
) -> None:
    base, code = await _link(harness)
    assert base == "http://127.0.0.1:8080"  # no public address: this machine, PORT
    assert harness.last_markup() is None  # Telegram takes no button for a local address
    send = harness.api.calls("sendMessage")[-1]
    assert send.params["link_preview_options"]["is_disabled"] is True

    status, body = await api.call("POST", "/api/auth/code", json={"code": code})
    assert status == 200, body
    status, me = await api.get("/api/me", body["access_token"])
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert status == 200 and account is not None and me["id"] == account.id

    assert (await api.call("POST", "/api/auth/code", json={"code": code}))[0] == 401


async def test_a_web_link_expires_in_five_minutes(
    harness: BotHarness, api: ApiClient, clock: FakeClock
) -> None:
    _, code = await _link(harness)
    clock.advance(minutes=5, seconds=1)
    status, body = await api.call("POST", "/api/auth/code", json={"code": code})
    assert status == 401 and "ask the bot for a new one" in body["error"]


async def test_dashboard_without_https_falls_back_to_the_link(
    harness: BotHarness, api: ApiClient
) -> None:
    _, code = await _link(harness, "dashboard")
    assert (await api.call("POST", "/api/auth/code", json={"code": code}))[0] == 200
    commands = {c["command"] for c in harness.api.commands}
    assert {"dashboard", "web"} <= commands


class TestPublicHttpsAddress:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"public_url": "https://train.example.org/"})

    async def test_dashboard_opens_the_mini_app(self, harness: BotHarness) -> None:
        (text,) = await harness.texts_after(u.command("dashboard"))
        assert "training dashboard" in text
        markup = harness.last_markup()
        assert markup is not None
        (button,) = markup["inline_keyboard"][0]
        assert button["web_app"] == {"url": "https://train.example.org/app"}

    async def test_web_link_gets_a_button(self, harness: BotHarness) -> None:
        base, code = await _link(harness)
        assert base == "https://train.example.org"
        markup = harness.last_markup()
        assert markup is not None
        assert markup["inline_keyboard"][0][0]["url"] == f"{base}/app#code={code}"


async def test_settings_shows_dashboard_sessions_and_signs_out_everywhere(
    harness: BotHarness, api: ApiClient, clock: FakeClock
) -> None:
    (before,) = await harness.texts_after(u.command("settings"))
    assert "Dashboard" not in before
    tokens = []
    for _ in range(2):
        _, code = await _link(harness)
        status, body = await api.call("POST", "/api/auth/code", json={"code": code})
        assert status == 200, body
        tokens.append(body["access_token"])

    (shown,) = await harness.texts_after(u.command("settings"))
    assert "<b>Dashboard</b>: signed in on 2 devices" in shown
    buttons = [b for row in harness.last_markup()["inline_keyboard"] for b in row]
    [sign_out] = [b for b in buttons if b["text"] == "Sign out of the dashboard everywhere"]

    done, again = await harness.texts_after(u.callback_query(sign_out["callback_data"]), 2)
    assert done == "Signed out of the dashboard on 2 devices."
    assert "Dashboard" not in again
    for token in tokens:
        assert (await api.get("/api/me", token))[0] == 401
