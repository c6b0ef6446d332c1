"""Texts and keyboards of /start, /help, /cancel and the timezone question."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _
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

HELP = N_(
    "<b>What I do</b>\n"
    "Send me a <b>.fit</b> file from any watch or app, or link Garmin Connect with /connect, "
    "and I compute your training load (TSS, TRIMP) and fitness (CTL), fatigue (ATL) and form "
    "(TSB), the way TrainingPeaks and intervals.icu do.\n\n"
    "<b>Training</b>: /today /week /activities /fitness /curve /goal\n"
    "<b>AI coach</b>: just write to me, or /analyze /plan /workout\n"
    "<b>Garmin</b>: /connect /sync /disconnect\n"
    "<b>Account</b>: /usage /upgrade /billing /settings /language /export /delete\n"
    "<b>Dashboard</b>: /dashboard in Telegram, /web for a browser\n"
    "<b>Payments</b>: /terms /paysupport\n\n"
    "/cancel stops any question I asked."
)

TZ_QUESTION = N_(
    "Which timezone are you in? Pick one, or type your city (<code>Madrid</code>), its IANA "
    "name (<code>Europe/Madrid</code>) or your UTC offset (<code>UTC+2</code>). Your days, "
    "limits and the morning summary follow it; until then I use UTC."
)
TZ_ASK_AGAIN = N_("Pick one below or try once more; otherwise I'll go on in UTC for now.")
UTC_NOTE = N_("I'll use UTC until you set your timezone in /settings.")
CANCELLED = N_("Cancelled.")


class TzCb(CallbackData, prefix="tz"):
    zone: str


def help_text() -> str:
    """/help in the athlete's language."""
    return _(HELP)


def welcome_text(first_name: str | None) -> str:
    """The greeting of /start, with what the bot does."""
    name = esc(first_name) if first_name else _("athlete")
    greeting = _("Hi {name}! I am your training analyst and coach.").format(name=name)
    return f"{greeting}\n\n{help_text()}"


def timezone_question() -> str:
    return _(TZ_QUESTION)


def utc_note() -> str:
    return _(UTC_NOTE)


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
    return f"{esc(error)}\n{_(TZ_ASK_AGAIN)}"


def zone_set_text(zone: str) -> str:
    return _("Timezone set to <b>{zone}</b>.").format(zone=esc(zone_label(zone)))


def cancelled_text(*, utc_note: bool) -> str:
    """/cancel's answer; with a word that UTC stays when it closed the timezone question."""
    if utc_note:
        return _("Cancelled. I'll use UTC until you set your timezone in /settings.")
    return _(CANCELLED)
