"""/dashboard (the Mini App) and /web (a one-time sign-in link for a desktop browser)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import LinkPreviewOptions, Message

from bot.handlers.filters import Command
from bot.views import web as views
from core.accounts.context import AccountContext
from core.accounts.sessions import CODE_TTL, SessionService
from core.config import Settings

router = Router(name=__name__)
COMMANDS = ["dashboard", "web"]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@router.message(Command("web"))
async def web(
    message: Message, account: AccountContext, web_sessions: SessionService, settings: Settings
) -> None:
    """A sign-in link for the web app, valid a few minutes and once."""
    code = await web_sessions.issue_code(account)
    link = views.sign_in_link(views.app_base(settings), code.code)
    await message.answer(
        views.sign_in_text(link, int(CODE_TTL.total_seconds() // 60)),
        reply_markup=views.link_keyboard(link),
        link_preview_options=NO_PREVIEW,
    )


@router.message(Command("dashboard"))
async def dashboard(
    message: Message, account: AccountContext, web_sessions: SessionService, settings: Settings
) -> None:
    """The Mini App's button when the app is public over HTTPS, else the /web link."""
    url = views.mini_app_url(settings)
    if url is None:
        await web(message, account, web_sessions, settings)
        return
    await message.answer(views.dashboard_text(), reply_markup=views.dashboard_keyboard(url))
