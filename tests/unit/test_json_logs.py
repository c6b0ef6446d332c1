"""LOG_FORMAT=json: one JSON object per line with time, level, logger and message; inside an
update its id and our user's id; never the chat's text; secrets redacted as in text logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, Update

from bot.runtime import metrics
from bot.runtime.logging_setup import REDACTED, update_context
from bot.runtime.middlewares import AccountMiddleware
from core.config import Settings
from tests.fakes import updates as u
from tests.log_capture import configured_logging

TOKEN = u.DEFAULT_TOKEN
PRIVATE_TEXT = "my knee hurts since the crash, do not tell anyone"
ACCOUNT_ID = 4711


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=str(tmp_path),
        log_level="DEBUG",
        log_format="json",
        telegram_bot_token=TOKEN,
        openai_api_key="sk-proj-0penAiKeyForTests0123456789",
    )


@pytest.fixture
def output(settings: Settings) -> Iterator[io.StringIO]:
    yield from configured_logging(settings)


def lines(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def test_each_record_is_one_json_line_with_its_fields(output: io.StringIO) -> None:
    logging.getLogger("core.coach").info("answered in %s ms", 42)
    with update_context(update_id=7, user_id=3):
        logging.getLogger("bot.handlers.coach").warning("slow answer")
        with update_context(update_id=8):  # a nested one keeps the outer user
            logging.getLogger("bot.handlers.coach").info("inner")
    logging.getLogger("core.coach").info("after")
    first, inside, inner, after = lines(output)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "INFO" and first["logger"] == "core.coach"
    assert first["message"] == "answered in 42 ms" and first["time"].endswith("+00:00")
    assert inside["update_id"] == 7 and inside["user_id"] == 3 and inside["level"] == "WARNING"
    assert inner["update_id"] == 8 and inner["user_id"] == 3
    assert "update_id" not in after and "user_id" not in after


def test_secrets_are_redacted_in_json_too(settings: Settings, output: io.StringIO) -> None:
    logger = logging.getLogger("core.gateways")
    logger.info("calling with %s", settings.openai_api_key)
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/getMe refused")
    except RuntimeError:
        logger.exception("request failed")
    text = output.getvalue()
    assert TOKEN.split(":", 1)[1] not in text and str(settings.openai_api_key) not in text
    called, failed = lines(output)
    assert called["message"] == f"calling with {REDACTED}"
    assert failed["exc"].startswith("Traceback") and f"bot{REDACTED}/getMe" in failed["exc"]


@dataclass(frozen=True)
class _Account:
    id: int
    language: str = "en"


class _Accounts:
    """The account service's one call the middleware makes."""

    async def get_or_create(self, chat_id: int, **_: Any) -> _Account:
        return _Account(ACCOUNT_ID)


async def test_inside_an_update_lines_carry_its_ids_but_never_the_chat_text(
    output: io.StringIO,
) -> None:
    router = Router()
    seen: list[str] = []

    @router.message()
    async def echo(message: Message) -> None:
        seen.append(message.text or "")
        logging.getLogger("bot.handlers.echo").info("handled a message")

    dp = Dispatcher()
    metrics.install(dp)
    dp.update.outer_middleware(AccountMiddleware(_Accounts()))  # type: ignore[arg-type]
    dp.include_router(router)
    bot = Bot(TOKEN)
    update = Update.model_validate({"update_id": 991, **u.text_message(PRIVATE_TEXT)})
    try:
        await dp.feed_update(bot, update)
    finally:
        await bot.session.close()
    assert seen == [PRIVATE_TEXT]
    assert PRIVATE_TEXT not in output.getvalue() and "knee" not in output.getvalue()
    handled = [x for x in lines(output) if x["logger"] == "bot.handlers.echo"]
    assert handled == [
        {**handled[0], "message": "handled a message", "update_id": 991, "user_id": ACCOUNT_ID}
    ]
    # aiogram's own line names the update after our middlewares are done, text-free too.
    assert any(x["message"].startswith("Update id=991 is handled") for x in lines(output))
