"""The fake Bot API server, driven by a real aiogram Bot, and the spec checker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LabeledPrice,
)

from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.bot_api_spec import BotApiSpec, parse_html

CHAT = 5001


def _bot(api: FakeBotAPI) -> Bot:
    return Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))


def _keyboard(data: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="Go", callback_data=data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    b = _bot(api)
    yield b
    await b.session.close()


async def _raw_post(
    api: FakeBotAPI, method: str, data: dict[str, str], token: str = ""
) -> tuple[int, dict[str, Any]]:
    url = f"{api.base_url}/bot{token or api.token}/{method}"
    async with aiohttp.ClientSession() as s, s.post(url, data=data) as resp:
        return resp.status, await resp.json()


async def test_get_me_is_the_bot_user(bot: Bot, api: FakeBotAPI) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "trainbot_test_bot"
    assert me.id == bot.id


async def test_send_message_records_decoded_params_and_answers_a_message(
    bot: Bot, api: FakeBotAPI
) -> None:
    first = await bot.send_message(
        CHAT, "<b>Load</b> &amp; fatigue", parse_mode="HTML", reply_markup=_keyboard("week:1")
    )
    second = await bot.send_message(CHAT, "again")
    rec = api.calls("sendMessage")[0]
    assert rec.params["chat_id"] == CHAT
    assert rec.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Go", "callback_data": "week:1"}]]
    }
    assert first.text == "Load & fatigue" and first.chat.type == "private"
    assert first.reply_markup is not None and first.from_user is not None
    assert second.message_id == first.message_id + 1
    assert api.sent_texts(CHAT) == ["<b>Load</b> &amp; fatigue", "again"]
    assert [r.params["text"] for r in api.messages_by_chat[CHAT]] == api.sent_texts()
    assert api.violations == []


async def test_long_poll_returns_an_update_fed_while_waiting(bot: Bot, api: FakeBotAPI) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_until_polling()
    fed = api.feed(u.command("start"))
    got = await poll
    assert [x.update_id for x in got] == [fed["update_id"]]
    assert got[0].message is not None and got[0].message.text == "/start"
    assert await bot.get_updates(offset=fed["update_id"] + 1, timeout=0) == []


async def test_get_updates_honours_offset_and_limit(bot: Bot, api: FakeBotAPI) -> None:
    fed = api.feed_many([u.text_message(f"m{i}") for i in range(5)])
    ids = [x["update_id"] for x in fed]
    assert [x.update_id for x in await bot.get_updates(limit=2)] == ids[:2]
    assert [x.update_id for x in await bot.get_updates(offset=ids[3])] == ids[3:]
    assert [x.update_id for x in await bot.get_updates(offset=-1)] == ids[-1:]


async def test_allowed_updates_keeps_other_kinds_from_the_bot(bot: Bot, api: FakeBotAPI) -> None:
    api.feed(u.callback_query("week:1"))
    text = api.feed(u.text_message("hello"))
    got = await bot.get_updates(allowed_updates=["message"])
    assert [x.update_id for x in got] == [text["update_id"]]


async def test_document_downloads_through_get_file(bot: Bot, api: FakeBotAPI) -> None:
    content = bytes(range(256)) * 40
    doc = api.add_file(content, file_name="ride.fit", mime_type="application/vnd.ant.fit")
    api.feed(u.document_message(doc, caption="my ride"))
    update = (await bot.get_updates())[0]
    assert update.message is not None and update.message.document is not None
    file = await bot.get_file(update.message.document.file_id)
    assert file.file_size == len(content) and file.file_path
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == content


async def test_get_file_refuses_files_over_20_mb(bot: Bot, api: FakeBotAPI) -> None:
    doc = api.add_file(b"\0" * (20 * 1024 * 1024 + 1), file_name="big.fit")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(doc["file_id"])


async def test_uploaded_document_is_recorded_and_downloadable(bot: Bot, api: FakeBotAPI) -> None:
    sent = await bot.send_document(
        CHAT, BufferedInputFile(b"date,tss\n", "export.csv"), caption="Your export"
    )
    upload = api.calls("sendDocument")[0].params["document"]
    assert upload["filename"] == "export.csv" and upload["content"] == b"date,tss\n"
    assert sent.document is not None and sent.caption == "Your export"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == b"date,tss\n"
    assert api.violations == []


async def test_album_upload_resolves_attached_files(bot: Bot, api: FakeBotAPI) -> None:
    photos = [InputMediaPhoto(media=BufferedInputFile(bytes([i]) * 10, f"{i}.png")) for i in (1, 2)]
    sent = await bot.send_media_group(CHAT, list[Any](photos))
    items = api.calls("sendMediaGroup")[0].params["media"]
    assert [m["media"]["content"] for m in items] == [b"\x01" * 10, b"\x02" * 10]
    assert len(sent) == 2 and api.violations == []


async def test_json_body_and_any_token_are_accepted(api: FakeBotAPI) -> None:
    url = f"{api.base_url}/bot42:other-token/sendMessage"
    async with aiohttp.ClientSession() as s, s.post(url, json={"chat_id": 7, "text": "hi"}) as r:
        body = await r.json()
    assert body["ok"] and body["result"]["from"]["id"] == 42
    assert api.sent_texts(7) == ["hi"]


async def test_rate_limit_answers_429_as_retry_after() -> None:
    # One message an hour: the second send is refused however slowly the machine runs.
    async with FakeBotAPI(rate_limit_per_s=1 / 3600) as api:
        bot = _bot(api)
        try:
            await bot.send_message(CHAT, "first")
            with pytest.raises(TelegramRetryAfter) as err:
                await bot.send_message(CHAT, "second")
            assert err.value.retry_after >= 1
            assert api.status_counts[429] == 1 and len(api.messages_by_chat[CHAT]) == 1
        finally:
            await bot.session.close()


async def test_retry_after_once_hits_one_send_only(bot: Bot, api: FakeBotAPI) -> None:
    api.retry_after_once(CHAT, 7)
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(CHAT, "hi")
    assert err.value.retry_after == 7
    await bot.send_message(CHAT, "hi")
    assert api.sent_texts(CHAT) == ["hi"] and len(api.calls("sendMessage")) == 2


async def test_blocked_chat_answers_403(bot: Bot, api: FakeBotAPI) -> None:
    api.block_chat(CHAT)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "daily summary")
    await bot.send_message(CHAT + 1, "other athlete")
    assert api.status_counts[403] == 1 and CHAT not in api.messages_by_chat


async def test_fail_next_fails_one_call(bot: Bot, api: FakeBotAPI) -> None:
    api.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(TelegramServerError):
        await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")
    assert api.status_counts == {502: 1, 200: 1}


async def test_edit_with_same_content_is_not_modified(bot: Bot, api: FakeBotAPI) -> None:
    sent = await bot.send_message(CHAT, "Week 1", reply_markup=_keyboard("w:1"))
    await bot.edit_message_text(
        "Week 2", chat_id=CHAT, message_id=sent.message_id, reply_markup=_keyboard("w:2")
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Week 2", chat_id=CHAT, message_id=sent.message_id, reply_markup=_keyboard("w:2")
        )


async def test_telegram_rejections_for_bad_text(bot: Bot, api: FakeBotAPI) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(CHAT, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "pick", reply_markup=_keyboard("d" * 70))
    await bot.send_message(CHAT, "&lt;" * 4096, parse_mode="HTML")  # 4096 visible characters
    assert len(api.violations) == 3 and "70 bytes" in api.violations[-1]


async def test_unknown_method_and_bad_token(api: FakeBotAPI) -> None:
    status, body = await _raw_post(api, "sendTelepathy", {"chat_id": "1"})
    assert (status, body["description"]) == (404, "Not Found: method not found")
    status, body = await _raw_post(api, "getMe", {}, token="not-a-token")
    assert (status, body["error_code"]) == (401, 401)


async def test_unknown_parameter_is_a_violation_but_accepted(api: FakeBotAPI) -> None:
    form = {"chat_id": "7", "text": "hi", "colour": "red"}
    status, body = await _raw_post(api, "sendmessage", form)  # method names are case-insensitive
    assert status == 200 and body["result"]["chat"]["id"] == 7
    assert api.calls("sendMessage")[0].params == {"chat_id": 7, "text": "hi", "colour": "red"}
    assert api.violations == ["sendMessage: unknown parameter 'colour'"]


def test_spec_checker_passes_good_requests_and_flags_bad_ones() -> None:
    spec = BotApiSpec.load()
    good = {
        "chat_id": 1,
        "text": "hi",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]},
    }
    assert spec.check("sendMessage", good) == []
    assert spec.check("sendMessage", {"chat_id": "@channel", "text": "hi"}) == []
    bad = {
        "chat_id": 1.5,
        "parse_mode": "BBCode",
        "reply_markup": {"inline_keyboard": [[{"text": "a"}]]},
    }
    problems = "\n".join(spec.check("sendMessage", bad))
    assert "missing required 'text'" in problems
    assert "chat_id" in problems and "BBCode" in problems and "exactly one action" in problems
    assert spec.check("sendTelepathy", {}) == ["sendTelepathy: unknown method"]
    assert spec.check("sendPhoto", {"chat_id": 1, "photo": "AgAD", "caption": "c" * 1025})
    assert spec.check("setMyCommands", {"commands": [{"command": "Start", "description": "d"}]})


def test_html_parsing_matches_telegram_rules() -> None:
    assert parse_html('<a href="https://x.y">a</a> &lt;3 &amp; &quot;q&quot;') == (
        'a <3 & "q"',
        None,
    )
    assert parse_html("a <br> b")[1] == 'Unsupported start tag "br" at byte offset 2'
    assert "Unmatched end tag" in str(parse_html("<b><i>x</b></i>")[1])
    assert parse_html("2 < 3")[1] is not None


def test_update_builders_pass_the_update_type() -> None:
    spec = BotApiSpec.load()
    api = FakeBotAPI(spec=spec)  # feed() works without the server running
    doc = api.add_file(b"FIT", file_name="run.fit")
    built = [
        u.text_message("hello"),
        u.command("start", "ref42"),
        u.document_message(doc),
        u.callback_query("plan:accept"),
        u.pre_checkout_query(payload="pro-1m", total_amount=500),
        u.successful_payment_message(
            payload="pro-1m", total_amount=500, subscription_expiration_date=u.now() + 2_592_000
        ),
        u.edited_message("fixed", message_id=3),
        u.sticker_message(),
        u.voice_message(file=api.add_file(b"OggS", file_name="v.ogg", mime_type="audio/ogg")),
    ]
    for update in api.feed_many(built):
        assert spec.check_update(update) == [], update
    assert api.violations == []
    assert spec.check_update({"update_id": 1, "message": {"message_id": 1, "date": 0}}) == [
        "Update.message: missing required 'chat'"
    ]


async def test_send_message_draft_is_known_to_aiogram_and_the_spec(
    bot: Bot, api: FakeBotAPI
) -> None:
    from aiogram.methods import SendMessageDraft

    assert SendMessageDraft.__api_method__ == "sendMessageDraft"
    params = [(f.name, f.required) for f in BotApiSpec.load().params_of("sendMessageDraft")]
    assert params == [
        ("chat_id", True),
        ("message_thread_id", False),
        ("draft_id", True),
        ("text", False),
        ("parse_mode", False),
        ("entities", False),
    ]
    assert await bot.send_message_draft(chat_id=CHAT, draft_id=1, text="Thinking") is True
    assert api.violations == [] and CHAT not in api.messages_by_chat


async def test_webhook_blocks_polling_until_deleted(bot: Bot, api: FakeBotAPI) -> None:
    await bot.set_webhook("https://example.org/tg")
    assert (await bot.get_webhook_info()).url == "https://example.org/tg"
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_payments_and_commands(bot: Bot, api: FakeBotAPI) -> None:
    link = await bot.create_invoice_link(
        title="Pro",
        description="Pro plan, 1 month",
        payload="pro-1m",
        currency="XTR",
        prices=[LabeledPrice(label="Pro", amount=500)],
    )
    assert link.startswith("https://t.me/$") and api.invoice_links[link]["payload"] == "pro-1m"
    assert await bot.answer_pre_checkout_query("q1", ok=True)
    assert await bot.refund_star_payment(user_id=CHAT, telegram_payment_charge_id="ch1")
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert api.violations == []


async def test_wait_for_counts_and_times_out(bot: Bot, api: FakeBotAPI) -> None:
    sends = asyncio.gather(*(bot.send_message(100 + i, f"m{i}") for i in range(50)))
    got = await api.wait_for("sendMessage", count=50)
    await sends
    assert len(got) == 50 and sorted(api.messages_by_chat) == list(range(100, 150))
    one = await api.wait_for("sendMessage", predicate=lambda r: r.params["chat_id"] == 120)
    assert [r.params["text"] for r in one] == ["m20"]
    with pytest.raises(TimeoutError, match="0/1 answerCallbackQuery"):
        await api.wait_for("answerCallbackQuery", timeout=0)  # none will come: no waiting
