"""/delete: everything of this user, after a confirmation button."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from core.services.accounts import Account, AccountService

router = Router(name=__name__)
COMMANDS = ["delete"]


class DeleteCb(CallbackData, prefix="del"):
    confirm: bool


@router.message(Command("delete"))
async def ask(message: Message) -> None:
    """Ask before deleting anything."""
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="Yes, delete everything", callback_data=DeleteCb(confirm=True).pack()
                ),
                InlineKeyboardButton(
                    text="No, keep it", callback_data=DeleteCb(confirm=False).pack()
                ),
            ]
        ]
    )
    await message.answer(
        "This deletes your account, activities, fitness history, Garmin link, plans and chats. "
        "It cannot be undone. Are you sure?",
        reply_markup=keyboard,
    )


@router.callback_query(DeleteCb.filter())
async def confirm(
    query: CallbackQuery,
    callback_data: DeleteCb,
    account: Account,
    accounts: AccountService,
    state: FSMContext,
) -> None:
    """Delete on yes, nothing on no."""
    await query.answer()
    if query.message is None:
        return
    if not callback_data.confirm:
        await query.message.answer("Nothing was deleted.")
        return
    await accounts.delete_everything(account.id)
    await state.clear()
    await query.message.answer("All your data is deleted. Send /start if you want to begin again.")
