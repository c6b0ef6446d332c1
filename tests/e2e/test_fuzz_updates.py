"""Generated updates of every kind through the real dispatcher: nothing may blow up."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from itertools import count
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime.dispatcher import build_dispatcher
from bot.runtime.telegram import make_bot
from core.bootstrap import Container
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COMMANDS = ["start", "settings", "usage", "delete", "admin", "help", "cancel", "upgrade", "x"]
PREFIXES = ["set", "tz", "del", "upg", "pay", "x"]
_ids = count(1)

chat_ids = st.sampled_from([u.DEFAULT_USER_ID, 1, 424242, 2**40, 987_654_321])
junk = st.text(max_size=60)
texts = st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != "")


@st.composite
def users(draw: st.DrawFn, user_id: int) -> dict[str, Any]:
    return u.user(
        user_id,
        first_name=draw(st.text(min_size=1, max_size=80)),
        username=draw(st.none() | st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{4,31}", fullmatch=True)),
        language_code=draw(st.none() | st.sampled_from(["en", "de", "ru", "pt-br", "zz"])),
    )


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    """A text or command message from a private chat, sometimes as an edit."""
    chat_id = draw(chat_ids)
    if draw(st.booleans()):
        text = draw(texts)
        entities = None
    else:
        name = draw(st.sampled_from(COMMANDS))
        args = draw(junk)
        text = f"/{name} {args}".rstrip()
        entities = [{"type": "bot_command", "offset": 0, "length": len(name) + 1}]
    msg = u.message(chat_id, sender=draw(users(chat_id)), text=text)
    if entities:
        msg["entities"] = entities
    if draw(st.integers(0, 5)) == 0:
        msg["edit_date"] = msg["date"]
        return {"edited_message": msg}
    return {"message": msg}


@st.composite
def callbacks(draw: st.DrawFn) -> dict[str, Any]:
    """A button press with forged data, under a message or an inline one."""
    chat_id = draw(chat_ids)
    data = draw(
        st.text(max_size=64).filter(lambda s: len(s.encode()) <= 64)
        | st.builds(lambda p, j: f"{p}:{j}"[:64], st.sampled_from(PREFIXES), junk)
        | st.sampled_from(["tz:Europe/Berlin", "set:ftp", "set:units", "del:0", "upg:usage"])
    )
    update = u.callback_query(data.encode()[:64].decode(errors="ignore") or "x", chat_id=chat_id)
    update["callback_query"]["from"] = draw(users(chat_id))
    if draw(st.integers(0, 4)) == 0:
        del update["callback_query"]["message"]
        update["callback_query"]["inline_message_id"] = "AAAAAInline"
    return update


@st.composite
def other_kinds(draw: st.DrawFn) -> dict[str, Any]:
    """Update kinds the bot has no handler for."""
    uid = draw(chat_ids)
    who = draw(users(uid))
    chat = u.chat(uid)
    member = {"status": "member", "user": who}
    kicked = {"status": "kicked", "user": u.bot_user(), "until_date": 0}
    poll = {
        "id": str(next(_ids)),
        "question": draw(st.text(min_size=1, max_size=300)),
        "options": [
            {"persistent_id": "0", "text": "a", "voter_count": 1},
            {"persistent_id": "1", "text": "b", "voter_count": 0},
        ],
        "total_voter_count": 1,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    kind = draw(
        st.sampled_from(
            [
                "poll",
                "poll_answer",
                "reaction",
                "my_chat_member",
                "chat_member",
                "inline_query",
                "sticker",
                "location",
            ]
        )
    )
    if kind == "poll":
        return {"poll": poll}
    if kind == "poll_answer":
        return {
            "poll_answer": {
                "poll_id": "1",
                "user": who,
                "option_ids": [0],
                "option_persistent_ids": ["0"],
            }
        }
    if kind == "reaction":
        return {
            "message_reaction": {
                "chat": chat,
                "message_id": 1,
                "user": who,
                "date": u.now(),
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        }
    if kind in ("my_chat_member", "chat_member"):
        return {
            kind: {
                "chat": chat,
                "from": who,
                "date": u.now(),
                "old_chat_member": member
                if kind == "chat_member"
                else {"status": "member", "user": u.bot_user()},
                "new_chat_member": kicked,
            }
        }
    if kind == "inline_query":
        return {
            "inline_query": {
                "id": str(next(_ids)),
                "from": who,
                "query": draw(st.text(max_size=256)),
                "offset": "",
            }
        }
    if kind == "location":
        return {
            "message": u.message(uid, sender=who, location={"latitude": 52.5, "longitude": 13.4})
        }
    return u.sticker_message(chat_id=uid)


@pytest.fixture
async def wired(container: Container, bot_api: FakeBotAPI) -> AsyncIterator[tuple[Dispatcher, Bot]]:
    bot = make_bot(container.settings, token=bot_api.token)
    dp = build_dispatcher(container, bot_username=bot_api.bot_username)
    yield dp, bot
    await bot.session.close()


async def feed_all(
    batch: list[dict[str, Any]],
    wired: tuple[Dispatcher, Bot],
    api: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every update handled without an exception, an ERROR log or an off-spec request."""
    dp, bot = wired
    for raw in batch:
        data = {"update_id": next(_ids), **raw}
        assert api.spec.check_update(data) == [], data  # the generator itself stays honest
        await dp.feed_update(bot, Update.model_validate(data, context={"bot": bot}))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert api.violations == []


@FUZZ
@given(batch=st.lists(messages(), min_size=1, max_size=8))
async def test_texts_and_commands(
    batch: list[dict[str, Any]],
    wired: tuple[Dispatcher, Bot],
    bot_api: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await feed_all(batch, wired, bot_api, caplog)


@FUZZ
@given(batch=st.lists(callbacks() | messages(), min_size=1, max_size=8))
async def test_forged_callbacks_inside_dialogs(
    batch: list[dict[str, Any]],
    wired: tuple[Dispatcher, Bot],
    bot_api: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await feed_all(batch, wired, bot_api, caplog)


@FUZZ
@given(batch=st.lists(other_kinds(), min_size=1, max_size=6))
async def test_update_kinds_without_handlers(
    batch: list[dict[str, Any]],
    wired: tuple[Dispatcher, Bot],
    bot_api: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await feed_all(batch, wired, bot_api, caplog)
