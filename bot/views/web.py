"""Texts and buttons of /dashboard and /web: the Mini App and the browser sign-in link."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.i18n import N_, _, ngettext
from bot.views.common import esc
from core.config import Settings

DASHBOARD_TEXT = N_(
    "<b>Your training dashboard</b>: activities with their charts, fitness, fatigue and form, "
    "your plan and workouts."
)


def dashboard_text() -> str:
    return _(DASHBOARD_TEXT)


def app_base(settings: Settings) -> str:
    """Where the web app answers: the public address, else this machine."""
    return settings.app_url or f"http://127.0.0.1:{settings.port}"


def mini_app_url(settings: Settings) -> str | None:
    """The Mini App's address; None unless public over HTTPS, as Telegram requires."""
    base = settings.app_url
    return f"{base}/app" if base and base.startswith("https://") else None


def sign_in_link(base: str, code: str) -> str:
    # The code rides in the fragment, which browsers never send to a server (or a preview).
    return f"{base}/app#code={code}"


def sign_in_text(link: str, minutes: int) -> str:
    works = ngettext(
        "It works once, within {minutes} minute. Do not share it: it opens your account.",
        "It works once, within {minutes} minutes. Do not share it: it opens your account.",
        minutes,
    ).format(minutes=minutes)
    return f"{_('<b>Sign-in link for a browser</b>')}\n{esc(link)}\n\n{works}"


def dashboard_keyboard(url: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=_("Open dashboard"), web_app=WebAppInfo(url=url))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def link_keyboard(link: str) -> InlineKeyboardMarkup | None:
    """A button for the link, when Telegram accepts its address (public HTTPS only)."""
    if not link.startswith("https://"):
        return None
    button = InlineKeyboardButton(text=_("Open in browser"), url=link)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
