"""The bot's session sends a fixed keyboard exactly as aiogram would, made into JSON once."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.runtime.telegram import BotSession
from bot.views.common import FixedKeyboard

ROWS = [
    [InlineKeyboardButton(text="One", callback_data="a:1")],
    [InlineKeyboardButton(text="Site", url="https://example.org")],
]


def _fields(session: AiohttpSession, bot: Bot, method: SendMessage) -> dict[str, Any]:
    form = session.build_form_data(bot, method)
    return {opts["name"]: value for opts, _headers, value in form._fields}


def test_a_fixed_keyboard_is_sent_as_aiogram_sends_it_and_serialised_once() -> None:
    bot = Bot("42:TEST")
    fixed = FixedKeyboard(inline_keyboard=ROWS)
    plain = InlineKeyboardMarkup(inline_keyboard=ROWS)
    ours = BotSession()
    for _ in range(2):
        got = _fields(ours, bot, SendMessage(chat_id=1, text="Hi", reply_markup=fixed))
        want = _fields(AiohttpSession(), bot, SendMessage(chat_id=1, text="Hi", reply_markup=plain))
        assert got == want
    assert list(ours._fixed) == [id(fixed)]  # made once, then reused
    other = _fields(ours, bot, SendMessage(chat_id=1, text="Hi", reply_markup=plain))
    assert other == want and len(ours._fixed) == 1  # a keyboard built per message is not kept
