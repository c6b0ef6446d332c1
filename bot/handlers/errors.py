"""One error handler: AppError becomes the user's message, anything else an apology."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, Update

from bot.i18n import _, use_language
from bot.views import common as views
from core.accounts.service import Account
from core.clock import utcnow
from core.errors import AppError, LimitReached, ProOnly

logger = logging.getLogger(__name__)

# An error's sentence is cut to fit one message with room for what we add after it.
MESSAGE_MAX = views.MAX_TEXT - 96


def chat_of(update: Update) -> int | None:
    """The chat to answer for any kind of update."""
    for event in (update.message, update.edited_message, update.channel_post):
        if event is not None:
            return event.chat.id
    if update.callback_query is not None:
        msg = update.callback_query.message
        return msg.chat.id if msg is not None else update.callback_query.from_user.id
    for other in (update.pre_checkout_query, update.inline_query, update.shipping_query):
        if other is not None:
            return other.from_user.id
    return None


async def on_error(event: ErrorEvent, bot: Bot, account: Account | None = None) -> bool:
    """Turn any exception into one clear answer; the update counts as handled."""
    # Errors arrive here after the account middleware's language has ended: the answer is
    # said in the athlete's language again.
    with use_language(account.language if account else None):
        return await _answer(event, bot, account)


async def _answer(event: ErrorEvent, bot: Bot, account: Account | None) -> bool:
    exc = event.exception
    chat_id = chat_of(event.update)
    keyboard = None
    if isinstance(exc, LimitReached):
        text = views.limit_text(exc, account.timezone if account else "UTC", utcnow())
        keyboard = views.upgrade_keyboard()
    elif isinstance(exc, ProOnly):
        text = views.pro_only_text(exc, MESSAGE_MAX)
        keyboard = views.upgrade_keyboard("pro_only")
    elif isinstance(exc, AppError):
        text = views.error_text(exc, MESSAGE_MAX)
    else:
        logger.error(
            "update %s failed: %s", event.update.update_id, type(exc).__name__, exc_info=exc
        )
        text = _(views.APOLOGY)
    if event.update.callback_query is not None:
        await _quietly(bot.answer_callback_query(event.update.callback_query.id))
    if chat_id is not None:
        await _quietly(bot.send_message(chat_id, text, reply_markup=keyboard))
    return True


async def _quietly(call: object) -> None:
    """Answering the error must never raise a second error."""
    try:
        await call  # type: ignore[misc]
    except TelegramAPIError as exc:
        logger.warning("could not deliver the error answer: %s", exc)
