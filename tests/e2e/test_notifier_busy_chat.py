"""The notifier over real HTTP: a chat with many pushes never holds up the other chats."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.runtime.telegram import make_bot
from core.bootstrap import Container
from core.config import Settings
from core.notify.outbox import PushService
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.clock import FakeClock
from tests.push_notes import enqueue_note, note_notifier

WORKERS = 4
BUSY_CHAT = 5000


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api
        assert api.violations == [], api.violations


@pytest.fixture
async def bot(settings: Settings, bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    b = make_bot(settings, token=bot_api.token)
    yield b
    await b.session.close()


@pytest.fixture
def pushes(container: Container, clock: FakeClock) -> PushService:
    return PushService(container.uow, clock)


async def _enqueue(c: Container, pushes: PushService, chat: int, texts: list[str]) -> None:
    uid = (await c.services.accounts.get_or_create(chat, first_name="Ann")).id
    for i, text in enumerate(texts):
        await enqueue_note(pushes, uid, f"a:{chat}:{i}", text)


async def test_other_chats_go_out_while_a_busy_chat_waits_its_turn(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    # More pushes to one chat than there are workers, queued before everyone else's.
    busy = [f"busy {i}" for i in range(WORKERS + 1)]
    await _enqueue(container, pushes, BUSY_CHAT, busy)
    others = range(5001, 5009)
    for chat in others:
        await _enqueue(container, pushes, chat, [f"hello {chat}"])

    result = await note_notifier(bot, pushes, rate_per_s=50, concurrency=WORKERS).flush()

    assert result.sent == len(busy) + len(others) and result.failed == 0
    order = [r.params["chat_id"] for r in bot_api.calls("sendMessage") if r.ok]
    second_busy = [i for i, chat in enumerate(order) if chat == BUSY_CHAT][1]
    assert set(order[:second_busy]) == {BUSY_CHAT, *others}, order
    assert bot_api.sent_texts(BUSY_CHAT) == busy  # the busy chat's own order holds
    assert await pushes.counts() == {"sent": len(busy) + len(others)}


async def test_a_long_push_keeps_its_parts_together_in_order(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    long_text = "\n\n".join(f"Part {i}: " + "x" * 3000 for i in range(3))  # three messages
    await _enqueue(container, pushes, BUSY_CHAT, [long_text, "after the long one"])
    await _enqueue(container, pushes, 5001, ["hello"])

    # One worker: it must not sit out the long push's pauses between parts.
    result = await note_notifier(bot, pushes, rate_per_s=50, concurrency=1).flush()

    assert result.sent == 3
    texts = bot_api.sent_texts(BUSY_CHAT)
    assert [t.split(":")[0] for t in texts] == ["Part 0", "Part 1", "Part 2", "after the long one"]
    order = [r.params["chat_id"] for r in bot_api.calls("sendMessage") if r.ok]
    assert order.index(5001) < order.index(BUSY_CHAT, 1)  # not stuck behind the long push
