"""/curve (/bests): the power curve and run bests; the button that accepts a proposed FTP."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.handlers.filters import Command
from bot.i18n import _
from bot.views import bests as views
from bot.views.bests import FtpCb
from core.accounts.context import AccountContext
from core.training.bests import BestsService

router = Router(name=__name__)
COMMANDS = ["curve", "bests"]


@router.message(Command(*COMMANDS))
async def curve(message: Message, account: AccountContext, bests: BestsService) -> None:
    """The curve table over 90 days and the visible history, run bests, the FTP proposal."""
    overview = await bests.curves(account)
    await message.answer(views.curve_text(overview))
    png = await bests.chart(overview, labels=views.curve_chart_labels(overview))
    if png is not None:
        photo = BufferedInputFile(png, filename="power-curve.png")
        await message.answer_photo(photo, caption=_(views.CURVE_CAPTION))
    if overview.ftp_offer is not None:
        offer = overview.ftp_offer
        await message.answer(
            views.ftp_offer_text(offer), reply_markup=views.ftp_offer_keyboard(offer)
        )


@router.callback_query(FtpCb.filter())
async def accept_ftp(
    query: CallbackQuery, callback_data: FtpCb, account: AccountContext, bests: BestsService
) -> None:
    """Accept the proposal as recomputed now; the button's figure is only compared."""
    result = await bests.accept_ftp(account, shown=callback_data.watts)
    await query.answer()
    if query.message is None:
        return
    keyboard = None
    if result.status == "changed" and result.offer is not None:
        keyboard = views.ftp_offer_keyboard(result.offer)
    await query.message.answer(views.acceptance_text(result), reply_markup=keyboard)
