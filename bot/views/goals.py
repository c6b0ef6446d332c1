"""Texts of /goal: the race goals, the add dialog's questions and the answers."""

from __future__ import annotations

from bot.i18n import N_, _, ngettext
from bot.views import dates
from bot.views.common import esc
from bot.views.training import distance
from core.training.formatting import format_duration
from core.training.goals import Goal

# Texts that show a distance come per units: a bare number is read in the athlete's units.
USAGE = {
    "metric": N_("Use /goal, /goal add [name date km h:mm:ss] or /goal delete N."),
    "imperial": N_("Use /goal, /goal add [name date miles h:mm:ss] or /goal delete N."),
}
ASK_NAME = N_("What is the race called? (/cancel to stop)")
ASK_DATE = N_("When is it? YYYY-MM-DD, for example 2027-09-26.")
ASK_DETAILS = {
    "metric": N_(
        "Distance in km and target time, e.g. <code>42.2 3:15:00</code>, or <code>skip</code>."
    ),
    "imperial": N_(
        "Distance in miles and target time, e.g. <code>26.2 3:15:00</code>, or <code>skip</code>."
    ),
}
TOO_MANY_DETAILS = {
    "metric": N_("Give at most a distance and a time, e.g. 42.2 3:15:00, or skip."),
    "imperial": N_("Give at most a distance and a time, e.g. 26.2 3:15:00, or skip."),
}
NO_GOALS = {
    "metric": N_(
        "No race goals yet. Add one: <code>/goal add Berlin Marathon 2027-09-26 42.2 "
        "3:15:00</code> or just /goal add"
    ),
    "imperial": N_(
        "No race goals yet. Add one: <code>/goal add Chicago Marathon 2027-10-10 26.2 "
        "3:15:00</code> or just /goal add"
    ),
}
SKIP = "skip"  # the answer that leaves distance and time out
SKIP_WORD = N_("skip")  # the same answer in the athlete's language, as ASK_DETAILS shows it


def per_units(texts: dict[str, str], units: str) -> str:
    """The untranslated text for the athlete's units (metric when unknown)."""
    return texts.get(units, texts["metric"])


def is_skip(word: str) -> bool:
    """'skip', or the word ASK_DETAILS offers in the athlete's language."""
    return word.lower() in (SKIP, _(SKIP_WORD).lower())


def _when(days_left: int) -> str:
    if days_left == 0:
        return _("today!")
    if days_left < 0:
        return _("past")
    return ngettext("in {n} day", "in {n} days", days_left).format(n=days_left)


def goal_line(g: Goal, units: str) -> str:
    parts = [f"{g.number}. <b>{esc(g.name)}</b> {dates.day(g.race_date, dates.DAY_YEAR)}"]
    if g.distance_m:
        parts.append(distance(g.distance_m, units))
    if g.target_time_s:
        parts.append(_("target {time}").format(time=format_duration(g.target_time_s)))
    parts.append(_when(g.days_left))
    return " · ".join(parts)


def goals_text(goals: list[Goal], units: str) -> str:
    if not goals:
        return _(per_units(NO_GOALS, units))
    lines = "\n".join(goal_line(g, units) for g in goals)
    return _("<b>Race goals</b>\n{goals}\n\n/goal add · /goal delete N").format(goals=lines)


def added_text(g: Goal, units: str) -> str:
    return _("Goal added:\n{goal}").format(goal=goal_line(g, units))


def deleted_text(g: Goal, units: str) -> str:
    return _("Deleted: {goal}").format(goal=goal_line(g, units))
