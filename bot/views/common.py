"""Text and keyboards: HTML parse mode, every outside string escaped, split at 4096."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core.errors import (
    AppError,
    BillingNotStopped,
    GarminAuthError,
    LimitReached,
    NoGoalForPlan,
    NoSuchGoal,
    NotLinked,
    ProOnly,
    TooManyGoals,
)

MAX_TEXT = 4096
QUOTE_MAX = 64  # characters of a user's own text quoted back in an answer

FEATURE_NAMES = {
    "ai_chat": ("AI chat messages", "today"),
    "ai_analysis": ("AI workout analyses", "this month"),
    "ai_workout": ("AI workouts", "this month"),
    "ai_plan": ("active AI training plans", ""),
}


class FixedKeyboard(InlineKeyboardMarkup):
    """A keyboard built once and sent unchanged many times (a view caches it): the bot's
    session turns it into JSON once instead of on every send (bot.runtime.telegram). Never
    change one after building it."""


class UpgradeCb(CallbackData, prefix="upg"):
    source: str = "limit"


def esc(value: object) -> str:
    """Escape any user or model text for HTML parse mode."""
    return html.escape(str(value), quote=False)


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, with "…" where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote_input(text: str, limit: int = QUOTE_MAX) -> str:
    """A user's text quoted in an answer: one line, cut short, escaped, so the answer fits."""
    return esc(shorten(" ".join(text.split()), limit))


def zone_label(zone: str) -> str:
    """A zone as people write it: the database's Etc/GMT-3 is UTC+3 (its sign is inverted)."""
    if zone.startswith("Etc/GMT") and zone[7:8] in ("+", "-"):
        return f"UTC{'-' if zone[7] == '+' else '+'}{zone[8:]}"
    return zone


def unknown_command_text(command: str | None = None) -> str:
    """The answer to a command the bot does not have (or does not show to this user)."""
    what = quote_input(command) if command else "that command"
    return f"I don't know {what}. Send /help for what I can do."


def private_only_text(bot_username: str | None) -> str:
    """The one answer in groups and channels: accounts live in private chats."""
    where = (
        f"message me at https://t.me/{bot_username}"
        if bot_username
        else "open a private chat with me"
    )
    return f"I work in private chats only, so your training stays yours: {where}."


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split on paragraph boundaries, then lines, then hard, so each part fits Telegram."""
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for block in _blocks(text, limit):
        joined = f"{current}\n\n{block}" if current else block
        if len(joined) <= limit:
            current = joined
        else:
            if current:
                parts.append(current)
            current = block
    if current:
        parts.append(current)
    return parts


def _blocks(text: str, limit: int) -> list[str]:
    blocks: list[str] = []
    for para in text.split("\n\n"):
        if len(para) <= limit:
            blocks.append(para)
            continue
        line_buf = ""
        for line in para.split("\n"):
            while len(line) > limit:  # a single line longer than a message: cut it
                if line_buf:
                    blocks.append(line_buf)
                    line_buf = ""
                blocks.append(line[:limit])
                line = line[limit:]
            candidate = f"{line_buf}\n{line}" if line_buf else line
            if len(candidate) <= limit:
                line_buf = candidate
            else:
                blocks.append(line_buf)
                line_buf = line
        if line_buf:
            blocks.append(line_buf)
    return blocks


def upgrade_keyboard(source: str = "limit") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="⭐ Upgrade to Pro", callback_data=UpgradeCb(source=source).pack()
                )
            ]
        ]
    )


def when(moment: datetime, tz: str, now: datetime) -> str:
    """A reset time in the user's zone, with how long until it."""
    local = moment.astimezone(ZoneInfo(tz))
    minutes = max(0, int((moment - now).total_seconds() // 60))
    hours, mins = divmod(minutes, 60)
    wait = f"{hours} h {mins} min" if hours < 48 else f"{hours // 24} days"
    day = local.strftime("%H:%M") if hours < 24 else local.strftime("%d %b %H:%M")
    return f"{day} ({esc(tz)}), in {wait}"


def limit_text(err: LimitReached, tz: str, now: datetime) -> str:
    """What ran out, when it resets, and what Pro gives."""
    name, period = FEATURE_NAMES.get(err.feature, (err.feature, ""))
    if err.feature == "ai_plan":
        text = (
            f"The Free plan keeps {err.limit} active AI training plan. "
            "Cancel the current one with /plan cancel, or upgrade."
        )
    else:
        text = f"You have used all {err.limit} {name} {period} on the Free plan."
        if err.resets_at is not None:
            text += f"\nThey reset at {when(err.resets_at, tz, now)}."
    # The price is on the Upgrade button's answer, read from the plan rows.
    return text + "\n\n<b>Pro</b> makes every AI feature unlimited."


# What the bot adds to a domain error: the command that helps. Core's sentences name no
# command, so the web app can show the same errors with its own buttons.
_NEXT_STEP: list[tuple[type[AppError], str]] = [
    (NotLinked, "Send /connect to link it."),
    (GarminAuthError, "Send /connect to link again."),
    (TooManyGoals, "/goal delete N removes goal N."),
    (NoSuchGoal, "/goal lists them."),
    (NoGoalForPlan, "For example: /plan half marathon in 10 weeks, or set a race with /goal."),
]


APOLOGY = "Sorry, something went wrong on my side. Please try again in a minute."


def pro_only_text(exc: ProOnly, limit: int = MAX_TEXT) -> str:
    """A Pro feature asked for on Free: what it is, and that Pro unlocks it."""
    return f"{esc(shorten(exc.message, limit))} Upgrade to unlock it."


def error_text(exc: AppError, limit: int = MAX_TEXT) -> str:
    """A domain error as the bot says it (escaped HTML, one message)."""
    if isinstance(exc, BillingNotStopped):
        step = (
            "Please try /delete again in a few minutes."
            if exc.retry
            else "Please write to /paysupport."
        )
    else:
        step = next((s for kind, s in _NEXT_STEP if isinstance(exc, kind)), "")
    text = shorten(exc.message, limit - len(step) - 1)
    return esc(f"{text} {step}" if step else text)
