"""/settings: timezone, summary time, the weekly report, units and the athlete's thresholds.

A value question never holds a chat: the bot's commands run as themselves while it is open,
a wrong answer is explained and asked once more, and a second one closes the question.
"""

from __future__ import annotations

from dataclasses import replace

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import NOT_A_COMMAND, Command
from bot.views import language as language_views
from bot.views import settings as views
from bot.views.common import error_message
from bot.views.settings import FIELDS, SetCb
from core.accounts.context import AccountContext
from core.accounts.service import AccountService
from core.accounts.sessions import SessionService
from core.errors import BadInput
from core.training.typed_units import parse_pace_s_per_km

router = Router(name=__name__)
COMMANDS = ["settings"]


class SettingsForm(StatesGroup):
    value = State()


@router.message(Command("settings"))
async def show(message: Message, account: AccountContext) -> None:
    """Current settings with buttons to change them (read with the account: no query)."""
    await _answer_settings(message, account)


async def _answer_settings(message: Message, account: AccountContext) -> None:
    await message.answer(
        views.settings_text(account), reply_markup=views.settings_keyboard(account)
    )


@router.callback_query(SetCb.filter())
async def choose(
    query: CallbackQuery,
    callback_data: SetCb,
    account: AccountContext,
    accounts: AccountService,
    web_sessions: SessionService,
    state: FSMContext,
) -> None:
    """A settings button: toggles apply at once, values open a short dialog."""
    await query.answer()
    field = callback_data.field
    if field == views.UNITS_FIELD:
        account = await accounts.set_units(account.id, views.other_units(account.units))
    elif field == views.SUMMARY_FIELD:
        account = await accounts.set_summary_enabled(account.id, not account.summary_enabled)
    elif field == views.WEEKLY_FIELD:
        enabled = not account.weekly_report_enabled
        account = await accounts.set_weekly_report_enabled(account.id, enabled)
    elif field == views.LANGUAGE_FIELD:
        if query.message is not None:
            await query.message.answer(
                language_views.language_text(account.language),
                reply_markup=language_views.language_keyboard(account.language),
            )
        return
    elif field == views.SIGN_OUT_FIELD:
        ended = await web_sessions.revoke_all(account)
        account = replace(account, dashboard_sessions=0)
        if query.message is not None:
            await query.message.answer(views.signed_out_text(ended))
    elif field in FIELDS:
        await state.set_state(SettingsForm.value)
        await state.update_data(field=field, missed=False)
        if query.message is not None:
            await query.message.answer(views.question_text(field, account.units))
        return
    else:
        raise BadInput(views.STALE_BUTTON)
    if isinstance(query.message, Message):
        await _answer_settings(query.message, account)


async def _save(
    account: AccountContext, accounts: AccountService, field: str, text: str
) -> AccountContext:
    """Store one typed value; the account as it is afterwards."""
    if field == "timezone":
        return await accounts.set_timezone(account.id, text)
    if field == "summary_time":
        return await accounts.set_summary_time(account.id, text)
    if field in FIELDS:
        value = parse_value(field, text, account.units)
        profile = await accounts.update_profile(account.id, **{field: value})
        return replace(account, profile=profile)
    return account


def parse_value(field: str, text: str, units: str = "metric") -> object:
    """Turn the typed answer into the stored value (None clears); a pace is per the athlete's
    units unless it says /km or /mi."""
    text = text.strip().lower()
    if field == "sex":
        sex = views.sex_of(text)
        if sex is None:
            raise BadInput(views.SEX_EXPECTED)
        return sex
    if text in ("0", "none", "clear", "-"):
        return None
    if field == "threshold_pace_s_per_km":
        return parse_pace_s_per_km(text, units)
    try:
        return int(text)
    except ValueError:
        raise BadInput(views.NUMBER_EXPECTED) from None


@router.message(StateFilter(SettingsForm.value), NOT_A_COMMAND)
async def value(
    message: Message, account: AccountContext, accounts: AccountService, state: FSMContext
) -> None:
    """The typed value for the field being edited; a bad one is explained and asked again once."""
    data = await state.get_data()
    field = str(data.get("field", ""))
    try:
        account = await _save(account, accounts, field, message.text or "")
    except BadInput as exc:
        if not data.get("missed"):
            await state.update_data(missed=True)
            raise  # the error answer explains it; the question stays open for one more try
        await state.clear()
        await message.answer(views.kept_text(field, error_message(exc)))
        return
    await state.clear()
    await message.answer(views.saved_text(account), reply_markup=views.settings_keyboard(account))
