"""/start, /help, /cancel, the timezone question, and the greeting when added to a group.

The timezone question never holds a chat: while it is open the bot's commands run as
themselves (in UTC, as the question says), a zone (IANA name, city or UTC offset) is taken, a
short miss is asked about once more, and anything else closes the question, with a word that
UTC stays, and goes where it would have gone (the coach).
It is kept in the dialog data, not as a dialog state, so that text it lets through still
finds the handlers that only take text outside dialogs.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import (
    JOIN_TRANSITION,
    ChatMemberUpdatedFilter,
    CommandObject,
    Filter,
)
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot.handlers.filters import NOT_A_COMMAND, Command, CommandStart
from bot.i18n import _
from bot.views import billing as billing_views
from bot.views import start as views
from bot.views.common import error_message, private_only_text
from bot.views.start import TzCb
from core.accounts.service import Account, AccountService
from core.accounts.timezones import looks_like_timezone_answer
from core.errors import BadTimezone

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS = ["start", "help"]

QUESTION = "timezone_question"  # dialog data key: {"asked_again": bool}


class TimezoneForm(StatesGroup):
    """Earlier versions kept the question open as this dialog state; a chat still in it is
    treated as having the question open."""

    waiting = State()


class TimezoneQuestion(Filter):
    """Matches while the timezone question waits for an answer; hands on its progress."""

    async def __call__(
        self,
        message: Message,
        account: Account | None = None,
        state: FSMContext | None = None,
        raw_state: str | None = None,
    ) -> bool | dict[str, Any]:
        earlier = raw_state == TimezoneForm.waiting.state
        if account is None or account.timezone_set or state is None:
            return False
        if raw_state is not None and not earlier:  # another dialog's answers are its own
            return False
        question = (await state.get_data()).get(QUESTION)
        if earlier and not isinstance(question, dict):
            question = {}
        return {"question": question} if isinstance(question, dict) else False


@router.message(CommandStart())
async def start(
    message: Message, command: CommandObject, account: Account, state: FSMContext
) -> None:
    """Welcome; ask for the timezone until it is set."""
    if command.args == billing_views.START_PAID:  # back from Stripe Checkout
        await message.answer(_(billing_views.CHECKOUT_PAID_TEXT))
        return
    if command.args == billing_views.START_CANCELLED:
        await message.answer(_(billing_views.CHECKOUT_CANCELLED_TEXT))
        return
    await message.answer(views.welcome_text(account.first_name))
    if not account.timezone_set:
        await state.clear()
        await state.set_data({QUESTION: {}})
        await message.answer(views.timezone_question(), reply_markup=views.timezone_keyboard())


@router.message(Command("help"))
async def help_(message: Message) -> None:
    """What the bot can do."""
    await message.answer(views.help_text())


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, account: Account) -> None:
    """Leave any dialog (the timezone question too, which leaves UTC in place)."""
    question = (await state.get_data()).get(QUESTION)
    await state.clear()
    utc_note = isinstance(question, dict) and not account.timezone_set
    await message.answer(views.cancelled_text(utc_note=utc_note))


@router.callback_query(TzCb.filter())
async def pick_zone(
    query: CallbackQuery,
    callback_data: TzCb,
    account: Account,
    accounts: AccountService,
    state: FSMContext,
) -> None:
    """A timezone button."""
    updated = await accounts.set_timezone(account.id, callback_data.zone)
    await state.clear()
    await query.answer()
    if query.message is not None:
        await query.message.answer(views.zone_set_text(updated.timezone))


@router.message(NOT_A_COMMAND, TimezoneQuestion())  # the cheap check first
async def typed_zone(
    message: Message,
    account: Account,
    accounts: AccountService,
    state: FSMContext,
    question: dict[str, Any],
) -> None:
    """A zone is taken; a short miss is asked once more; anything else goes on without it."""
    text = message.text or ""
    try:
        updated = await accounts.set_timezone(account.id, text)
    except BadTimezone as exc:
        if looks_like_timezone_answer(text) and not question.get("asked_again"):
            await state.update_data({QUESTION: {**question, "asked_again": True}})
            await message.answer(
                views.ask_again_text(error_message(exc)), reply_markup=views.timezone_keyboard()
            )
            return
        await state.clear()
        await message.answer(views.utc_note())
        raise SkipHandler from None  # the text was not an answer: it goes where it would have
    await state.clear()
    await message.answer(views.zone_set_text(updated.timezone))


@router.my_chat_member(
    ChatMemberUpdatedFilter(JOIN_TRANSITION),
    F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}),
)
async def added_to_group(
    event: ChatMemberUpdated, bot: Bot, bot_username: str | None = None
) -> None:
    """Added to a group: say once that the bot works in private chats."""
    try:
        await bot.send_message(event.chat.id, private_only_text(bot_username))
    except TelegramAPIError as exc:  # e.g. members may not write there
        logger.info("could not greet group %s: %s", event.chat.id, exc)
