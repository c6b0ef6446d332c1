"""The AI coach: free-text chat (streamed), /analyze, /plan and /workout."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from contextlib import aclosing
from typing import TypeVar

from aiogram import Bot, Router
from aiogram.enums import ChatAction, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.delivery.streaming import AnswerStream
from bot.handlers.filters import NOT_A_COMMAND, Command
from bot.i18n import _
from bot.views import coach as views
from bot.views.coach import AnalyzeCb, PlanWeekCb
from core.accounts.context import AccountContext
from core.clock import local_today, utcnow
from core.coach.plans import PlanResult
from core.coach.service import CoachReply, CoachService
from core.errors import BadInput, LLMNotConfigured, NotFound
from core.garmin.calendar import GarminCalendar
from core.gateways.llm import TextDelta

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS = ["analyze", "plan", "workout"]

T = TypeVar("T")


async def _send(
    bot: Bot, chat_id: int, parts: list[str], *, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send the parts in order, the keyboard under the last one."""
    for i, part in enumerate(parts):
        markup = keyboard if i == len(parts) - 1 else None
        await bot.send_message(chat_id, part, reply_markup=markup)


def _chat_id(query: CallbackQuery) -> int:
    """Where a button's answer goes: its message's chat, else the user's private chat."""
    return query.message.chat.id if query.message is not None else query.from_user.id


async def _typing(bot: Bot, chat_id: int) -> None:
    """Show "typing" while the model works; a failure here must not stop the answer."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramAPIError as exc:
        logger.info("typing action failed in chat %s: %s", chat_id, exc)


async def _or_not_configured(bot: Bot, chat_id: int, call: Awaitable[T]) -> T | None:
    """The service's answer, or None after telling the user no model is set up."""
    try:
        return await call
    except LLMNotConfigured:
        await bot.send_message(chat_id, _(views.NOT_CONFIGURED))
        return None


# -- chat -----------------------------------------------------------------------------------


@router.message(StateFilter(None), NOT_A_COMMAND)
async def chat(message: Message, bot: Bot, account: AccountContext, coach: CoachService) -> None:
    """Any plain text: the coach answers, streamed as drafts in private chats."""
    if not coach.configured:
        await message.answer(_(views.NOT_CONFIGURED))
        return
    stream = AnswerStream(bot, message.chat.id, drafts=message.chat.type == ChatType.PRIVATE)
    await stream.start()
    text = ""
    reply: CoachReply | None = None
    async with aclosing(coach.chat_stream(account, message.text or "")) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                text += event.text
                await stream.update(text)
            else:
                reply = event
    assert reply is not None  # the service always ends with its CoachReply
    await _send(bot, message.chat.id, views.escaped_parts(reply.text))


# -- analyses -------------------------------------------------------------------------------


def _activity_id(args: str | None) -> int | None:
    if not args or not args.strip():
        return None
    try:
        return int(args.strip())
    except ValueError:
        raise BadInput(views.ANALYZE_USAGE) from None


async def _analyze(
    bot: Bot, chat_id: int, coach: CoachService, account: AccountContext, activity_id: int | None
) -> None:
    await _typing(bot, chat_id)
    result = await _or_not_configured(bot, chat_id, coach.analyze(account, activity_id))
    if result is not None:
        await _send(bot, chat_id, views.analysis_parts(result))


@router.message(Command("analyze"))
async def analyze(
    message: Message, command: CommandObject, bot: Bot, account: AccountContext, coach: CoachService
) -> None:
    """/analyze [activity id]: the coach's analysis of the latest (or that) activity."""
    await _analyze(bot, message.chat.id, coach, account, _activity_id(command.args))


@router.callback_query(AnalyzeCb.filter())
async def analyze_button(
    query: CallbackQuery,
    callback_data: AnalyzeCb,
    bot: Bot,
    account: AccountContext,
    coach: CoachService,
) -> None:
    """An "AI analysis" button under an activity."""
    await query.answer()  # at once: the model may take several seconds
    await _analyze(bot, _chat_id(query), coach, account, callback_data.activity_id)


# -- plans ----------------------------------------------------------------------------------


