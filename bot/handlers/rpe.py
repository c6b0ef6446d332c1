"""RPE buttons under a new activity, and the short dialog that takes the athlete's note."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import COMMAND_TEXT, NOT_A_COMMAND
from bot.i18n import _
from bot.views import rpe as views
from bot.views.rpe import RpeCb, RpeNoteCb
from core.accounts.context import AccountContext
from core.training.rpe import RpeService

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS: list[str] = []
ACTIVITY_KEY = "rpe_activity_id"


class RpeForm(StatesGroup):
    note = State()


@router.callback_query(RpeCb.filter())
async def rate(
    query: CallbackQuery, callback_data: RpeCb, account: AccountContext, rpe: RpeService
) -> None:
    """A rating button: stored, its buttons taken away, the session load told."""
    rating = await rpe.rate(account.id, callback_data.id, callback_data.rpe)
    if not isinstance(query.message, Message):  # too old for the bot to reach: a toast says it
        await query.answer(views.rated_text(rating))
        return
    await query.answer()
    try:
        await query.message.edit_reply_markup(reply_markup=None)
    except TelegramAPIError as exc:  # already taken away, or too old to edit: rated anyway
        logger.info("could not remove the RPE buttons: %s", type(exc).__name__)
    await query.message.answer(
        views.rated_text(rating), reply_markup=views.note_keyboard(rating.activity_id)
    )


@router.callback_query(RpeNoteCb.filter())
async def ask_note(
    query: CallbackQuery,
    callback_data: RpeNoteCb,
    account: AccountContext,
    rpe: RpeService,
    state: FSMContext,
) -> None:
    """The note button: the next text message is the note."""
    rating = await rpe.rating(account.id, callback_data.id)  # only the athlete's own activity
    await state.clear()
    await state.set_state(RpeForm.note)
    await state.update_data({ACTIVITY_KEY: rating.activity_id})
    await query.answer()
    if query.message is not None:
        await query.message.answer(views.note_question())


@router.message(StateFilter(RpeForm.note), COMMAND_TEXT)
async def leave_note(message: Message, state: FSMContext) -> None:
    """Any command ends the wait for a note, then runs as usual."""
    await state.clear()
    raise SkipHandler


@router.message(StateFilter(RpeForm.note), NOT_A_COMMAND)
async def note(
    message: Message, account: AccountContext, rpe: RpeService, state: FSMContext
) -> None:
    """The awaited note: stored with the activity."""
    activity_id = int((await state.get_data()).get(ACTIVITY_KEY) or 0)
    await state.clear()  # one message is the note, even if storing it fails
    await rpe.note(account.id, activity_id, message.text or "")
    await message.answer(_(views.NOTE_SAVED))
