"""/metrics over real HTTP: the webhook app after updates and a push, the bearer token, and the
worker's own metrics server (a real `trainbot worker` process, stopped by SIGTERM)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.runtime.telegram import make_bot
from core import metrics
from core.bootstrap import Container
from core.config import Settings
from tests.e2e.harness import WebClient
from tests.e2e.test_webhook import SECRET, free_port, post, serve, start_update
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.push_notes import enqueue_note, note_notifier

TOKEN = "scrape-me-0123456789"
CEILING_S = 60
PROJECT = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The webhook's settings; a test parametrizing `settings` indirectly sets METRICS_TOKEN."""
    return settings.model_copy(
        update={
            "webhook_secret": SECRET,
            "webhook_url": "https://bot.example.com/",
            "metrics_token": getattr(request, "param", None),
        }
    )


@pytest.fixture
async def client(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[WebClient]:
    async for c in serve(container, bot_api):
        yield c


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: WebClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, response.status
    assert response.headers["Content-Type"].startswith("text/plain")
    return parse(await response.text())


async def test_updates_and_pushes_show_up_in_metrics(
    client: WebClient, container: Container, bot_api: FakeBotAPI
) -> None:
    before = parse(metrics.exposition().decode())  # this process's counters so far
    assert (await post(client, start_update())).status == 200
    await bot_api.wait_for("sendMessage", count=2)
    press = {"update_id": 2, **u.callback_query("tz:Europe/Berlin")}
    assert (await post(client, press)).status == 200
    await bot_api.wait_for("sendMessage", count=3)
    account = await container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    await enqueue_note(container.services.pushes, account.id, "m:1", "a push for metrics")
    bot = make_bot(container.settings, token=bot_api.token)
    try:  # a direct push; the enqueued one waits in the outbox
        notifier = note_notifier(bot, container.services.pushes, rate_per_s=20)
        assert await notifier.send_text(u.DEFAULT_USER_ID, "a direct push for metrics")
    finally:
        await bot.session.close()

    after = await scrape(client)
    grown = {
        dict(labels)["handler"]
        for (name, labels), v in after.items()
        if name == "trainbot_updates_total"
        and dict(labels)["type"] in {"message", "callback_query"}
        and v > value(before, name, **dict(labels))
    }
    assert any(h.startswith("start.") for h in grown), grown
    assert len(grown) == 2  # the /start command and the timezone button: two handlers
    count = value(after, "trainbot_update_seconds_count", type="message")
    assert count >= value(before, "trainbot_update_seconds_count", type="message") + 1
    buckets = [k for k in after if k[0] == "trainbot_update_seconds_bucket"]
    assert any(dict(labels)["le"] == "+Inf" for _, labels in buckets)
    sent = value(after, "trainbot_pushes_total", outcome="sent")
    assert sent >= value(before, "trainbot_pushes_total", outcome="sent") + 1
    assert value(after, "trainbot_outbox_pushes", status="pending") == 1
    values = {v for _, labels in after for _, v in labels}  # no user ids, no chat text
    assert {str(u.DEFAULT_USER_ID), str(account.id)}.isdisjoint(values)
    assert not [v for v in values if "push for metrics" in v or "Berlin" in v or "/" in v]


@pytest.mark.parametrize("settings", [TOKEN], indirect=True)
async def test_metrics_token_asks_for_the_bearer(client: WebClient) -> None:
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status == 401
    assert (await client.get("/metrics", headers={"Authorization": TOKEN})).status == 401
    samples = await scrape(client, Authorization=f"Bearer {TOKEN}")
    assert any(name.startswith("trainbot_") for name, _ in samples)
    assert (await client.get("/healthz")).status == 200  # the probes stay open


async def test_a_worker_process_serves_metrics_on_metrics_port_until_sigterm(
    settings: Settings, tmp_path: Path, bot_api: FakeBotAPI
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "local",
        "LOG_LEVEL": "INFO",
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "CREDENTIALS_KEYS": settings.credentials_keys or "",
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_BASE": bot_api.base_url,
        "METRICS_PORT": str(port),
        "METRICS_TOKEN": TOKEN,
        "LOG_FORMAT": "json",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "worker",
        cwd=PROJECT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        body = await _first_scrape(url, {"Authorization": f"Bearer {TOKEN}"})
        assert "trainbot_pushes_total" in body or "trainbot_outbox_pushes" in body
        assert "# TYPE trainbot_updates_total counter" in body
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.status == 401
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), CEILING_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert f'"message": "metrics on port {port}"' in log  # LOG_FORMAT=json
    assert TOKEN not in log
    with pytest.raises(aiohttp.ClientConnectionError):  # stopped with the worker
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            await response.read()


async def _first_scrape(url: str, headers: dict[str, str]) -> str:
    """The worker's first answer, once it listens (it migrates the database first)."""
    async with asyncio.timeout(CEILING_S), aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url, headers=headers) as response:
                    assert response.status == 200
                    return await response.text()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.2)
