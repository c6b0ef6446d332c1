"""Last router: unknown commands and messages the bot does not understand."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import COMMAND_TEXT, TEXT
from bot.i18n import _
from bot.views import fallback as views
from bot.views.common import unknown_command_text

router = Router(name=__name__)
COMMANDS: list[str] = []


@router.message(COMMAND_TEXT)
async def unknown_command(message: Message) -> None:
    """A command no router handles."""
    await message.answer(unknown_command_text((message.text or "/").split()[0]))


@router.message(TEXT)
async def plain_text(message: Message) -> None:
    """Text when no coach is configured to take it."""
    await message.answer(_(views.NO_COACH))


@router.message()
async def anything_else(message: Message) -> None:
    """Stickers, voice, photos, locations..."""
    await message.answer(_(views.UNDERSTOOD))


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    """A button whose data no handler accepts (old or forged)."""
    await query.answer(_(views.STALE_BUTTON), show_alert=False)
