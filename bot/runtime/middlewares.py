"""Per update: keep groups and channels out, then resolve the chat's AccountContext once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType, MessageEntityType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, Message, MessageEntity, TelegramObject, Update, User

from bot.i18n import negotiate, use_language
from bot.runtime.logging_setup import update_context
from bot.views.common import private_only_text
from core.accounts.service import AccountService
from core.db.scope import system_scope, user_scope

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class PrivateChatsOnly(BaseMiddleware):
    """An account is a private chat: groups and channels get a pointer to one, nothing else.

    With a group's chat id as the account, every member would share one account (its data,
    /connect, /delete, /export, the coach's history). So no handler and no account see group
    or channel updates. In a group, a command, a mention of the bot or a reply to it gets one
    sentence with a link, a button press an alert; the rest is left alone, so the bot never
    talks over a conversation. The bot's own membership changes go on to their handler, which
    greets a group once when the bot is added.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is None or chat.type == ChatType.PRIVATE or not isinstance(event, Update):
            return await handler(event, data)  # no chat (payments, inline) keeps its own rules
        if event.my_chat_member is not None:
            return await handler(event, data)
        bot: Bot = data["bot"]
        text = private_only_text(data.get("bot_username"))
        if event.callback_query is not None:
            await _quietly(event.callback_query.answer(text, show_alert=True), chat)
        elif event.message is not None and addressed_to_bot(
            event.message, bot.id, data.get("bot_username")
        ):
            await _quietly(event.message.reply(text), chat)
        return None


def addressed_to_bot(message: Message, bot_id: int, username: str | None) -> bool:
    """A command for this bot, a mention of it, or a reply to one of its messages."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        return True
    text = message.text or message.caption or ""
    own = f"@{username}".casefold() if username else None
    entities = message.entities or message.caption_entities or []
    return any(_names_bot(e, e.extract_from(text).casefold(), bot_id, own) for e in entities)


def _names_bot(entity: MessageEntity, part: str, bot_id: int, own: str | None) -> bool:
    if entity.type == MessageEntityType.BOT_COMMAND:  # "/start" or "/start@this_bot"
        _, at, to = part.partition("@")
        return not at or (own is not None and f"@{to}" == own)
    if entity.type == MessageEntityType.MENTION:
        return part == own
    if entity.type == MessageEntityType.TEXT_MENTION:
        return entity.user is not None and entity.user.id == bot_id
    return False


async def _quietly(call: Awaitable[Any], chat: Chat) -> None:
    """A group where the bot may not write is no error of ours."""
    try:
        await call
    except TelegramAPIError as exc:
        logger.info("could not answer in %s %s: %s", chat.type, chat.id, exc)


class AccountMiddleware(BaseMiddleware):
    """Puts `account` (the AccountContext: settings, plan, profile) into handler data.

    A known chat costs one statement and no write; the account is created on first contact
    and unblocked when its owner writes. Handlers hand it to the services, which then read
    neither the user nor the plan again during the update.
    """

    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        chat_id = chat.id if chat is not None else (user.id if user is not None else None)
        if chat_id is None or (user is not None and user.is_bot):
            return await handler(event, data)
        if isinstance(event, Update) and event.my_chat_member is not None:
            # The bot's own membership (added, blocked) is nobody writing to it.
            with use_language(user.language_code if user else None):
                return await handler(event, data)
        # Finding or creating the account comes before its user is known: system scope. The
        # rest of the update sees only this user's rows (row-level security on PostgreSQL).
        with system_scope():
            data["account"] = account = await self.accounts.get_or_create(
                chat_id,
                telegram_user_id=user.id if user else None,
                first_name=user.first_name if user else None,
                username=user.username if user else None,
                # Stored as one of the bot's languages ("de-AT" -> "de", "pt" -> "en").
                language=negotiate(user.language_code) if user else None,
            )
        # Every text of the update in the athlete's language (chosen at first contact from
        # Telegram's language_code, changed with /language).
        with (
            user_scope(account.id),
            use_language(account.language),
            update_context(user_id=account.id),  # log lines name the user by our id alone
        ):
            return await handler(event, data)
