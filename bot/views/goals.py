"""Texts of /goal: the race goals, the add dialog's questions and the answers."""

from __future__ import annotations

from bot.views.common import esc
from bot.views.training import distance
from core.training.formatting import format_duration
from core.training.goals import Goal

USAGE = "Use /goal, /goal add [name date km h:mm:ss] or /goal delete N."
ASK_NAME = "What is the race called? (/cancel to stop)"
ASK_DATE = "When is it? YYYY-MM-DD, for example 2027-09-26."
ASK_DETAILS = (
    "Distance in km and target time, e.g. <code>42.2 3:15:00</code>, or <code>skip</code>."
)
TOO_MANY_DETAILS = "Give at most a distance and a time, e.g. 42.2 3:15:00, or skip."
SKIP = "skip"  # the answer that leaves distance and time out


def goal_line(g: Goal, units: str) -> str:
    parts = [f"{g.number}. <b>{esc(g.name)}</b> {g.race_date:%d %b %Y}"]
    if g.distance_m:
        parts.append(distance(g.distance_m, units))
    if g.target_time_s:
        parts.append(f"target {format_duration(g.target_time_s)}")
    parts.append("today!" if g.days_left == 0 else
                 "past" if g.days_left < 0 else f"in {g.days_left} days")  # fmt: skip
    return " · ".join(parts)


def goals_text(goals: list[Goal], units: str) -> str:
    if not goals:
        return ("No race goals yet. Add one: <code>/goal add Berlin Marathon 2027-09-26 42.2 "
                "3:15:00</code> or just /goal add")  # fmt: skip
    return "<b>Race goals</b>\n" + "\n".join(goal_line(g, units) for g in goals) + \
        "\n\n/goal add · /goal delete N"  # fmt: skip


def added_text(g: Goal, units: str) -> str:
    return "Goal added:\n" + goal_line(g, units)


def deleted_text(g: Goal, units: str) -> str:
    return f"Deleted: {goal_line(g, units)}"
