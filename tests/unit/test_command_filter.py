"""The command filters look at the command's name first and otherwise answer as aiogram's."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from aiogram import Bot
from aiogram.filters import Command as AiogramCommand
from aiogram.filters import CommandObject
from aiogram.types import Chat, Message

from bot.handlers.filters import Command, CommandStart


def _message(text: str | None, caption: str | None = None) -> Message:
    chat = Chat(id=1, type="private")
    return Message(message_id=1, date=datetime.now(UTC), chat=chat, text=text, caption=caption)


CASES = [
    "/settings",
    "/settings now",
    "/Settings",
    "/today",
    "/set",
    "/settingsx",
    "settings",
    "/",
    "/ settings",
    "!settings",
    "/settings@trainbot extra words",
]


@pytest.mark.parametrize("text", CASES)
async def test_a_command_filter_answers_as_aiogram_s(text: str) -> None:
    bot = Bot("42:TEST")
    ours = Command("settings", "config", ignore_mention=True)
    theirs = AiogramCommand("settings", "config", ignore_mention=True)
    assert await ours(_message(text), bot) == await theirs(_message(text), bot)


async def test_what_the_handler_gets_is_aiogram_s_command_object() -> None:
    bot = Bot("42:TEST")
    got = await Command("goal")(_message("/goal add Berlin 2027-09-26"), bot)
    assert got == {
        "command": CommandObject(prefix="/", command="goal", args="add Berlin 2027-09-26")
    }
    assert await Command("goal")(_message(None, caption="/goal"), bot) == {
        "command": CommandObject(prefix="/", command="goal")
    }
    assert await Command("goal")(_message("/today"), bot) is False


async def test_case_patterns_and_start_keep_their_meaning() -> None:
    bot = Bot("42:TEST")
    assert await Command("Help", ignore_case=True)(_message("/HELP"), bot)
    assert await Command("help")(_message("/HELP"), bot) is False
    pattern = Command(re.compile(r"act_\d+"))
    matched = await pattern(_message("/act_12"), bot)
    assert isinstance(matched, dict) and matched["command"].regexp_match is not None
    start = CommandStart(deep_link=True)
    linked = await start(_message("/start web-123"), bot)
    assert isinstance(linked, dict) and linked["command"].args == "web-123"
    assert await start(_message("/start"), bot) is False
    assert await start(_message("/settings web-123"), bot) is False
