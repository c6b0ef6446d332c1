"""Per update: resolve the account for the chat, nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from core.services.accounts import AccountService


class AccountMiddleware(BaseMiddleware):
    """Puts `account` into handler data: created on first contact, unblocked when they write."""

    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        chat_id = chat.id if chat is not None else (user.id if user is not None else None)
        if chat_id is None or (user is not None and user.is_bot):
            return await handler(event, data)
        data["account"] = await self.accounts.get_or_create(
            chat_id,
            telegram_user_id=user.id if user else None,
            first_name=user.first_name if user else None,
            username=user.username if user else None,
            language=user.language_code if user else None,
        )
        return await handler(event, data)
