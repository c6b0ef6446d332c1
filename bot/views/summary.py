"""The morning summary push: yesterday, today's form, wellness, the plan's session of the day
as adapted to readiness, and the next race."""

from __future__ import annotations

from bot.views.common import esc
from bot.views.training import fitness_line, wellness_line
from core.notify.daily_summary import DayNote, MorningSummary
from core.training.formatting import format_duration


def summary_text(s: MorningSummary) -> str:
    """The summary the athlete reads at their chosen time."""
    r = s.report
    lines = [f"<b>Good morning! {r.today:%A, %d %B}</b>"]
    if s.yesterday:
        sports = ", ".join(
            f"{esc(t.sport.replace('_', ' '))} {format_duration(t.seconds)}" for t in s.yesterday
        )
        lines.append(f"Yesterday: {sports}; load {r.yesterday_load:.0f}")
    else:
        lines.append("Yesterday: rest day")
    lines.append(f"Form (TSB): {r.tsb:+.0f} ({esc(r.form)})")
    lines.append(fitness_line(r))
    wellness = wellness_line(r.wellness)
    if wellness:
        lines.append(wellness)
    if s.plan_day is not None:
        lines += plan_day_lines(s.plan_day)
    if r.goal_days == 0:
        lines.append("Race day today!")
    elif r.goal_days is not None:
        days = "1 day" if r.goal_days == 1 else f"{r.goal_days} days"
        lines.append(f"{days} to your next race.")
    return "\n".join(lines)


def plan_day_lines(note: DayNote) -> list[str]:
    """What became of today's planned session, and why: one or two lines."""
    planned, adapted = f"<b>{esc(note.planned)}</b>", f"<b>{esc(note.adapted)}</b>"
    if note.action == "move" and note.moved == "today":
        return [f"Today's plan: {esc(_sentence(note.why))}"]
    if note.action == "soften":
        head = f"Today's plan: {planned}, softened by {note.cut_pct}% (lower targets)."
    elif note.action == "move":
        head = f"Today's plan: {planned} moves to a later day; today is {adapted}."
    elif note.action == "recovery":
        head = f"Today's plan: {planned} is swapped for {adapted}."
    else:
        head = f"Today's plan: {planned} stands."
    return [head, f"<i>{esc(_sentence(note.why))}</i>"] if note.why else [head]


def _sentence(parts: tuple[str, ...]) -> str:
    return "; ".join(parts) + "."
