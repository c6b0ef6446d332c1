"""/goal: list race goals, add one (one line or a short dialog), delete by number."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.handlers.filters import NOT_A_COMMAND
from bot.i18n import _
from bot.views import goals as views
from bot.views.common import split_text
from core.accounts.service import Account
from core.errors import BadInput
from core.training.goals import GoalInput, GoalService, parse_date, parse_distance_km, parse_time

router = Router(name=__name__)
COMMANDS = ["goal"]


class GoalForm(StatesGroup):
    name = State()
    race_date = State()
    details = State()


@router.message(Command("goal"))
async def goal(
    message: Message, command: CommandObject, account: Account, goals: GoalService,
    state: FSMContext,
) -> None:  # fmt: skip
    """List, add or delete race goals."""
    verb, _sep, rest = (command.args or "").strip().partition(" ")
    verb = verb.lower()
    if not verb:
        # Twenty goals with long names pass Telegram's 4096 characters: send in parts.
        for part in split_text(views.goals_text(await goals.list(account.id), account.units)):
            await message.answer(part)
    elif verb == "add" and rest.strip():
        added = await goals.add_line(account.id, rest)
        await message.answer(views.added_text(added, account.units))
    elif verb == "add":
        await state.set_state(GoalForm.name)
        await message.answer(_(views.ASK_NAME))
    elif verb == "delete" and rest.strip().isdigit():
        gone = await goals.delete(account.id, int(rest.strip()))
        await message.answer(views.deleted_text(gone, account.units))
    else:
        await message.answer(_(views.USAGE))


@router.message(StateFilter(GoalForm.name), NOT_A_COMMAND)
async def goal_name(message: Message, state: FSMContext) -> None:
    """The race name."""
    name = " ".join((message.text or "").split())[:200]
    await state.update_data(name=name)
    await state.set_state(GoalForm.race_date)
    await message.answer(_(views.ASK_DATE))


@router.message(StateFilter(GoalForm.race_date), NOT_A_COMMAND)
async def goal_date(message: Message, state: FSMContext) -> None:
    """The race date (a wrong one is asked again)."""
    day = parse_date(message.text or "")
    await state.update_data(race_date=day.isoformat())
    await state.set_state(GoalForm.details)
    await message.answer(_(views.ASK_DETAILS))


@router.message(StateFilter(GoalForm.details), NOT_A_COMMAND)
async def goal_details(
    message: Message, account: Account, goals: GoalService, state: FSMContext
) -> None:
    """Optional distance and target time; then the goal is stored."""
    words = (message.text or "").split()
    if words and views.is_skip(words[0]):
        words = []
    if len(words) > 2:
        raise BadInput(views.TOO_MANY_DETAILS)
    km = next((parse_distance_km(w) for w in words if ":" not in w), None)
    seconds = next((parse_time(w) for w in words if ":" in w), None)
    data = await state.get_data()
    added = await goals.add(
        account.id,
        GoalInput(data["name"], parse_date(data["race_date"]), km, seconds),
    )
    await state.clear()
    await message.answer(views.added_text(added, account.units))
