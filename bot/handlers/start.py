"""/start, /help and choosing a timezone."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.views import esc
from core.services.accounts import Account, AccountService

router = Router(name=__name__)
COMMANDS = ["start", "help"]

COMMON_ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
]

HELP = (
    "<b>What I do</b>\n"
    "Send me a <b>.fit</b> file from any watch or app, or link Garmin Connect with /connect, "
    "and I compute your training load (TSS, TRIMP) and fitness (CTL), fatigue (ATL) and form "
    "(TSB), the way TrainingPeaks and intervals.icu do.\n\n"
    "<b>Training</b>: /today /week /activities /fitness /goal\n"
    "<b>AI coach</b>: just write to me, or /analyze /plan /workout\n"
    "<b>Garmin</b>: /connect /sync /disconnect\n"
    "<b>Account</b>: /usage /upgrade /billing /settings /export /delete\n"
    "<b>Payments</b>: /terms /paysupport\n\n"
    "/cancel stops any question I asked."
)


class TimezoneForm(StatesGroup):
    waiting = State()


class TzCb(CallbackData, prefix="tz"):
    zone: str


def timezone_keyboard() -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(text=z, callback_data=TzCb(zone=z).pack())
            for z in COMMON_ZONES[i : i + 3]
        ]
        for i in range(0, len(COMMON_ZONES), 3)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


TZ_QUESTION = (
    "Which timezone are you in? Pick one, or type its IANA name (for example "
    "<code>Europe/Madrid</code>). Your days, limits and the morning summary follow it."
)


@router.message(CommandStart())
async def start(
    message: Message, command: CommandObject, account: Account, state: FSMContext
) -> None:
    """Welcome; ask for the timezone until it is set."""
    if command.args == "paid":
        await message.answer(
            "Thank you! Pro is active as soon as Stripe confirms the payment, "
            "usually within seconds. /billing shows it."
        )
        return
    if command.args == "cancel":
        await message.answer("Checkout cancelled: nothing was charged. /upgrade to try again.")
        return
    name = esc(account.first_name or "athlete")
    await message.answer(f"Hi {name}! I am your training analyst and coach.\n\n{HELP}")
    if not account.timezone_set:
        await state.set_state(TimezoneForm.waiting)
        await message.answer(TZ_QUESTION, reply_markup=timezone_keyboard())


@router.message(Command("help"))
async def help_(message: Message) -> None:
    """What the bot can do."""
    await message.answer(HELP)


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    """Leave any dialog."""
    await state.clear()
    await message.answer("Cancelled.")


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
        await query.message.answer(f"Timezone set to <b>{esc(updated.timezone)}</b>.")


@router.message(StateFilter(TimezoneForm.waiting), F.text)
async def typed_zone(
    message: Message, account: Account, accounts: AccountService, state: FSMContext
) -> None:
    """A typed IANA name (a wrong one gets a clear error and the question stays open)."""
    updated = await accounts.set_timezone(account.id, message.text or "")
    await state.clear()
    await message.answer(f"Timezone set to <b>{esc(updated.timezone)}</b>.")
