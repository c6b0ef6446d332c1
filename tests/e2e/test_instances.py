"""Two real `trainbot web` processes on one PostgreSQL database and one Redis, the fake Bot API
delivering webhook updates to both in turn: dialogs cross instances, a Garmin sign-in started on
one takes its code on the other, a Stripe event taken by one is seen by the other, and killing
one mid-load loses no update and answers none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from core.bootstrap import Container, build
from core.config import Settings
from core.gateways.cipher import Cipher, new_key
from tests import db
from tests.fakes import stripe_events as ev
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.stripe_api import FakeStripeAPI
from tests.fakes.webhook_sender import WebhookSender

ROOT = Path(__file__).resolve().parents[2]
REDIS_ENV = "TEST_REDIS_URL"
SECRET = "instances-webhook-secret"
EMAIL = "runner@example.org"
PASSWORD = "instances-Garmin-pw!"
CODE = "424242"
CEILING_S = 60.0

pytestmark = pytest.mark.skipif(
    not (db.pg_admin_url() and os.environ.get(REDIS_ENV)),
    reason=f"needs {db.PG_ENV} and {REDIS_ENV}",
)


class HoldingBotAPI(FakeBotAPI):
    """The fake Bot API that can hold sendMessage requests unanswered; a held request whose
    sender died meanwhile is dropped unrecorded (Telegram never accepted that message)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.held = 0
        self.dropped = 0
        self._hold = False
        self._release = asyncio.Event()
        self._held_changed = asyncio.Event()

    def hold(self) -> None:
        self._hold = True
        self._release.clear()

    def release(self) -> None:
        self._hold = False
        self._release.set()

    async def wait_held(self, n: int) -> None:
        async def reached() -> None:
            while self.held < n:
                self._held_changed.clear()
                await self._held_changed.wait()

        await asyncio.wait_for(reached(), CEILING_S)

    async def _handle(self, request: web.Request) -> web.Response:
        if self._hold and request.match_info["method"] == "sendMessage":
            self.held += 1
            self._held_changed.set()
            await self._release.wait()
            transport = request.transport
            if transport is None or transport.is_closing():
                self.dropped += 1
                return web.Response(status=499)
        return await super()._handle(request)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    bot_api: HoldingBotAPI
    stripe_api: FakeStripeAPI
    sender: WebhookSender
    container: Container  # the test's own view of the shared database
    urls: list[str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    async def say(self, update: dict[str, Any], to: int, chat_id: int) -> list[str]:
        """Deliver to instance `to`; the texts the chat got for it (the webhook answers once
        the update was handled)."""
        before = len(self.bot_api.sent_texts(chat_id))
        await self.sender.send(update, to=to)
        return self.bot_api.sent_texts(chat_id)[before:]


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`trainbot web` (with FakeGarmin) as a process of its own, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.run_web"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(CEILING_S * 4)):
            if proc.poll() is not None:
                raise AssertionError(f"instance exited: {await asyncio.to_thread(_tail, log)}")
            try:
                async with session.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
    raise AssertionError(f"instance not healthy: {await asyncio.to_thread(_tail, log)}")


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    url = await db.create_pg_database("trainbot_instances")
    await db.migrate_url(url)
    prefix = f"test-instances-{uuid.uuid4().hex[:8]}:"
    redis_url = os.environ[REDIS_ENV]
    key = new_key()
    procs: list[subprocess.Popen[bytes]] = []
    bot_api = HoldingBotAPI()
    async with bot_api, FakeStripeAPI() as stripe_api:
        ports = [_free_port(), _free_port()]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for i, port in enumerate(ports):
            env = {
                **os.environ,
                "APP_ENV": "local",
                "LOG_LEVEL": "WARNING",
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "REDIS_PREFIX": prefix,
                "TELEGRAM_BOT_TOKEN": u.DEFAULT_TOKEN,
                "TELEGRAM_API_BASE": bot_api.base_url,
                "WEBHOOK_URL": urls[i],
                "WEBHOOK_SECRET": SECRET,
                "PORT": str(port),
                "CREDENTIALS_KEYS": key,
                "DATA_DIR": str(tmp_path / f"data{i}"),
                "STRIPE_API_KEY": stripe_api.api_key,
                "STRIPE_API_BASE": stripe_api.base_url,
                "STRIPE_WEBHOOK_SECRET": ev.WEBHOOK_SECRET,
                "STRIPE_PRICE_ID": ev.PRICE_ID,
                "FAKE_GARMIN_ACCOUNT": f"{EMAIL}:{PASSWORD}:{CODE}",
            }
            procs.append(_spawn(env, tmp_path / f"web{i}.log"))
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url,
            data_dir=str(tmp_path / "test"),
            credentials_keys=key,
        )
        container = build(settings, cipher=Cipher([key]))
        try:
            for i, proc in enumerate(procs):
                await _healthy(urls[i], proc, tmp_path / f"web{i}.log")
            await bot_api.wait_for("setWebhook", count=2, timeout=CEILING_S)
            async with WebhookSender(urls, SECRET, give_up_s=CEILING_S * 2) as sender:
                yield Cluster(bot_api, stripe_api, sender, container, urls, procs)
        finally:
            bot_api.release()
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=CEILING_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            await container.close()
            redis = Redis.from_url(redis_url)
            try:
                names = [k async for k in redis.scan_iter(match=f"{prefix}*")]
                if names:
                    await redis.delete(*names)
            finally:
                await redis.aclose()
            await db.drop_pg_database(url)


