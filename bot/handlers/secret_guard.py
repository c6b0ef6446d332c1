"""The first router: a chat that owes us its Garmin password sends it to the sign-in only.

Whether a chat owes its password is kept with the account (Account.secret_due_until, set when
the /connect dialog asks for it), not only in the dialog state, which lives in memory by
default and is lost on a restart or absent on another instance. While it is owed, any text
that is not one of the bot's own commands (even one that starts with "/") is the password: it
is deleted at once and never reaches the coach, the chat history or a log line.
"""

from __future__ import annotations

import logging
from functools import cache

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.handlers.filters import Command
from bot.handlers.garmin import ConnectForm, sign_in
from bot.runtime.dispatcher import commands_handled
from bot.views import garmin as views
from core.accounts.service import Account
from core.garmin.link import GarminLinkService

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS: list[str] = []
ALWAYS_OWN = ("cancel", "start", "help")  # handled outside any COMMANDS list, or listed late
PASSWORD_STATE = ConnectForm.password.state


@cache
def own_commands() -> Command:
    """The commands that run as themselves during the wait (built once every router exists)."""
    return Command(*sorted(commands_handled() | set(ALWAYS_OWN)))


class OwedPassword(Filter):
    """A text, not one of the bot's commands, from a chat that owes its Garmin password."""

    async def __call__(
        self,
        message: Message,
        bot: Bot,
        garmin_link: GarminLinkService,
        account: Account | None = None,
        raw_state: str | None = None,
    ) -> bool:
        if message.text is None or account is None:
            return False
        owed = garmin_link.awaits_password(account.secret_due_until) or raw_state == PASSWORD_STATE
        return owed and not await own_commands()(message, bot)


@router.message(Command("cancel"))
async def cancel(
    message: Message, garmin_link: GarminLinkService, account: Account | None = None
) -> None:
    """/cancel also ends the wait for a password; then it runs as usual."""
    if account is not None and account.secret_due_until is not None:
        await garmin_link.stop_awaiting_password(account.id)
    raise SkipHandler


@router.message(OwedPassword())
async def owed_password(
    message: Message,
    bot: Bot,
    state: FSMContext,
    account: Account,
    garmin_link: GarminLinkService,
    raw_state: str | None = None,
) -> None:
    """The awaited password: delete it first, then sign in, or ask to start over."""
    if raw_state not in (None, PASSWORD_STATE):
        # One of our commands opened another dialog since the prompt: the text answers that.
        await garmin_link.stop_awaiting_password(account.id)
        raise SkipHandler
    deleted = await _delete(bot, message)
    data = await state.get_data() if raw_state == PASSWORD_STATE else {}
    email = str(data.get("email") or "")
    if not email:  # the dialog state was lost (a restart): never keep or forward the text
        await garmin_link.stop_awaiting_password(account.id)
        await state.clear()
        await message.answer(views.password_lost_text(deleted))
        return
    await message.answer(views.signing_in_text(deleted))
    await sign_in(
        message,
        state,
        account,
        garmin_link,
        email=email,
        password=message.text or "",
        keep_password=bool(data.get("keep")),
    )


async def _delete(bot: Bot, message: Message) -> bool:
    """Whether Telegram deleted the message."""
    try:
        return await bot.delete_message(chat_id=message.chat.id, message_id=message.message_id)
    except TelegramAPIError as exc:  # too old, no right, network: never name its content
        logger.warning(
            "could not delete a password message in chat %s: %s",
            message.chat.id,
            type(exc).__name__,
        )
        return False
