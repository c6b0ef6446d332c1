"""FIT uploads, /today, /week, /activities, /fitness and /export."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.handlers.downloads import download
from bot.handlers.filters import DOCUMENT, Command
from bot.i18n import _
from bot.views import training as views
from bot.views.bests import ftp_offer_keyboard, ftp_offer_text
from bot.views.coach import analyze_keyboard
from bot.views.rpe import import_rating
from bot.views.training import ActCb
from core.accounts.context import AccountContext
from core.training.export import ExportService
from core.training.fit import MAX_FIT_BYTES
from core.training.imports import TrainingService
from core.training.reports import ReportService

logger = logging.getLogger(__name__)
router = Router(name=__name__)
COMMANDS = ["today", "week", "activities", "fitness", "export"]


@router.message(DOCUMENT)
async def upload(
    message: Message, bot: Bot, account: AccountContext, training: TrainingService
) -> None:
    """A file sent as a document: checked, downloaded, imported, answered with its card."""
    doc = message.document
    assert doc is not None
    if not (doc.file_name or "").lower().endswith(".fit"):
        await message.answer(_(views.NOT_FIT))
        return
    if doc.file_size is not None and doc.file_size > MAX_FIT_BYTES:
        await message.answer(_(views.TOO_BIG))
        return
    data = await download(bot, doc)
    if data is None:
        await message.answer(_(views.DOWNLOAD_FAILED))
        return

    async def waiting(ahead: int) -> None:
        try:
            await message.answer(views.queued_text(ahead))
        except TelegramAPIError as exc:  # only a courtesy note: the import goes on
            logger.warning("could not send the queue note: %s", type(exc).__name__)

    result = await training.import_fit(account.id, data, on_wait=waiting)
    text, rating = import_rating(views.import_text(result, account.units), result)
    await message.answer(text, reply_markup=rating)
    if result.ftp_offer is not None:  # a second message: the card keeps its own buttons
        offer = result.ftp_offer
        await message.answer(ftp_offer_text(offer), reply_markup=ftp_offer_keyboard(offer))


@router.message(Command("today"))
async def today(message: Message, account: AccountContext, reports: ReportService) -> None:
    """Yesterday's load, form, wellness, today's session and the next race."""
    await message.answer(views.today_text(await reports.today(account)))


@router.message(Command("week"))
async def week(message: Message, account: AccountContext, reports: ReportService) -> None:
    """This week against last week."""
    await message.answer(views.week_text(await reports.week(account), account.units))


@router.message(Command("activities"))
async def activities(message: Message, account: AccountContext, reports: ReportService) -> None:
    """The last 10 activities as buttons opening their cards."""
    cards = await reports.activities(account)
    keyboard = views.list_keyboard(cards, account.units) if cards else None
    await message.answer(views.list_text(cards, account.units), reply_markup=keyboard)


@router.callback_query(ActCb.filter())
async def activity_card(
    query: CallbackQuery, callback_data: ActCb, account: AccountContext, reports: ReportService
) -> None:
    """One activity's card (another athlete's id answers 'not found')."""
    card = await reports.activity(account, callback_data.id)
    await query.answer()
    if query.message is not None:
        await query.message.answer(
            views.card_text(card, account.units), reply_markup=analyze_keyboard(card.id)
        )


@router.message(Command("fitness"))
async def fitness(message: Message, account: AccountContext, reports: ReportService) -> None:
    """The fitness, fatigue and form chart of the last 90 days."""
    png = await reports.fitness_chart(account, labels=views.fitness_chart_labels())
    await message.answer_photo(
        BufferedInputFile(png, filename="fitness.png"),
        caption=_(views.FITNESS_CAPTION),
    )


@router.message(Command("export"))
async def export(message: Message, account: AccountContext, export: ExportService) -> None:
    """Activities and daily fitness as CSV files (Pro)."""
    files = await export.export(account)
    await message.answer_document(
        BufferedInputFile(files.activities_csv, filename="activities.csv"),
        caption=views.activities_csv_caption(files.activity_count),
    )
    await message.answer_document(
        BufferedInputFile(files.fitness_csv, filename="fitness.csv"),
        caption=views.fitness_csv_caption(files.day_count),
    )
