"""Files the athlete sends (FIT documents, voice notes), fetched from Telegram."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Document, Voice
from aiohttp import ClientError

logger = logging.getLogger(__name__)


async def download(bot: Bot, media: Document | Voice) -> bytes | None:
    """The file's bytes, or None when Telegram would not give them."""
    try:
        buffer = await bot.download(media)
    except (TelegramAPIError, ClientError, TimeoutError) as exc:
        # The error's text holds the download URL, and the URL holds the bot token.
        logger.warning("download of a %s failed: %s", _described(media), type(exc).__name__)
        return None
    return buffer.read() if buffer is not None else None


def _described(media: Document | Voice) -> str:
    if isinstance(media, Voice):
        return f"{media.duration}-second voice note"
    return f"{media.file_size}-byte document"
