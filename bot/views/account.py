"""Texts and keyboards of /delete: the question naming what ends, and the answers."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _
from core.accounts.deletion import BillingToStop

STRIPE_ENDS = N_("Your Pro subscription will be cancelled at Stripe, no further charges.")
STARS_ENDS = N_("Your Telegram Stars subscription will be cancelled, no further renewals.")
KEPT = N_("Nothing was deleted.")


class DeleteCb(CallbackData, prefix="del"):
    confirm: bool


def question(stop: BillingToStop) -> str:
    """The confirmation question, naming the subscriptions that deleting cancels."""
    lines = [
        _(
            "This deletes your account, activities, fitness history, Garmin link, plans and "
            "chats. It cannot be undone."
        )
    ]
    if stop.pays_by_card:
        lines.append(_(STRIPE_ENDS))
    if stop.stars_charge_id:
        lines.append(_(STARS_ENDS))
    lines.append(_("Are you sure?"))
    return " ".join(lines)


def confirm_keyboard() -> InlineKeyboardMarkup:
    """Yes and no, side by side."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Yes, delete everything"), callback_data=DeleteCb(confirm=True).pack()
                ),
                InlineKeyboardButton(
                    text=_("No, keep it"), callback_data=DeleteCb(confirm=False).pack()
                ),
            ]
        ]
    )


def kept_text() -> str:
    return _(KEPT)


def done_text(stop: BillingToStop) -> str:
    """The answer once everything is deleted."""
    if stop.pays_by_card or stop.stars_charge_id:
        return _(
            "All your data is deleted. Your subscription is cancelled: no further charges. "
            "Send /start if you want to begin again."
        )
    return _("All your data is deleted. Send /start if you want to begin again.")
