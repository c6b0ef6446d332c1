"""/delete: everything of this user, after a confirmation button; subscriptions end first."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.delivery.star_subscriptions import TelegramStarSubscriptions
from bot.handlers.filters import Command
from bot.views import account as views
from bot.views.account import DeleteCb
from core.accounts.deletion import AccountDeletion
from core.accounts.service import Account

router = Router(name=__name__)
COMMANDS = ["delete"]


@router.message(Command("delete"))
async def ask(message: Message, account: Account, account_deletion: AccountDeletion) -> None:
    """Ask before deleting anything, and say which subscriptions end."""
    stop = await account_deletion.billing_to_stop(account.id)
    await message.answer(views.question(stop), reply_markup=views.confirm_keyboard())


@router.callback_query(DeleteCb.filter())
async def confirm(
    query: CallbackQuery,
    callback_data: DeleteCb,
    bot: Bot,
    account: Account,
    account_deletion: AccountDeletion,
    state: FSMContext,
) -> None:
    """Delete on yes (BillingNotStopped deletes nothing and is told), nothing on no."""
    await query.answer()
    if query.message is None:
        return
    if not callback_data.confirm:
        await query.message.answer(views.kept_text())
        return
    stop = await account_deletion.delete(
        account.id,
        telegram_user_id=query.from_user.id,
        stars=TelegramStarSubscriptions(bot),
    )
    await state.clear()
    await query.message.answer(views.done_text(stop))
