"""Texts and keyboards of /start, /help, /cancel and the timezone question."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.common import esc, zone_label

COMMON_ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
]

HELP = (
    "<b>What I do</b>\n"
    "Send me a <b>.fit</b> file from any watch or app, or link Garmin Connect with /connect, "
    "and I compute your training load (TSS, TRIMP) and fitness (CTL), fatigue (ATL) and form "
    "(TSB), the way TrainingPeaks and intervals.icu do.\n\n"
    "<b>Training</b>: /today /week /activities /fitness /curve /goal\n"
    "<b>AI coach</b>: just write to me, or /analyze /plan /workout\n"
    "<b>Garmin</b>: /connect /sync /disconnect\n"
    "<b>Account</b>: /usage /upgrade /billing /settings /export /delete\n"
    "<b>Dashboard</b>: /dashboard in Telegram, /web for a browser\n"
    "<b>Payments</b>: /terms /paysupport\n\n"
    "/cancel stops any question I asked."
)

TZ_QUESTION = (
    "Which timezone are you in? Pick one, or type your city (<code>Madrid</code>), its IANA "
    "name (<code>Europe/Madrid</code>) or your UTC offset (<code>UTC+2</code>). Your days, "
    "limits and the morning summary follow it; until then I use UTC."
)
TZ_ASK_AGAIN = "Pick one below or try once more; otherwise I'll go on in UTC for now."
UTC_NOTE = "I'll use UTC until you set your timezone in /settings."
CANCELLED = "Cancelled."


class TzCb(CallbackData, prefix="tz"):
    zone: str


def welcome_text(first_name: str | None) -> str:
    """The greeting of /start, with what the bot does."""
    return f"Hi {esc(first_name or 'athlete')}! I am your training analyst and coach.\n\n{HELP}"


def timezone_keyboard() -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(text=z, callback_data=TzCb(zone=z).pack())
            for z in COMMON_ZONES[i : i + 3]
        ]
        for i in range(0, len(COMMON_ZONES), 3)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def ask_again_text(error: str) -> str:
    """A short miss: why it was not a zone, and the question once more."""
    return f"{esc(error)}\n{TZ_ASK_AGAIN}"


def zone_set_text(zone: str) -> str:
    return f"Timezone set to <b>{esc(zone_label(zone))}</b>."


def cancelled_text(*, utc_note: bool) -> str:
    """/cancel's answer; with a word that UTC stays when it closed the timezone question."""
    return f"{CANCELLED} {UTC_NOTE}" if utc_note else CANCELLED
