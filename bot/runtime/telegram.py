"""The aiogram Bot for our settings (any Bot API server, HTML parse mode)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from core.config import Settings


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    """A Bot talking to TELEGRAM_API_BASE (api.telegram.org, a self-hosted server, a fake)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        token or settings.telegram_bot_token or "",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
