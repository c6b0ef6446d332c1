"""Texts and keyboards of /settings: the settings card, its buttons and the value questions."""

from __future__ import annotations

from functools import cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LANGUAGE_NAMES, N_, _, current_language, negotiate, ngettext
from bot.i18n.format import clock_time, pace
from bot.views.common import FixedKeyboard, esc, zone_label
from core.accounts.context import AccountContext

# field -> (button label, question), translated where shown
FIELDS: dict[str, tuple[str, str]] = {
    "timezone": (
        N_("Timezone"),
        N_(
            "Type your city (e.g. Berlin), its IANA name (Europe/Berlin) or your UTC offset "
            "(UTC+1)."
        ),
    ),
    "summary_time": (
        N_("Summary time"),
        N_("When should the morning summary come? HH:MM, e.g. 07:00."),
    ),
    "hr_max": (N_("HR max"), N_("Your maximum heart rate in bpm (e.g. 188), or 0 to clear.")),
    "hr_rest": (N_("HR rest"), N_("Your resting heart rate in bpm (e.g. 52), or 0 to clear.")),
    "lthr": (
        N_("LTHR"),
        N_("Your lactate threshold heart rate in bpm (e.g. 168), or 0 to clear."),
    ),
    "ftp": (
        N_("FTP"),
        N_("Your functional threshold power in watts (e.g. 250), or 0 to clear."),
    ),
    "threshold_pace_s_per_km": (
        N_("Threshold pace"),
        N_("Your threshold running pace per km as m:ss (e.g. 4:30), or 0 to clear."),
    ),
    "sex": (N_("Sex"), N_("male or female (used by the TRIMP formula).")),
}
# Questions asked otherwise of an imperial athlete: their answer is read in their units.
IMPERIAL_QUESTIONS = {
    "threshold_pace_s_per_km": N_(
        "Your threshold running pace per mile as m:ss (e.g. 7:15), or 0 to clear."
    ),
}
UNITS_FIELD = "units"  # the units button: switches at once
SUMMARY_FIELD = "summary_toggle"  # the morning summary button: switches at once
WEEKLY_FIELD = "weekly_toggle"  # the Monday weekly report button: switches at once
SIGN_OUT_FIELD = "sign_out"
LANGUAGE_FIELD = "language"  # the language button: the /language choice

STALE_BUTTON = N_("That button is not valid any more. Send /settings again.")
SEX_EXPECTED = N_("Please answer male or female.")
NUMBER_EXPECTED = N_("Please send a whole number, for example 250.")
SEXES = {"male": N_("male"), "female": N_("female")}


class SetCb(CallbackData, prefix="set"):
    field: str


def other_units(units: str) -> str:
    """The units the units button switches to."""
    return "imperial" if units == "metric" else "metric"


def sex_of(answer: str) -> str | None:
    """'male' or 'female' for an answer in English or in the athlete's language."""
    answer = answer.strip().lower()
    return next((k for k, label in SEXES.items() if answer in (k, _(label).lower())), None)


def _units_line(units: str) -> str:
    return _("Units: imperial") if units == "imperial" else _("Units: metric")


