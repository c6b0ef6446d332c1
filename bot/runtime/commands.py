"""The command menu registered with setMyCommands, in the order users see it."""

from __future__ import annotations

from aiogram.types import BotCommand

# (command, description). Each feature's router module handles its own commands.
MENU: list[tuple[str, str]] = [
    ("today", "Yesterday, form and today's session"),
    ("week", "This week vs last week"),
    ("activities", "Your last 10 activities"),
    ("fitness", "Fitness, fatigue and form chart"),
    ("curve", "Power curve, run bests, FTP from your curve"),
    ("dashboard", "Open your training dashboard"),
    ("web", "Sign-in link for a browser"),
    ("goal", "Race goals"),
    ("analyze", "AI analysis of a workout"),
    ("plan", "AI training plan"),
    ("workout", "AI workout for today"),
    ("connect", "Link Garmin Connect"),
    ("sync", "Sync Garmin now"),
    ("disconnect", "Unlink Garmin Connect"),
    ("usage", "Your plan and what is left"),
    ("upgrade", "Get Pro"),
    ("billing", "Your subscription"),
    ("export", "Download your data (Pro)"),
    ("settings", "Timezone, thresholds, summary time"),
    ("delete", "Delete all my data"),
    ("help", "What I can do"),
    ("terms", "Terms of the Pro subscription"),
    ("paysupport", "Help with a payment"),
]


def bot_commands(available: set[str]) -> list[BotCommand]:
    """The menu limited to the commands some router handles."""
    return [BotCommand(command=c, description=d) for c, d in MENU if c in available]
