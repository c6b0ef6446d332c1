"""Texts and keyboards of /delete: the question naming what ends, and the answers."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core.accounts.deletion import BillingToStop

STRIPE_ENDS = "Your Pro subscription will be cancelled at Stripe, no further charges."
STARS_ENDS = "Your Telegram Stars subscription will be cancelled, no further renewals."
KEPT = "Nothing was deleted."


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


def confirm_keyboard() -> InlineKeyboardMarkup:
    """Yes and no, side by side."""
    return InlineKeyboardMarkup(
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


def done_text(stop: BillingToStop) -> str:
    """The answer once everything is deleted."""
    ended = (
        " Your subscription is cancelled: no further charges."
        if (stop.pays_by_card or stop.stars_charge_id)
        else ""
    )
    return f"All your data is deleted.{ended} Send /start if you want to begin again."
