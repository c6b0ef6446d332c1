"""The notifier over real HTTP against the fake Bot API: floods, blocks, crashes, exactly once."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.delivery.notifier import Notifier
from bot.runtime.telegram import make_bot
from core.bootstrap import Container
from core.config import Settings
from core.garmin.notices import LinkBroken
from core.notify.kinds import GARMIN_LINK_BROKEN, NEW_ACTIVITIES
from core.notify.outbox import PushService
from tests.fakes.bot_api import FakeBotAPI, Recorded
from tests.fakes.clock import FakeClock
from tests.push_notes import enqueue_note, note_notifier

MARKUP = {"inline_keyboard": [[{"text": "Link Garmin again", "callback_data": "garmin:connect"}]]}


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    """Telegram with a global limit of 10 messages a second (429 with retry_after beyond)."""
    async with FakeBotAPI(rate_limit_per_s=10) as api:
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


async def _users(c: Container, chats: range) -> dict[int, int]:
    """chat_id -> user_id"""
    accounts = c.services.accounts
    return {chat: (await accounts.get_or_create(chat, first_name="Ann")).id for chat in chats}


def _accepted(api: FakeBotAPI, chat: int) -> list[Recorded]:
    return [r for r in api.messages_by_chat.get(chat, []) if r.ok]


async def test_every_push_arrives_once_through_floods_and_a_block(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    users = await _users(container, range(1001, 1031))
    expected: dict[int, list[str]] = {}
    for chat, uid in users.items():
        texts = [f"summary for {chat}"] + ([f"second for {chat}"] if chat % 10 == 1 else [])
        for i, text in enumerate(texts):
            await enqueue_note(pushes, uid, f"s:{uid}:{i}", text,
                               markup=MARKUP if chat == 1002 else None)  # fmt: skip
        expected[chat] = texts
    bot_api.retry_after_once(1003, 1)
    bot_api.retry_after_once(1004, 2)
    bot_api.block_chat(1005)

    result = await note_notifier(bot, pushes, rate_per_s=20).flush()

    assert result.sent == 32 and result.blocked == 1 and result.failed == 0
    assert result.retried_429 >= 2
    for chat, texts in expected.items():
        got = [r.params["text"] for r in _accepted(bot_api, chat)]
        assert got == ([] if chat == 1005 else texts), chat
    assert _accepted(bot_api, 1002)[0].params["reply_markup"] == MARKUP
    assert (await container.services.accounts.get(users[1005])).is_blocked is True
    assert await pushes.status(f"s:{users[1005]}:0") == "blocked"
    assert await pushes.counts() == {"sent": 32, "blocked": 1}
    assert await note_notifier(bot, pushes, rate_per_s=20).flush() == type(result)()  # nothing left


async def test_long_and_photo_pushes(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    users = await _users(container, range(2001, 2003))
    long_text = "\n\n".join(f"Paragraph {i}: " + "x" * 900 for i in range(9))  # > 8192 chars
    await enqueue_note(pushes, users[2001], "long", long_text, markup=MARKUP)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    await enqueue_note(pushes, users[2002], "chart", "Your week", photo=png)

    result = await note_notifier(bot, pushes, rate_per_s=20, per_chat_interval_s=0.05).flush()

    assert result.sent == 2
    parts = _accepted(bot_api, 2001)
    assert len(parts) >= 3 and all(len(r.params["text"]) <= 4096 for r in parts)
    assert "".join(r.params["text"] for r in parts).replace("\n", "") == long_text.replace("\n", "")
    assert parts[-1].params.get("reply_markup") == MARKUP
    assert "reply_markup" not in parts[0].params
    [photo] = _accepted(bot_api, 2002)
    assert photo.method == "sendPhoto" and photo.params["caption"] == "Your week"


async def test_a_cancelled_flush_loses_nothing_and_repeats_nothing(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    users = await _users(container, range(3001, 3041))
    for chat, uid in users.items():
        await enqueue_note(pushes, uid, f"s:{uid}", f"hi {chat}")
    bot_api.retry_after_once(3030, 1)

    task = asyncio.create_task(note_notifier(bot, pushes, rate_per_s=8).flush())
    await bot_api.wait_for("sendMessage", count=12, predicate=lambda r: r.ok)
    task.cancel()  # the worker dies mid-flush
    with pytest.raises(asyncio.CancelledError):
        await task
    delivered = sum(len(_accepted(bot_api, chat)) for chat in users)
    counts = await pushes.counts()
    assert counts["sent"] == delivered  # every accepted push, and only those, is marked
    assert 12 <= delivered < 40 and counts["pending"] == 40 - delivered

    result = await note_notifier(bot, pushes, rate_per_s=20).flush()  # the restarted worker

    assert result.sent == 40 - delivered
    assert all(len(_accepted(bot_api, chat)) == 1 for chat in users)
    assert await pushes.counts() == {"sent": 40}


async def test_direct_send_is_limited_split_and_notices_a_block(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    users = await _users(container, range(4001, 4003))
    bot_api.retry_after_once(4001, 1)
    bot_api.block_chat(4002)
    notifier = Notifier(bot, pushes, rate_per_s=20)

    assert await notifier.send_text(4001, "a" * 5000, reply_markup=MARKUP) is True
    assert await notifier.send_text(4002, "hello") is False

    sent = _accepted(bot_api, 4001)
    assert [len(r.params["text"]) for r in sent] == [4096, 904]
    assert sent[-1].params["reply_markup"] == MARKUP
    assert (await container.services.accounts.get(users[4002])).is_blocked is True
    assert notifier.totals.retried_429 == 1 and notifier.totals.blocked == 1


async def test_rows_queued_before_data_are_sent_as_stored_beside_new_ones(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    users = await _users(container, range(6001, 6004))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    old_rows = {  # payloads as the outbox stored them before pushes carried data
        6001: {"text": "<b>Good morning!</b> Form +3", "reply_markup": MARKUP},
        6002: {"text": "Your week", "photo_png_b64": base64.b64encode(png).decode("ascii")},
    }
    async with container.uow() as uow:
        for chat, payload in old_rows.items():
            await uow.pushes.add(users[chat], kind="summary", dedup_key=f"old:{chat}",
                                 payload=payload)  # fmt: skip
        await uow.commit()
    await pushes.enqueue(users[6003], kind=GARMIN_LINK_BROKEN, dedup_key="new", data=LinkBroken())

    result = await Notifier(bot, pushes, rate_per_s=20).flush()

    assert result.sent == 3 and result.failed == 0
    [old_text] = _accepted(bot_api, 6001)
    assert old_text.params["text"] == "<b>Good morning!</b> Form +3"
    assert old_text.params["reply_markup"] == MARKUP  # its button still starts /connect
    [old_photo] = _accepted(bot_api, 6002)
    assert old_photo.method == "sendPhoto" and old_photo.params["caption"] == "Your week"
    [new] = _accepted(bot_api, 6003)
    assert new.params["text"].startswith("Garmin Connect no longer accepts my sign-in")
    assert new.params["reply_markup"] == MARKUP  # the same button, built by the view


async def test_a_push_its_view_cannot_read_fails_alone(
    container: Container, bot_api: FakeBotAPI, bot: Bot, pushes: PushService
) -> None:
    users = await _users(container, range(7001, 7004))
    await pushes.enqueue(users[7001], kind="no_such_kind", dedup_key="unknown", data={})
    await pushes.enqueue(users[7002], kind=NEW_ACTIVITIES, dedup_key="bad", data={"total": "x"})
    await pushes.enqueue(users[7003], kind=GARMIN_LINK_BROKEN, dedup_key="ok", data=LinkBroken())

    result = await Notifier(bot, pushes, rate_per_s=20).flush()

    assert (result.sent, result.failed) == (1, 2)
    statuses = [await pushes.status(k) for k in ("unknown", "bad", "ok")]
    assert statuses == ["failed", "failed", "sent"]
    async with container.uow() as uow:
        bad = await uow.pushes.by_key("bad")
    assert bad is not None and bad.payload["error"] == "not renderable: ValidationError"
    assert _accepted(bot_api, 7001) == [] and _accepted(bot_api, 7002) == []
