"""Last router: unknown commands and messages the bot does not understand."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import COMMAND_TEXT, TEXT
from bot.views.common import quote_input

router = Router(name=__name__)
COMMANDS: list[str] = []

UNDERSTOOD = (
    "I understand text, commands and <b>.fit</b> files (send one as a file). "
    "Send /help for what I can do."
)


@router.message(COMMAND_TEXT)
async def unknown_command(message: Message) -> None:
    """A command no router handles."""
    command = (message.text or "/").split()[0]
    await message.answer(f"I don't know {quote_input(command)}. Send /help for what I can do.")


@router.message(TEXT)
async def plain_text(message: Message) -> None:
    """Text when no coach is configured to take it."""
    await message.answer("Send /help to see what I can do.")


@router.message()
async def anything_else(message: Message) -> None:
    """Stickers, voice, photos, locations..."""
    await message.answer(UNDERSTOOD)


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    """A button whose data no handler accepts (old or forged)."""
    await query.answer("This button is no longer valid.", show_alert=False)
