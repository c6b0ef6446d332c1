"""The bot's session sends a fixed keyboard exactly as aiogram would, made into JSON once, and
does not parse its echo back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramForbiddenError
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

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


def _answer(markup: dict[str, Any] | None) -> str:
    message: dict[str, Any] = {
        "message_id": 7,
        "date": 1_700_000_000,
        "chat": {"id": 1, "type": "private", "first_name": "Alex"},
        "text": "Hi",
    }
    if markup is not None:
        message["reply_markup"] = markup
    return json.dumps({"ok": True, "result": message})


def test_the_keyboard_echoed_back_is_not_parsed_again_for_a_fixed_keyboard() -> None:
    bot = Bot("42:TEST")
    session = BotSession()
    echoed = {"inline_keyboard": [[{"text": "One", "callback_data": "a:1"}]]}
    fixed = SendMessage(chat_id=1, text="Hi", reply_markup=FixedKeyboard(inline_keyboard=ROWS))
    got = session.check_response(bot, fixed, 200, _answer(echoed)).result
    assert isinstance(got, Message) and got.message_id == 7 and got.text == "Hi"
    assert got.reply_markup is None
    # A keyboard built for one message comes back as aiogram returns it.
    plain = SendMessage(
        chat_id=1, text="Hi", reply_markup=InlineKeyboardMarkup(inline_keyboard=ROWS)
    )
    back = session.check_response(bot, plain, 200, _answer(echoed)).result
    assert back.reply_markup is not None
    assert back.reply_markup.inline_keyboard[0][0].callback_data == "a:1"


def test_errors_keep_aiogram_s_meaning_with_a_fixed_keyboard() -> None:
    bot = Bot("42:TEST")
    method = SendMessage(chat_id=1, text="Hi", reply_markup=FixedKeyboard(inline_keyboard=ROWS))
    error = json.dumps(
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"}
    )
    with pytest.raises(TelegramForbiddenError):
        BotSession().check_response(bot, method, 403, error)
    with pytest.raises(ClientDecodeError):
        BotSession().check_response(bot, method, 200, "<html>bad gateway</html>")