def settings_text(account: AccountContext, sessions: int | None = None) -> str:
    """The settings screen; `sessions`: the dashboard sessions signed in (shown when any; by
    default the count read with the account)."""
    sessions = account.dashboard_sessions if sessions is None else sessions
    not_set = _("not set")

    def v(x: object) -> str:
        return not_set if x is None else esc(x)

    profile = account.profile
    zone = esc(zone_label(account.timezone))
    timezone = (
        _("Timezone: {zone}") if account.timezone_set else _("Timezone: {zone} (not set yet)")
    ).format(zone=zone)
    at = clock_time(account.summary_time)
    summary = (
        _("Morning summary: {time} (on)")
        if account.summary_enabled
        else _("Morning summary: {time} (off)")
    ).format(time=at)
    weekly = (
        _("Weekly report: Mondays, same time (on)")
        if account.weekly_report_enabled
        else _("Weekly report: Mondays, same time (off)")
    )
    language = _("Language: {language}").format(
        language=LANGUAGE_NAMES[negotiate(account.language)]
    )
    threshold = profile.threshold_pace_s_per_km
    ftp = not_set if profile.ftp is None else _("{value} W").format(value=profile.ftp)
    sex = not_set if profile.sex is None else _(SEXES.get(profile.sex, profile.sex))
    lines = [
        _("<b>Settings</b>"),
        timezone,
        summary,
        weekly,
        _units_line(account.units),
        language,
        "",
        _("<b>Thresholds</b> (unset ones are estimated from your data)"),
        _("HR max: {hr_max} · HR rest: {hr_rest} · LTHR: {lthr}").format(
            hr_max=v(profile.hr_max), hr_rest=v(profile.hr_rest), lthr=v(profile.lthr)
        ),
        _("FTP: {ftp} · Threshold pace: {pace} · Sex: {sex}").format(
            ftp=ftp,
            pace=not_set if threshold is None else pace(threshold, account.units),
            sex=esc(sex),
        ),
    ]
    if sessions:
        lines += [
            "",
            ngettext(
                "<b>Dashboard</b>: signed in on {n} device",
                "<b>Dashboard</b>: signed in on {n} devices",
                sessions,
            ).format(n=sessions),
        ]
    return "\n".join(lines)


def signed_out_text(count: int) -> str:
    """The answer to "sign out everywhere"."""
    if not count:
        return _("The dashboard was not signed in anywhere.")
    return ngettext(
        "Signed out of the dashboard on {n} device.",
        "Signed out of the dashboard on {n} devices.",
        count,
    ).format(n=count)


def saved_text(account: AccountContext) -> str:
    """The answer to a stored value: the settings as they are now."""
    return _("Saved.") + "\n\n" + settings_text(account)


def settings_keyboard(account: AccountContext, sessions: int | None = None) -> InlineKeyboardMarkup:
    sessions = account.dashboard_sessions if sessions is None else sessions
    return _keyboard(
        current_language(),
        account.units,
        account.summary_enabled,
        account.weekly_report_enabled,
        sessions > 0,
    )


@cache  # sixteen variants per language, the same on every /settings
def _keyboard(
    language: str, units: str, summary_enabled: bool, weekly_enabled: bool, signed_in: bool
) -> FixedKeyboard:
    """The buttons in `language` (the current one: the argument keys the cache)."""
    names = list(FIELDS)
    rows = [
        [
            InlineKeyboardButton(text=_(FIELDS[n][0]), callback_data=SetCb(field=n).pack())
            for n in names[i : i + 3]
        ]
        for i in range(0, len(names), 3)
    ]
    language_button = InlineKeyboardButton(
        text="🌐 " + _("Language"), callback_data=SetCb(field=LANGUAGE_FIELD).pack()
    )
    if len(rows[-1]) < 3:
        rows[-1].append(language_button)
    else:
        rows.append([language_button])
    rows.append(
        [
            InlineKeyboardButton(
                text=_units_line(other_units(units)),
                callback_data=SetCb(field=UNITS_FIELD).pack(),
            ),
            InlineKeyboardButton(
                text=_("Summary off") if summary_enabled else _("Summary on"),
                callback_data=SetCb(field=SUMMARY_FIELD).pack(),
            ),
            InlineKeyboardButton(
                text=_("Weekly report off") if weekly_enabled else _("Weekly report on"),
                callback_data=SetCb(field=WEEKLY_FIELD).pack(),
            ),
        ]
    )
    if signed_in:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("Sign out of the dashboard everywhere"),
                    callback_data=SetCb(field=SIGN_OUT_FIELD).pack(),
                )
            ]
        )
    return FixedKeyboard(inline_keyboard=rows)


def question_text(field: str, units: str = "metric") -> str:
    """The question that asks for one value, in the athlete's units."""
    question = IMPERIAL_QUESTIONS.get(field) if units == "imperial" else None
    return _(question or FIELDS[field][1]) + "\n" + _("/cancel to stop.")


def kept_text(field: str, error: str) -> str:
    """A second wrong answer: why, and that the value stays as it was."""
    label = _(FIELDS[field][0]) if field in FIELDS else _("The setting")
    kept = _("{setting} stays as it was; /settings to try again.").format(setting=esc(label))
    return f"{esc(error)}\n{kept}"
