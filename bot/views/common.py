"""Text and keyboards: HTML parse mode, every outside string escaped, split at 4096."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _, ngettext
from bot.i18n.format import clock_time, day_month
from core.errors import (
    AppError,
    BillingNotStopped,
    GarminAuthError,
    LimitReached,
    NoGoalForPlan,
    NoSuchGoal,
    NotLinked,
    PluralText,
    ProOnly,
    TooManyGoals,
)

MAX_TEXT = 4096
QUOTE_MAX = 64  # characters of a user's own text quoted back in an answer

# Name and window of each limited feature (marked: translate both with `_` where shown).
FEATURE_NAMES = {
    "ai_chat": (N_("AI chat messages"), N_("today")),
    "ai_analysis": (N_("AI workout analyses"), N_("this month")),
    "ai_workout": (N_("AI workouts"), N_("this month")),
    "ai_plan": (N_("active AI training plans"), ""),
}
# What a Pro-only feature is, said whole; features not here use the error's own sentence.
PRO_FEATURES = {
    "export": N_("The data export is part of the Pro plan."),
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
    if not command:
        return _("I don't know that command. Send /help for what I can do.")
    return _("I don't know {command}. Send /help for what I can do.").format(
        command=quote_input(command)
    )


def private_only_text(bot_username: str | None) -> str:
    """The one answer in groups and channels: accounts live in private chats."""
    if not bot_username:
        return _(
            "I work in private chats only, so your training stays yours: open a private chat "
            "with me."
        )
    return _(
        "I work in private chats only, so your training stays yours: message me at "
        "https://t.me/{username}."
    ).format(username=bot_username)


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
                    text=_("⭐ Upgrade to Pro"), callback_data=UpgradeCb(source=source).pack()
                )
            ]
        ]
    )


def when(moment: datetime, tz: str, now: datetime) -> str:
    """A reset time in the user's zone, with how long until it."""
    local = moment.astimezone(ZoneInfo(tz))
    minutes = max(0, int((moment - now).total_seconds() // 60))
    hours, mins = divmod(minutes, 60)
    if hours < 48:
        wait = _("in {hours} h {minutes} min").format(hours=hours, minutes=mins)
    else:
        days = hours // 24
        wait = ngettext("in {n} day", "in {n} days", days).format(n=days)
    day = clock_time(local) if hours < 24 else f"{day_month(local)} {clock_time(local)}"
    return f"{day} ({esc(tz)}), {wait}"


def limit_text(err: LimitReached, tz: str, now: datetime) -> str:
    """What ran out, when it resets, and what Pro gives."""
    if err.feature == "ai_plan":
        text = ngettext(
            "The Free plan keeps {limit} active AI training plan. Cancel the current one with "
            "/plan cancel, or upgrade.",
            "The Free plan keeps {limit} active AI training plans. Cancel one with /plan cancel, "
            "or upgrade.",
            err.limit,
        ).format(limit=err.limit)
    else:
        text = _used_up(err.feature, err.limit)
        if err.resets_at is not None:
            text += "\n" + _("They reset at {when}.").format(when=when(err.resets_at, tz, now))
    # The price is on the Upgrade button's answer, read from the plan rows.
    return text + "\n\n" + _("<b>Pro</b> makes every AI feature unlimited.")


def _used_up(feature: str, limit: int) -> str:
    """That the Free plan's allowance of `feature` is used up, as one whole sentence."""
    if feature == "ai_chat":
        text = ngettext(
            "You have used your {limit} AI chat message today on the Free plan.",
            "You have used all {limit} AI chat messages today on the Free plan.",
            limit,
        )
    elif feature == "ai_analysis":
        text = ngettext(
            "You have used your {limit} AI workout analysis this month on the Free plan.",
            "You have used all {limit} AI workout analyses this month on the Free plan.",
            limit,
        )
    elif feature == "ai_workout":
        text = ngettext(
            "You have used your {limit} AI workout this month on the Free plan.",
            "You have used all {limit} AI workouts this month on the Free plan.",
            limit,
        )
    else:
        return _("You have used all {limit} {feature} on the Free plan.").format(
            limit=limit, feature=esc(feature)
        )
    return text.format(limit=limit)


# What the bot adds to a domain error: the command that helps. Core's sentences name no
# command, so the web app can show the same errors with its own buttons.
_NEXT_STEP: list[tuple[type[AppError], str]] = [
    (NotLinked, N_("Send /connect to link it.")),
    (GarminAuthError, N_("Send /connect to link again.")),
    (TooManyGoals, N_("/goal delete N removes goal N.")),
    (NoSuchGoal, N_("/goal lists them.")),
    (NoGoalForPlan, N_("For example: /plan half marathon in 10 weeks, or set a race with /goal.")),
]
RETRY_DELETE = N_("Please try /delete again in a few minutes.")
WRITE_SUPPORT = N_("Please write to /paysupport.")


APOLOGY = N_("Sorry, something went wrong on my side. Please try again in a minute.")


def error_message(exc: AppError) -> str:
    """The error's own sentence in the current language (plain text, not escaped).

    Core's sentences and the view constants handlers raise are in the catalogs; a text with
    no translation (an operator's message) stays as it is.
    """
    template = exc.template
    if isinstance(template, PluralText):
        text = ngettext(template.singular, template.plural, template.n)
    else:
        text = _(template)
    if not exc.params:
        return text
    try:
        return text.format(**exc.params)
    except (KeyError, IndexError, ValueError):  # a translation that lost a field: say it in English
        return exc.message


def pro_only_text(exc: ProOnly, limit: int = MAX_TEXT) -> str:
    """A Pro feature asked for on Free: what it is, and that Pro unlocks it."""
    what = _(PRO_FEATURES[exc.feature]) if exc.feature in PRO_FEATURES else error_message(exc)
    return f"{esc(shorten(what, limit))} " + _("Upgrade to unlock it.")


def error_text(exc: AppError, limit: int = MAX_TEXT) -> str:
    """A domain error as the bot says it (escaped HTML, one message)."""
    if isinstance(exc, BillingNotStopped):
        step = _(RETRY_DELETE) if exc.retry else _(WRITE_SUPPORT)
    else:
        step = next((_(s) for kind, s in _NEXT_STEP if isinstance(exc, kind)), "")
    text = shorten(error_message(exc), limit - len(step) - 1)
    return esc(f"{text} {step}" if step else text)
