"""Texts and buttons of /language: the language the bot writes in."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LANGUAGE_NAMES, N_, _, negotiate

UNKNOWN = N_("I don't know that language; nothing was changed.")


class LangCb(CallbackData, prefix="lang"):
    code: str


def _name(code: str | None) -> str:
    return LANGUAGE_NAMES[negotiate(code)]


def language_text(current: str | None) -> str:
    """The language in use and the question which one it should be."""
    return _("Language: {language}. Which language should I write in?").format(
        language=_name(current)
    )


def changed_text(language: str) -> str:
    """The answer to a choice, written in the language just chosen."""
    return _("Language: {language}. From now on I write to you in this language.").format(
        language=_name(language)
    )


def language_keyboard(current: str | None) -> InlineKeyboardMarkup:
    """One button per language, each named in its own words; the current one ticked."""
    chosen = negotiate(current)
    buttons = [
        InlineKeyboardButton(
            text=f"✓ {name}" if code == chosen else name,
            callback_data=LangCb(code=code).pack(),
        )
        for code, name in LANGUAGE_NAMES.items()
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[:2], buttons[2:]])
