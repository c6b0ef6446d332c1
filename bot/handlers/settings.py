"""/settings: timezone, summary time, units and the athlete's thresholds.

A value question never holds a chat: the bot's commands run as themselves while it is open,
a wrong answer is explained and asked once more, and a second one closes the question.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.filters import NOT_A_COMMAND
from bot.views.common import esc, zone_label
from core.accounts.context import AccountContext
from core.accounts.service import AccountService
from core.errors import BadInput

router = Router(name=__name__)
COMMANDS = ["settings"]

# field -> (button label, question)
FIELDS: dict[str, tuple[str, str]] = {
    "timezone": (
        "Timezone",
        "Type your city (e.g. Berlin), its IANA name (Europe/Berlin) or your UTC offset (UTC+1).",
    ),
    "summary_time": ("Summary time", "When should the morning summary come? HH:MM, e.g. 07:00."),
    "hr_max": ("HR max", "Your maximum heart rate in bpm (e.g. 188), or 0 to clear."),
    "hr_rest": ("HR rest", "Your resting heart rate in bpm (e.g. 52), or 0 to clear."),
    "lthr": ("LTHR", "Your lactate threshold heart rate in bpm (e.g. 168), or 0 to clear."),
    "ftp": ("FTP", "Your functional threshold power in watts (e.g. 250), or 0 to clear."),
    "threshold_pace_s_per_km": (
        "Threshold pace",
        "Your threshold running pace per km as m:ss (e.g. 4:30), or 0 to clear.",
    ),
    "sex": ("Sex", "male or female (used by the TRIMP formula)."),
}


class SetCb(CallbackData, prefix="set"):
    field: str


class SettingsForm(StatesGroup):
    value = State()


def settings_text(account: AccountContext) -> str:
    def v(x: object) -> str:
        return "not set" if x is None else esc(x)

    unset = " (not set yet)"
    profile = account.profile
    pace = profile.threshold_pace_s_per_km
    pace_txt = "not set" if pace is None else f"{int(pace // 60)}:{int(pace % 60):02d} /km"
    return (
        "<b>Settings</b>\n"
        f"Timezone: {esc(zone_label(account.timezone))}{'' if account.timezone_set else unset}\n"
        f"Morning summary: {account.summary_time.strftime('%H:%M')}"
        f" ({'on' if account.summary_enabled else 'off'})\n"
        f"Units: {account.units}\n\n"
        "<b>Thresholds</b> (unset ones are estimated from your data)\n"
        f"HR max: {v(profile.hr_max)} · HR rest: {v(profile.hr_rest)} · LTHR: {v(profile.lthr)}\n"
        f"FTP: {v(profile.ftp)} W · Threshold pace: {pace_txt} · Sex: {v(profile.sex)}"
    )


def settings_keyboard(account: AccountContext) -> InlineKeyboardMarkup:
    return _keyboard(account.units, account.summary_enabled)


@cache  # four variants, the same on every /settings
def _keyboard(units: str, summary_enabled: bool) -> InlineKeyboardMarkup:
    names = list(FIELDS)
    rows = [
        [
            InlineKeyboardButton(text=FIELDS[n][0], callback_data=SetCb(field=n).pack())
            for n in names[i : i + 3]
        ]
        for i in range(0, len(names), 3)
    ]
    other_units = "imperial" if units == "metric" else "metric"
    rows.append(
        [
            InlineKeyboardButton(
                text=f"Units: {other_units}", callback_data=SetCb(field="units").pack()
            ),
            InlineKeyboardButton(
                text="Summary " + ("off" if summary_enabled else "on"),
                callback_data=SetCb(field="summary_toggle").pack(),
            ),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("settings"))
async def show(message: Message, account: AccountContext) -> None:
    """Current settings with buttons to change them (read with the account: no query)."""
    await message.answer(settings_text(account), reply_markup=settings_keyboard(account))


@router.callback_query(SetCb.filter())
async def choose(
    query: CallbackQuery,
    callback_data: SetCb,
    account: AccountContext,
    accounts: AccountService,
    state: FSMContext,
) -> None:
    """A settings button: toggles apply at once, values open a short dialog."""
    await query.answer()
    field = callback_data.field
    if field == "units":
        account = await accounts.set_units(
            account.id, "imperial" if account.units == "metric" else "metric"
        )
    elif field == "summary_toggle":
        account = await accounts.set_summary_enabled(account.id, not account.summary_enabled)
    elif field in FIELDS:
        await state.set_state(SettingsForm.value)
        await state.update_data(field=field, missed=False)
        if query.message is not None:
            await query.message.answer(FIELDS[field][1] + "\n/cancel to stop.")
        return
    else:
        raise BadInput("That button is not valid any more. Send /settings again.")
    if query.message is not None:
        await query.message.answer(settings_text(account), reply_markup=settings_keyboard(account))


async def _save(
    account: AccountContext, accounts: AccountService, field: str, text: str
) -> AccountContext:
    """Store one typed value; the account as it is afterwards."""
    if field == "timezone":
        return await accounts.set_timezone(account.id, text)
    if field == "summary_time":
        return await accounts.set_summary_time(account.id, text)
    if field in FIELDS:
        profile = await accounts.update_profile(account.id, **{field: parse_value(field, text)})
        return replace(account, profile=profile)
    return account


def parse_value(field: str, text: str) -> object:
    """Turn the typed answer into the stored value (None clears)."""
    text = text.strip().lower()
    if field == "sex":
        if text not in ("male", "female"):
            raise BadInput("Please answer male or female.")
        return text
    if text in ("0", "none", "clear", "-"):
        return None
    if field == "threshold_pace_s_per_km":
        minutes, _, seconds = text.partition(":")
        try:
            return int(minutes) * 60 + int(seconds or 0)
        except ValueError:
            raise BadInput("Give the pace as m:ss per km, for example 4:30.") from None
    try:
        return int(text)
    except ValueError:
        raise BadInput("Please send a whole number, for example 250.") from None


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
        label = FIELDS[field][0] if field in FIELDS else "The setting"
        await message.answer(
            f"{esc(exc.message)}\n{esc(label)} stays as it was; /settings to try again."
        )
        return
    await state.clear()
    await message.answer(
        "Saved.\n\n" + settings_text(account), reply_markup=settings_keyboard(account)
    )
