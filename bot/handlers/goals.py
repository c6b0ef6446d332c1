"""/goal: list race goals, add one (one line or a short dialog), delete by number."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.handlers.filters import NOT_A_COMMAND
from bot.views.common import split_text
from bot.views.training import goal_line, goals_text
from core.accounts.service import Account
from core.errors import BadInput
from core.training.goals import GoalInput, GoalService, parse_date, parse_distance_km, parse_time

router = Router(name=__name__)
COMMANDS = ["goal"]

USAGE = "Use /goal, /goal add [name date km h:mm:ss] or /goal delete N."


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
    verb, _, rest = (command.args or "").strip().partition(" ")
    verb = verb.lower()
    if not verb:
        # Twenty goals with long names pass Telegram's 4096 characters: send in parts.
        for part in split_text(goals_text(await goals.list(account.id), account.units)):
            await message.answer(part)
    elif verb == "add" and rest.strip():
        added = await goals.add_line(account.id, rest)
        await message.answer("Goal added:\n" + goal_line(added, account.units))
    elif verb == "add":
        await state.set_state(GoalForm.name)
        await message.answer("What is the race called? (/cancel to stop)")
    elif verb == "delete" and rest.strip().isdigit():
        gone = await goals.delete(account.id, int(rest.strip()))
        await message.answer(f"Deleted: {goal_line(gone, account.units)}")
    else:
        await message.answer(USAGE)


@router.message(StateFilter(GoalForm.name), NOT_A_COMMAND)
async def goal_name(message: Message, state: FSMContext) -> None:
    """The race name."""
    name = " ".join((message.text or "").split())[:200]
    await state.update_data(name=name)
    await state.set_state(GoalForm.race_date)
    await message.answer("When is it? YYYY-MM-DD, for example 2027-09-26.")


@router.message(StateFilter(GoalForm.race_date), NOT_A_COMMAND)
async def goal_date(message: Message, state: FSMContext) -> None:
    """The race date (a wrong one is asked again)."""
    day = parse_date(message.text or "")
    await state.update_data(race_date=day.isoformat())
    await state.set_state(GoalForm.details)
    await message.answer("Distance in km and target time, e.g. <code>42.2 3:15:00</code>, "
                         "or <code>skip</code>.")  # fmt: skip


@router.message(StateFilter(GoalForm.details), NOT_A_COMMAND)
async def goal_details(
    message: Message, account: Account, goals: GoalService, state: FSMContext
) -> None:
    """Optional distance and target time; then the goal is stored."""
    words = (message.text or "").split()
    if words and words[0].lower() == "skip":
        words = []
    if len(words) > 2:
        raise BadInput("Give at most a distance and a time, e.g. 42.2 3:15:00, or skip.")
    km = next((parse_distance_km(w) for w in words if ":" not in w), None)
    seconds = next((parse_time(w) for w in words if ":" in w), None)
    data = await state.get_data()
    added = await goals.add(
        account.id,
        GoalInput(data["name"], parse_date(data["race_date"]), km, seconds),
    )
    await state.clear()
    await message.answer("Goal added:\n" + goal_line(added, account.units))
