"""/language: the language the bot writes in, chosen with a button and stored on the account."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import Command
from bot.i18n import LANGUAGES, _, use_language
from bot.views import language as views
from bot.views.language import LangCb
from core.accounts.context import AccountContext
from core.accounts.service import AccountService

router = Router(name=__name__)
COMMANDS = ["language"]


@router.message(Command("language"))
async def show(message: Message, account: AccountContext) -> None:
    """The current language and a button per language."""
    await message.answer(
        views.language_text(account.language),
        reply_markup=views.language_keyboard(account.language),
    )


@router.callback_query(LangCb.filter())
async def choose(
    query: CallbackQuery, callback_data: LangCb, account: AccountContext, accounts: AccountService
) -> None:
    """Store the chosen language and answer in it; an unknown code changes nothing."""
    if callback_data.code not in LANGUAGES:
        await query.answer(_(views.UNKNOWN))
        return
    await query.answer()
    updated = await accounts.set_language(account.id, callback_data.code, supported=LANGUAGES)
    if query.message is not None:
        with use_language(updated.language):
            await query.message.answer(views.changed_text(updated.language or callback_data.code))