async def test_instances_share_a_goal_dialog_and_a_garmin_sign_in_with_mfa(
    cluster: Cluster,
) -> None:
    chat = 9_100_001
    assert await cluster.say(u.command("start", chat_id=chat), 0, chat)
    assert "race called" in (await cluster.say(u.command("goal", "add", chat_id=chat), 1, chat))[0]
    assert "When is it" in (await cluster.say(u.text_message("Berlin", chat_id=chat), 0, chat))[0]
    await cluster.say(u.text_message("2027-09-26", chat_id=chat), 1, chat)
    added = await cluster.say(u.text_message("skip", chat_id=chat), 0, chat)
    assert added[0].startswith("Goal added") and "Berlin" in added[0]

    assert "email" in (await cluster.say(u.command("connect", chat_id=chat), 1, chat))[0]
    assert "password" in (await cluster.say(u.text_message(EMAIL, chat_id=chat), 0, chat))[0]
    # The password reaches instance 1: its Garmin client holds the half-done sign-in.
    asked = await cluster.say(u.text_message(PASSWORD, chat_id=chat), 1, chat)
    assert "one-time code" in asked[-1]
    # Both codes reach instance 0, which holds no sign-in: they are forwarded to instance 1.
    wrong = await cluster.say(u.text_message("111111", chat_id=chat), 0, chat)
    assert "did not accept that code" in wrong[0]
    done = await cluster.say(u.text_message(CODE, chat_id=chat), 0, chat)
    assert "linked" in done[0]
    account = await cluster.container.services.accounts.by_chat(chat)
    assert account is not None
    assert (await cluster.container.services.garmin_link.status(account.id)).linked
    for text in cluster.bot_api.sent_texts(chat):
        assert PASSWORD not in text


async def test_instances_see_a_stripe_event_taken_by_the_other_at_once(
    cluster: Cluster,
) -> None:
    chat = 9_100_002
    await cluster.say(u.command("start", chat_id=chat), 0, chat)
    assert "Plan: Free" in (await cluster.say(u.command("usage", chat_id=chat), 1, chat))[0]
    account = await cluster.container.services.accounts.by_chat(chat)
    assert account is not None
    sub = cluster.stripe_api.add_subscription(user_id=account.id)
    evt = ev.checkout_completed(
        user_id=account.id, customer=sub["customer"], subscription=sub["id"]
    )
    body, signature = ev.signed(evt, ev.WEBHOOK_SECRET)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            cluster.urls[0] + "/stripe/webhook",
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
    assert (await cluster.container.services.gate.plan_for(account.id)).code == "pro"
    assert "Plan: Pro" in (await cluster.say(u.command("usage", chat_id=chat), 1, chat))[0]


async def test_instance_killed_mid_load_loses_no_update_and_doubles_none(
    cluster: Cluster,
) -> None:
    chats = [9_200_000 + i for i in range(80)]
    await cluster.sender.send_all([u.command("start", chat_id=c) for c in chats])
    before = {c: len(cluster.bot_api.sent_texts(c)) for c in chats}
    in_flight = 40  # the sender's max_connections: every one is held in a handler
    cluster.bot_api.hold()
    load = asyncio.gather(*(cluster.sender.send(u.command("goal", chat_id=c)) for c in chats))
    await cluster.bot_api.wait_held(in_flight)
    victim = cluster.procs[0]
    victim.send_signal(signal.SIGKILL)
    await asyncio.to_thread(victim.wait, CEILING_S)
    cluster.bot_api.release()
    deliveries = await asyncio.wait_for(load, CEILING_S * 2)
    assert len(deliveries) == len(chats)
    answers = {c: cluster.bot_api.sent_texts(c)[before[c] :] for c in chats}
    assert {c: len(a) for c, a in answers.items() if len(a) != 1} == {}
    assert cluster.bot_api.dropped > 0  # the killed instance held some when it died
    redelivered = [d for d in deliveries if len(d.attempts) > 1]
    assert redelivered