async def _show_plan(
    bot: Bot, chat_id: int, plan: PlanResult, account: AccountContext, *, created: bool
) -> None:
    """The plan's header and its current week (week 1 for a new plan), with week buttons."""
    today = local_today(utcnow(), account.timezone)
    week = plan.weeks[0] if created else views.current_week(plan, today)
    parts = views.plan_parts(plan, week, created=created, units=account.units)
    await _send(bot, chat_id, parts, keyboard=views.plan_keyboard(plan, week.week))


@router.message(Command("plan"))
async def plan(
    message: Message,
    command: CommandObject,
    bot: Bot,
    account: AccountContext,
    coach: CoachService,
    garmin_calendar: GarminCalendar,
) -> None:
    """/plan shows the active plan (or makes one); /plan <goal> makes one; /plan cancel.
    A new plan's first week goes on the Garmin calendar; a cancelled or replaced plan's
    workouts leave it (each morning then puts that day's session there)."""
    chat_id = message.chat.id
    args = (command.args or "").strip()
    if args.lower() == views.PLAN_CANCEL:
        archived = await coach.cancel_plan(account.id)
        removed = await garmin_calendar.clear_plan(account.id, archived.id)
        await message.answer(views.plan_archived_text(archived, removed))
        return
    active = await coach.active_plan(account.id)
    if not args and active is not None:
        await _show_plan(bot, chat_id, active, account, created=False)
        return
    await _typing(bot, chat_id)
    made = await _or_not_configured(bot, chat_id, coach.create_plan(account, args or None))
    if made is None:
        return
    await _show_plan(bot, chat_id, made, account, created=True)
    if active is not None:
        await garmin_calendar.clear_plan(account.id, active.id)
    coming = views.plan_days_to_schedule(made)
    if coming:
        outcomes = await garmin_calendar.sync_days(account.id, coming, plan_id=made.id)
        line = views.plan_calendar_line(outcomes)
        if line is not None:
            await bot.send_message(chat_id, line)


@router.callback_query(PlanWeekCb.filter())
async def plan_week(
    query: CallbackQuery,
    callback_data: PlanWeekCb,
    bot: Bot,
    account: AccountContext,
    coach: CoachService,
) -> None:
    """A week button under the plan."""
    await query.answer()
    active = await coach.active_plan(account.id)
    if active is None:
        raise NotFound(views.NO_PLAN)
    week = next((w for w in active.weeks if w.week == callback_data.week), None)
    if week is None:
        raise NotFound(views.no_week_text(callback_data.week))
    parts = views.week_parts(active, week, units=account.units)
    await _send(bot, _chat_id(query), parts, keyboard=views.plan_keyboard(active, week.week))


# -- workouts -------------------------------------------------------------------------------


@router.message(Command("workout"))
async def workout(
    message: Message,
    command: CommandObject,
    bot: Bot,
    account: AccountContext,
    coach: CoachService,
    garmin_calendar: GarminCalendar,
) -> None:
    """/workout: today's session as text and as files for a watch or an app (FIT, and .zwo
    for indoor sessions), then on the Garmin calendar when Garmin is linked; /workout new
    asks the coach for a different one."""
    args = (command.args or "").strip().lower()
    if args not in ("", views.WORKOUT_NEW):
        raise BadInput(views.WORKOUT_USAGE)
    await _typing(bot, message.chat.id)
    made = await _or_not_configured(
        bot, message.chat.id, coach.todays_workout(account, fresh=args == views.WORKOUT_NEW)
    )
    if made is None:
        return
    parts = views.workout_parts(made, profile=account.profile, units=account.units)
    await _send(bot, message.chat.id, parts)
    for file in made.files:
        await bot.send_document(
            message.chat.id,
            BufferedInputFile(file.content, filename=file.name),
            caption=views.workout_file_caption(file.name),
        )
    if made.workout is None:  # stored before workouts were structured: nothing to schedule
        return
    outcome = await garmin_calendar.put_on_day(
        account.id, made.day, made.workout, workout_id=made.id
    )
    line = views.garmin_calendar_line(outcome)
    if line is not None:
        await bot.send_message(message.chat.id, line)
