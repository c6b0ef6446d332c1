"""/delete: everything of this user, after a confirmation button; subscriptions end first."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.delivery.star_subscriptions import TelegramStarSubscriptions
from core.accounts.deletion import AccountDeletion, BillingToStop
from core.accounts.service import Account

router = Router(name=__name__)
COMMANDS = ["delete"]

STRIPE_ENDS = "Your Pro subscription will be cancelled at Stripe, no further charges."
STARS_ENDS = "Your Telegram Stars subscription will be cancelled, no further renewals."


class DeleteCb(CallbackData, prefix="del"):
    confirm: bool


def question(stop: BillingToStop) -> str:
    """The confirmation question, naming the subscriptions that deleting cancels."""
    lines = [
        "This deletes your account, activities, fitness history, Garmin link, plans and chats. "
        "It cannot be undone."
    ]
    if stop.pays_by_card:
        lines.append(STRIPE_ENDS)
    if stop.stars_charge_id:
        lines.append(STARS_ENDS)
    lines.append("Are you sure?")
    return " ".join(lines)


def done_text(stop: BillingToStop) -> str:
    """The answer once everything is deleted."""
    ended = (
        " Your subscription is cancelled: no further charges."
        if (stop.pays_by_card or stop.stars_charge_id)
        else ""
    )
    return f"All your data is deleted.{ended} Send /start if you want to begin again."


@router.message(Command("delete"))
async def ask(message: Message, account: Account, account_deletion: AccountDeletion) -> None:
    """Ask before deleting anything, and say which subscriptions end."""
    stop = await account_deletion.billing_to_stop(account.id)
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
    await message.answer(question(stop), reply_markup=keyboard)


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
        await query.message.answer("Nothing was deleted.")
        return
    stop = await account_deletion.delete(
        account.id,
        telegram_user_id=query.from_user.id,
        stars=TelegramStarSubscriptions(bot),
    )
    await state.clear()
    await query.message.answer(done_text(stop))
