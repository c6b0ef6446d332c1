"""Texts and keyboards of /settings: the settings card, its buttons and the value questions."""

from __future__ import annotations

from functools import cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.common import FixedKeyboard, esc, zone_label
from core.accounts.context import AccountContext
from core.training.formatting import format_pace

# field -> (button label, question)
FIELDS: dict[str, tuple[str, str]] = {
    "timezone": (
        "Timezone",
        "Type your city (e.g. Berlin), its IANA name (Europe/Berlin) or your UTC offset (UTC+1).",
    ),
    "summary_time": ("Summary time", "When should the morning summary come? HH:MM, e.g. 07:00."),
    "hr_max": ("HR max", "Your maximum heart rate in bpm (e.g. 188), or 0 to clear."),
    "hr_rest": ("HR rest", "Your resting heart rate in bpm (e.g. 52), or 0 to clear."),
    "lthr": ("LTHR", "Your lactate threshold heart rate in bpm (e.g. 168), or 0 to clear."),
    "ftp": ("FTP", "Your functional threshold power in watts (e.g. 250), or 0 to clear."),
    "threshold_pace_s_per_km": (
        "Threshold pace",
        "Your threshold running pace per km as m:ss (e.g. 4:30), or 0 to clear.",
    ),
    "sex": ("Sex", "male or female (used by the TRIMP formula)."),
}
UNITS_FIELD = "units"  # the units button: switches at once
SUMMARY_FIELD = "summary_toggle"  # the morning summary button: switches at once
WEEKLY_FIELD = "weekly_toggle"  # the Monday weekly report button: switches at once
SIGN_OUT_FIELD = "sign_out"

STALE_BUTTON = "That button is not valid any more. Send /settings again."
SEX_EXPECTED = "Please answer male or female."
PACE_EXPECTED = "Give the pace as m:ss per km, for example 4:30."
NUMBER_EXPECTED = "Please send a whole number, for example 250."


class SetCb(CallbackData, prefix="set"):
    field: str


def other_units(units: str) -> str:
    """The units the units button switches to."""
    return "imperial" if units == "metric" else "metric"


def settings_text(account: AccountContext, sessions: int | None = None) -> str:
    """The settings screen; `sessions`: the dashboard sessions signed in (shown when any; by
    default the count read with the account)."""
    sessions = account.dashboard_sessions if sessions is None else sessions

    def v(x: object) -> str:
        return "not set" if x is None else esc(x)

    unset = " (not set yet)"
    profile = account.profile
    pace = profile.threshold_pace_s_per_km
    pace_txt = "not set" if pace is None else format_pace(pace)
    return (
        "<b>Settings</b>\n"
        f"Timezone: {esc(zone_label(account.timezone))}{'' if account.timezone_set else unset}\n"
        f"Morning summary: {account.summary_time.strftime('%H:%M')}"
        f" ({'on' if account.summary_enabled else 'off'})\n"
        f"Weekly report: Mondays, same time ({'on' if account.weekly_report_enabled else 'off'})\n"
        f"Units: {account.units}\n\n"
        "<b>Thresholds</b> (unset ones are estimated from your data)\n"
        f"HR max: {v(profile.hr_max)} · HR rest: {v(profile.hr_rest)} · LTHR: {v(profile.lthr)}\n"
        f"FTP: {v(profile.ftp)} W · Threshold pace: {pace_txt} · Sex: {v(profile.sex)}"
        + (f"\n\n<b>Dashboard</b>: signed in on {_devices(sessions)}" if sessions else "")
    )


def _devices(count: int) -> str:
    return "1 device" if count == 1 else f"{count} devices"


def signed_out_text(count: int) -> str:
    """The answer to "sign out everywhere"."""
    if not count:
        return "The dashboard was not signed in anywhere."
    return f"Signed out of the dashboard on {_devices(count)}."


def saved_text(account: AccountContext) -> str:
    """The answer to a stored value: the settings as they are now."""
    return "Saved.\n\n" + settings_text(account)


def settings_keyboard(account: AccountContext, sessions: int | None = None) -> InlineKeyboardMarkup:
    sessions = account.dashboard_sessions if sessions is None else sessions
    return _keyboard(
        account.units, account.summary_enabled, account.weekly_report_enabled, sessions > 0
    )


@cache  # sixteen variants, the same on every /settings
def _keyboard(
    units: str, summary_enabled: bool, weekly_enabled: bool, signed_in: bool
) -> FixedKeyboard:
    names = list(FIELDS)
    rows = [
        [
            InlineKeyboardButton(text=FIELDS[n][0], callback_data=SetCb(field=n).pack())
            for n in names[i : i + 3]
        ]
        for i in range(0, len(names), 3)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=f"Units: {other_units(units)}", callback_data=SetCb(field=UNITS_FIELD).pack()
            ),
            InlineKeyboardButton(
                text="Summary " + ("off" if summary_enabled else "on"),
                callback_data=SetCb(field=SUMMARY_FIELD).pack(),
            ),
            InlineKeyboardButton(
                text="Weekly report " + ("off" if weekly_enabled else "on"),
                callback_data=SetCb(field=WEEKLY_FIELD).pack(),
            ),
        ]
    )
    if signed_in:
        rows.append(
            [
                InlineKeyboardButton(
                    text="Sign out of the dashboard everywhere",
                    callback_data=SetCb(field=SIGN_OUT_FIELD).pack(),
                )
            ]
        )
    return FixedKeyboard(inline_keyboard=rows)


def question_text(field: str) -> str:
    """The question that asks for one value."""
    return FIELDS[field][1] + "\n/cancel to stop."


def kept_text(field: str, error: str) -> str:
    """A second wrong answer: why, and that the value stays as it was."""
    label = FIELDS[field][0] if field in FIELDS else "The setting"
    return f"{esc(error)}\n{esc(label)} stays as it was; /settings to try again."
