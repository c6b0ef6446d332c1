"""The command menu registered with setMyCommands, in the order users see it.

Telegram shows a user the menu registered for their app's language, else the default one:
the default is English, and each translated language gets its own.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, _, use_language

# (command, description). Each feature's router module handles its own commands.
MENU: list[tuple[str, str]] = [
    ("today", N_("Yesterday, form and today's session")),
    ("week", N_("This week vs last week")),
    ("activities", N_("Your last 10 activities")),
    ("fitness", N_("Fitness, fatigue and form chart")),
    ("curve", N_("Power curve, run bests, FTP from your curve")),
    ("dashboard", N_("Open your training dashboard")),
    ("web", N_("Sign-in link for a browser")),
    ("goal", N_("Race goals")),
    ("analyze", N_("AI analysis of a workout")),
    ("plan", N_("AI training plan")),
    ("workout", N_("AI workout for today")),
    ("connect", N_("Link Garmin Connect")),
    ("sync", N_("Sync Garmin now")),
    ("disconnect", N_("Unlink Garmin Connect")),
    ("usage", N_("Your plan and what is left")),
    ("upgrade", N_("Get Pro")),
    ("billing", N_("Your subscription")),
    ("export", N_("Download your data (Pro)")),
    ("settings", N_("Timezone, thresholds, summary time")),
    ("language", N_("Language of the bot")),
    ("delete", N_("Delete all my data")),
    ("help", N_("What I can do")),
    ("terms", N_("Terms of the Pro subscription")),
    ("paysupport", N_("Help with a payment")),
]


def bot_commands(available: set[str]) -> list[BotCommand]:
    """The menu limited to the commands some router handles, in the current language."""
    return [BotCommand(command=c, description=_(d)) for c, d in MENU if c in available]


async def set_menus(bot: Bot, available: set[str]) -> None:
    """The default (English) menu, then one per translated language."""
    await bot.set_my_commands(bot_commands(available))
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        with use_language(language):
            await bot.set_my_commands(bot_commands(available), language_code=language)
