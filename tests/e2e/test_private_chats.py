"""Groups and channels get a pointer to a private chat: no account, no handler, no admin."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy import func, select

from core.config import Settings
from core.db.models import User
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u

GROUP = -1_001_234_567_890
ADMIN_GROUP = -1_009_999_000_111
LINK = f"https://t.me/{u.BOT_USERNAME}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A group id in the admin list must not make the group's members admins.
    return settings.model_copy(update={"admin_chat_ids": f"424242,{ADMIN_GROUP}"})


async def _users(harness: BotHarness) -> int:
    async with harness.container.uow(readonly=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(User))).scalar_one())


async def _handled_now(harness: BotHarness, update: dict[str, Any]) -> None:
    """Run one update through the whole bot and return once it is done with it."""
    update = {"update_id": 900_000 + len(harness.api.requests), **update}
    await harness.dp.feed_update(
        harness.bot, Update.model_validate(update, context={"bot": harness.bot})
    )


def _mention(text: str, chat_id: int) -> dict[str, Any]:
    mention = f"@{u.BOT_USERNAME}"
    entity = {"type": "mention", "offset": 0, "length": len(mention)}
    return u.text_message(f"{mention} {text}", chat_id=chat_id, entities=[entity])


async def test_group_start_gets_the_link_and_makes_no_account(harness: BotHarness) -> None:
    texts = await harness.texts_after(u.command("start", chat_id=GROUP), chat_id=GROUP)
    assert texts == [f"I work in private chats only, so your training stays yours: message me "
                     f"at {LINK}."]  # fmt: skip
    assert await _users(harness) == 0


async def test_admin_listed_group_gets_nothing_admin(harness: BotHarness) -> None:
    texts = await harness.texts_after(u.command("admin", chat_id=ADMIN_GROUP), chat_id=ADMIN_GROUP)
    assert LINK in texts[0] and "Users:" not in texts[0]
    assert await _users(harness) == 0
    # The operator in a private chat still gets the figures.
    admin = await harness.texts_after(u.command("admin", chat_id=424242), chat_id=424242)
    assert "Users: 1" in admin[0]


async def test_mentions_and_replies_are_answered_other_talk_is_left_alone(
    harness: BotHarness,
) -> None:
    assert LINK in (await harness.texts_after(_mention("how was my run", GROUP), chat_id=GROUP))[0]
    reply = u.text_message("and this?", chat_id=GROUP)
    reply["message"]["reply_to_message"] = u.message(
        GROUP, sender=u.bot_user(), message_id=1, text="I work in private chats only"
    )
    assert LINK in (await harness.texts_after(reply, chat_id=GROUP))[0]
    sent = len(harness.api.sent_texts(GROUP))
    await _handled_now(harness, u.text_message("See you at the track at 7", chat_id=GROUP))
    other_bot = u.text_message("/start@some_other_bot", chat_id=GROUP, entities=[
        {"type": "bot_command", "offset": 0, "length": 21}
    ])  # fmt: skip
    await _handled_now(harness, other_bot)
    assert len(harness.api.sent_texts(GROUP)) == sent
    assert await _users(harness) == 0


async def test_group_button_gets_an_alert_and_no_account(harness: BotHarness) -> None:
    before = len(harness.api.calls("answerCallbackQuery"))
    harness.feed(u.callback_query("set:ftp", chat_id=GROUP))
    answers = await harness.api.wait_for("answerCallbackQuery", count=before + 1, timeout=30)
    assert LINK in answers[-1].params["text"] and answers[-1].params.get("show_alert") is True
    assert harness.api.sent_texts(GROUP) == []
    assert await _users(harness) == 0


async def test_added_to_a_group_says_so_once(harness: BotHarness) -> None:
    texts = await harness.texts_after(u.my_chat_member(GROUP), chat_id=GROUP)
    assert LINK in texts[0]
    assert await _users(harness) == 0


async def test_channel_posts_are_ignored(harness: BotHarness) -> None:
    channel = -1_007_777_000_222
    post = u.message(channel, text="/start", entities=[
        {"type": "bot_command", "offset": 0, "length": 6}
    ])  # fmt: skip
    post["chat"] = {"id": channel, "type": "channel", "title": "Club news"}
    post.pop("from")
    post["sender_chat"] = post["chat"]
    await _handled_now(harness, {"channel_post": post})
    assert harness.api.sent_texts(channel) == []
    assert await _users(harness) == 0
