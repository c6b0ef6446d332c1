"""/connect, /disconnect and /sync: the Garmin Connect link and its data."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import NOT_A_COMMAND, Command
from bot.i18n import _
from bot.views import garmin as views
from bot.views.garmin import GarminCb
from core.accounts.service import Account
from core.errors import AppError, GarminMfaRequired
from core.garmin.link import GarminLinkService
from core.garmin.sync import GarminSyncService

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS = ["connect", "disconnect", "sync"]


class ConnectForm(StatesGroup):
    email = State()
    password = State()
    code = State()


async def _ask_email(
    message: Message, state: FSMContext, account: Account, garmin_link: GarminLinkService
) -> None:
    if account.secret_due_until is not None:  # a new dialog: no password is owed any more
        await garmin_link.stop_awaiting_password(account.id)
    await state.clear()
    await state.set_state(ConnectForm.email)
    await message.answer(_(views.ASK_EMAIL))


@router.message(Command("connect"))
async def connect(
    message: Message, state: FSMContext, account: Account, garmin_link: GarminLinkService
) -> None:
    """Start linking: email, password, then the one-time code if Garmin asks."""
    await _ask_email(message, state, account, garmin_link)


@router.callback_query(GarminCb.filter(F.action == views.CONNECT))
async def connect_button(
    query: CallbackQuery, state: FSMContext, account: Account, garmin_link: GarminLinkService
) -> None:
    """The button under the 'link broken' notice."""
    await query.answer()
    if isinstance(query.message, Message):
        await _ask_email(query.message, state, account, garmin_link)


@router.message(StateFilter(ConnectForm.email), NOT_A_COMMAND)
async def got_email(
    message: Message, state: FSMContext, account: Account, garmin_link: GarminLinkService
) -> None:
    """Keep the email for this dialog only; ask for the password (bot.handlers.secret_guard
    takes the answer)."""
    email = (message.text or "").strip()
    if "@" not in email or " " in email or len(email) > 254:
        await message.answer(_(views.NOT_AN_EMAIL))
        return
    await state.update_data(email=email, keep=False)
    await state.set_state(ConnectForm.password)
    # Before the prompt: the answer must find the marker, even on another instance.
    await garmin_link.await_password(account.id)
    await message.answer(_(views.ASK_PASSWORD), reply_markup=views.keep_keyboard(False))


@router.callback_query(GarminCb.filter(F.action == views.KEEP), StateFilter(ConnectForm.password))
async def toggle_keep(query: CallbackQuery, state: FSMContext) -> None:
    """Flip the consent to keep the password; default no."""
    keep = not bool((await state.get_data()).get("keep"))
    await state.update_data(keep=keep)
    await query.answer(views.keep_answer(keep))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=views.keep_keyboard(keep))


async def sign_in(
    message: Message,
    state: FSMContext,
    account: Account,
    garmin_link: GarminLinkService,
    *,
    email: str,
    password: str,
    keep_password: bool,
) -> None:
    """Sign in with the password the guard took; on to the one-time code if Garmin asks."""
    try:
        await garmin_link.start(account.id, email, password, keep_password=keep_password)
    except GarminMfaRequired:
        await state.set_state(ConnectForm.code)
        await message.answer(_(views.ASK_CODE))
        return
    except AppError:
        await state.clear()
        raise
    await _linked(message, state)


@router.message(StateFilter(ConnectForm.code), NOT_A_COMMAND)
async def got_code(
    message: Message, state: FSMContext, account: Account, garmin_link: GarminLinkService
) -> None:
    """Finish the sign-in with Garmin's one-time code."""
    try:
        await garmin_link.submit_code(account.id, message.text or "")
    except AppError:  # a wrong code leaves the login waiting (3 tries, 5 minutes)
        if not garmin_link.waiting_for_code(account.id):
            await state.clear()
        raise
    await _linked(message, state)


async def _linked(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_(views.LINKED))


@router.message(Command("disconnect"))
async def disconnect(message: Message, account: Account, garmin_link: GarminLinkService) -> None:
    """Forget the Garmin link; synced data stays."""
    had = await garmin_link.disconnect(account.id)
    await message.answer(_(views.UNLINKED) if had else _(views.NOT_LINKED))


@router.message(Command("sync"))
async def sync(message: Message, account: Account, garmin_sync: GarminSyncService) -> None:
    """Sync Garmin now."""
    await message.answer(_(views.SYNCING))
    report = await garmin_sync.sync_now(account)
    await message.answer(views.sync_text(report))
