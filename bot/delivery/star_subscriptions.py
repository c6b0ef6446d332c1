"""Telegram Stars subscriptions through the Bot API (core's StarSubscriptions)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from core.errors import PaymentsError

logger = logging.getLogger(__name__)


class TelegramStarSubscriptions:
    """Cancels the renewal of a user's Stars subscription (editUserStarSubscription)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def cancel(self, *, telegram_user_id: int, charge_id: str) -> None:
        """Stop renewals; PaymentsError when Telegram cannot be reached."""
        try:
            await self._bot.edit_user_star_subscription(
                user_id=telegram_user_id, telegram_payment_charge_id=charge_id, is_canceled=True
            )
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
            logger.warning("Could not reach Telegram to cancel Stars charge %s: %s", charge_id, exc)
            raise PaymentsError("Could not reach Telegram.") from None
        except TelegramAPIError as exc:
            # A refusal (the subscription expired, or the user cancelled it already) leaves
            # nothing to stop; trying again would be refused the same way.
            logger.warning("Telegram refused to cancel Stars charge %s: %s", charge_id, exc)
