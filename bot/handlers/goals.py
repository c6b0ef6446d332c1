"""/goal: list race goals, add one (one line or a short dialog), delete by number."""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.handlers.filters import NOT_A_COMMAND, Command
from bot.i18n import _
from bot.views import goals as views
from bot.views.common import split_text
from core.accounts.service import Account
from core.errors import BadInput
from core.training.goals import GoalInput, GoalService, parse_date, parse_time
from core.training.typed_units import parse_distance_km

router = Router(name=__name__)
COMMANDS = ["goal"]
_NUMBER_THEN_UNIT = re.compile(r"(\d)\s+(?=[^\W\d])")


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
        added = await goals.add_line(account.id, rest, account.units)
        await message.answer(views.added_text(added, account.units))
    elif verb == "add":
        await state.set_state(GoalForm.name)
        await message.answer(_(views.ASK_NAME))
    elif verb == "delete" and rest.strip().isdigit():
        gone = await goals.delete(account.id, int(rest.strip()))
        await message.answer(views.deleted_text(gone, account.units))
    else:
        await message.answer(_(views.per_units(views.USAGE, account.units)))


@router.message(StateFilter(GoalForm.name), NOT_A_COMMAND)
async def goal_name(message: Message, state: FSMContext) -> None:
    """The race name."""
    name = " ".join((message.text or "").split())[:200]
    await state.update_data(name=name)
    await state.set_state(GoalForm.race_date)
    await message.answer(_(views.ASK_DATE))


@router.message(StateFilter(GoalForm.race_date), NOT_A_COMMAND)
async def goal_date(message: Message, account: Account, state: FSMContext) -> None:
    """The race date (a wrong one is asked again)."""
    day = parse_date(message.text or "")
    await state.update_data(race_date=day.isoformat())
    await state.set_state(GoalForm.details)
    await message.answer(_(views.per_units(views.ASK_DETAILS, account.units)))


@router.message(StateFilter(GoalForm.details), NOT_A_COMMAND)
async def goal_details(
    message: Message, account: Account, goals: GoalService, state: FSMContext
) -> None:
    """Optional distance (in the athlete's units, or with km/mi after it) and target time; then
    the goal is stored."""
    # "26.2 mi 3:15:00": the unit belongs to the number before it
    words = _NUMBER_THEN_UNIT.sub(r"\1", message.text or "").split()
    if words and views.is_skip(words[0]):
        words = []
    if len(words) > 2:
        raise BadInput(views.per_units(views.TOO_MANY_DETAILS, account.units))
    km = next((parse_distance_km(w, account.units) for w in words if ":" not in w), None)
    seconds = next((parse_time(w) for w in words if ":" in w), None)
    data = await state.get_data()
    added = await goals.add(
        account.id,
        GoalInput(data["name"], parse_date(data["race_date"]), km, seconds),
    )
    await state.clear()
    await message.answer(views.added_text(added, account.units))
