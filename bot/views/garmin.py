"""Garmin texts and keyboards: the sync's pushes (new activities, broken link), the link dialog."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.common import esc
from bot.views.training import distance
from core.garmin.notices import ActivityLine, NewActivities
from core.training.formatting import format_duration, sport_name

LINK_BROKEN_TEXT = (
    "Garmin Connect no longer accepts my sign-in for your account (password changed "
    "or access revoked), so automatic sync is paused. Link it again to resume."
)


class GarminCb(CallbackData, prefix="garmin"):
    action: str  # "connect" (the button under the broken-link push) or "keep" (the password)


def keep_keyboard(keep: bool) -> InlineKeyboardMarkup:
    label = "Keep password for automatic re-login: " + ("yes" if keep else "no")
    button = InlineKeyboardButton(text=label, callback_data=GarminCb(action="keep").pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def connect_keyboard() -> InlineKeyboardMarkup:
    """One button that starts /connect."""
    button = InlineKeyboardButton(
        text="Link Garmin again", callback_data=GarminCb(action="connect").pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def activity_line(a: ActivityLine, units: str) -> str:
    """Sport, duration, distance, heart rate and load on one line."""
    parts = [esc(sport_name(a.sport, a.sub_sport)), format_duration(a.timer_s)]
    if a.distance_m:
        parts.append(distance(a.distance_m, units))
    if a.avg_hr:
        parts.append(f"avg HR {a.avg_hr:.0f}")
    parts.append(f"load {a.load:.0f}" + (" (est.)" if a.load_estimated else ""))
    return " · ".join(parts)


def new_activities_text(n: NewActivities, units: str) -> str:
    """One message per sync run: the card line of a single activity, else a short list."""
    if n.total == 1 and n.newest:
        a = n.newest[0]
        return (
            f"<b>New from Garmin</b> ({a.local_date.isoformat()})\n"
            f"{activity_line(a, units)}\n/activities to see more."
        )
    lines = [f"{a.local_date.isoformat()}: {activity_line(a, units)}" for a in n.newest]
    more = n.total - len(lines)
    tail = f"...and {more} more: /activities" if more else "/activities to see more."
    return "\n".join([f"<b>{n.total} new activities from Garmin</b>", *lines, tail])
