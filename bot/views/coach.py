"""How the coach's answers look: chat text, analyses, plans week by week, workouts.

Everything the model wrote goes through esc(); long texts are split before escaping so no
part breaks an HTML entity and each part fits one message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.common import MAX_TEXT, esc, split_text
from core.coach.plans import PlanResult, PlanSession, PlanWeek, WorkoutResult
from core.coach.service import AnalysisResult
from core.garmin.calendar import CalendarOutcome
from core.training.structured import Repeat, Step, Workout
from core.training.structured.describe import step_text

_PARTIAL = re.compile(r"(&[#\w]*|<[^<>]*)$")
_TAGS = re.compile(r"<[^<>]*>")
NOT_CONFIGURED = "The AI coach is not configured on this server."
NO_PLAN = "You have no active training plan. Send /plan followed by your goal to make one."
ANALYZE_USAGE = "Use /analyze for your latest activity, or /analyze followed by an activity id."
WORKOUT_USAGE = "Use /workout for today's session, or /workout new for a different one."
PLAN_CANCEL = "cancel"  # /plan cancel archives the active plan
WORKOUT_NEW = "new"  # /workout new asks for a different session
MAX_OUTLINE = 300  # characters of a plan session's step outline


class AnalyzeCb(CallbackData, prefix="an"):
    """A button asking for the AI analysis of one activity."""

    activity_id: int


class PlanWeekCb(CallbackData, prefix="pw"):
    """A button showing one week of the active plan."""

    week: int


def escaped_parts(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Model text as HTML-safe messages of at most `limit` visible characters."""
    return [esc(part) for part in split_text(text.strip(), limit)]


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%b')}"


def _minutes(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def _join(*bits: str) -> str:
    return " · ".join(b for b in bits if b)


def analysis_parts(result: AnalysisResult) -> list[str]:
    """The analysis under a heading naming the activity."""
    head = f"<b>Analysis: {esc(result.sport)} on {_day(result.day)}</b>"
    if result.cached:
        head += " <i>(saved earlier)</i>"
    body = escaped_parts(result.text, MAX_TEXT - 200)
    if not body:
        return [head]
    return [f"{head}\n\n{body[0]}", *body[1:]]


def analyze_keyboard(activity_id: int) -> InlineKeyboardMarkup:
    """One button: analyse this activity with the AI coach."""
    button = InlineKeyboardButton(
        text="🤖 AI analysis", callback_data=AnalyzeCb(activity_id=activity_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def _session(s: PlanSession) -> str:
    line = f"<b>{s.weekday} {_day(s.day)}</b> · " + esc(
        _join(s.sport, s.title, _minutes(s.duration_min), s.intensity)
    )
    if s.description:
        line += f"\n{esc(s.description)}"
    return f"{line}\n<i>{esc(workout_outline(s.workout))}</i>" if s.workout else line


def workout_outline(workout: Workout) -> str:
    """A plan session's steps in one line: 'Warm-up 10 min · 3× (Work 8 min @ 88-93% FTP,
    Recovery 3 min) · Cool-down 10 min'; /workout that day shows them in full."""
    text = " · ".join(_outline(item) for item in workout.steps)
    return text if len(text) <= MAX_OUTLINE else text[: MAX_OUTLINE - 1] + "…"


def _outline(item: Step | Repeat) -> str:
    if isinstance(item, Repeat):
        return f"{item.count}× (" + ", ".join(_outline(s) for s in item.steps) + ")"
    return step_text(replace(item, note=None), None)


def week_blocks(plan: PlanResult, week: PlanWeek) -> list[str]:
    """One plan week: its dates, focus and sessions (rest days are left out)."""
    end = min(plan.end_date, week.start + timedelta(days=6))
    head = f"<b>Week {week.week} of {len(plan.weeks)}</b> · {_day(week.start)} – {_day(end)}"
    if week.focus:
        head += f"\n<i>{esc(week.focus)}</i>"
    sessions = [_session(s) for s in week.sessions]
    return [head, *(sessions or ["Rest and recover this week."])]


def current_week(plan: PlanResult, today: date) -> PlanWeek:
    """The week that contains today, the first before the plan starts, the last after it."""
    found = plan.week_of(today)
    if found is not None:
        return found
    return plan.weeks[0] if today < plan.start_date else plan.weeks[-1]


def plan_header(plan: PlanResult, *, created: bool = False) -> str:
    title = f"<b>{esc(plan.title)}</b>"
    lines = [f"New training plan: {title}" if created else f"Your training plan: {title}"]
    if plan.goal:
        lines.append(f"Goal: {esc(plan.goal)}")
    lines.append(
        f"{_day(plan.start_date)} – {_day(plan.end_date)} {plan.end_date.year}, "
        f"{len(plan.weeks)} weeks"
    )
    return "\n".join(lines)


def plan_parts(plan: PlanResult, week: PlanWeek, *, created: bool = False) -> list[str]:
    """The plan's header and one week, split to fit."""
    footer = "Other weeks: the buttons below. /plan cancel archives this plan."
    return _fit([plan_header(plan, created=created), *week_blocks(plan, week), footer])


def week_parts(plan: PlanResult, week: PlanWeek) -> list[str]:
    """One week of the plan, split to fit."""
    return _fit([f"<b>{esc(plan.title)}</b>", *week_blocks(plan, week)])


def plan_keyboard(plan: PlanResult, shown: int) -> InlineKeyboardMarkup | None:
    """Buttons to the other weeks, in rows of four."""
    buttons = [
        InlineKeyboardButton(
            text=f"· {w.week} ·" if w.week == shown else f"Week {w.week}",
            callback_data=PlanWeekCb(week=w.week).pack(),
        )
        for w in plan.weeks
    ]
    if len(buttons) < 2:
        return None
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def no_week_text(week: int) -> str:
    return f"Your plan has no week {week}."


def plan_archived_text(plan: PlanResult, removed_from_garmin: int = 0) -> str:
    text = (
        f"Plan <b>{esc(plan.title)}</b> archived. Make a new one with /plan &lt;your goal&gt;, "
        "or /plan for your next race goal."
    )
    if removed_from_garmin:
        what = "Its workout" if removed_from_garmin == 1 else f"Its {removed_from_garmin} workouts"
        text += f"\n{what} left your Garmin Connect calendar."
    return text


WORKOUT_FIT_CAPTION = (
    "Copy to your watch: Garmin: GARMIN/NewFiles; or import in Garmin Connect / TrainingPeaks"
)
WORKOUT_ZWO_CAPTION = "For Zwift: put it in Documents/Zwift/Workouts/&lt;your Zwift id&gt;"


def workout_file_caption(file_name: str) -> str:
    """What to do with one workout file."""
    return WORKOUT_ZWO_CAPTION if file_name.endswith(".zwo") else WORKOUT_FIT_CAPTION


GARMIN_NOT_SCHEDULED = {
    "link_broken": "Garmin refused the sign-in: /connect links it again.",
    "garmin_busy": "Garmin Connect is limiting requests right now.",
    "garmin_down": "Garmin Connect could not be reached.",
    "failed": "Something went wrong on the way there.",
}


def garmin_calendar_line(outcome: CalendarOutcome) -> str | None:
    """One line on the workout's place on the Garmin calendar; None without a Garmin link."""
    day = f"{outcome.day.strftime('%a')} {_day(outcome.day)}"
    if outcome.scheduled:
        return f"On your Garmin Connect calendar for {day}; it reaches your watch at its next sync."
    if outcome.reason is None or outcome.reason == "not_linked":
        return None
    why = GARMIN_NOT_SCHEDULED[outcome.reason]
    return f"Not on your Garmin calendar: {why} The file above still works."


PLAN_CALENDAR_DAYS = 7  # a new plan's sessions put on the Garmin calendar at once


def plan_days_to_schedule(plan: PlanResult) -> dict[date, Workout]:
    """The structured sessions of a new plan's first seven days (one per day: the first)."""
    start = plan.start_date
    end = start + timedelta(days=PLAN_CALENDAR_DAYS)
    days: dict[date, Workout] = {}
    for session in (s for week in plan.weeks for s in week.sessions):
        if start <= session.day < end and session.workout is not None:
            days.setdefault(session.day, session.workout)
    return days


def plan_calendar_line(outcomes: Sequence[CalendarOutcome]) -> str | None:
    """One line on the new plan's week on the Garmin calendar; None without a Garmin link."""
    done = [o for o in outcomes if o.scheduled]
    failed = next((o for o in outcomes if not o.scheduled and o.reason != "not_linked"), None)
    if failed is not None and failed.reason is not None:
        why = GARMIN_NOT_SCHEDULED[failed.reason]
        return (
            f"{len(done)} of {len(outcomes)} sessions of the coming week went to your Garmin "
            f"calendar. {why} /workout sends each day's session as a file."
        )
    if not done:
        return None
    what = "1 session is" if len(done) == 1 else f"{len(done)} sessions are"
    return (
        f"The coming week's {what} on your Garmin Connect calendar, reaching your watch at "
        "its next sync; each morning puts that day's session there."
    )


def workout_parts(workout: WorkoutResult) -> list[str]:
    """Today's workout: what, how long, why, and its steps."""
    if workout.workout is not None:
        return _structured_parts(workout)
    head = f"Workout for {_day(workout.day)}:\n<b>{esc(workout.title)}</b>"
    facts = esc(_join(workout.sport or "", _minutes(workout.duration_min)))
    blocks = [f"{head}\n{facts}" if facts else head]
    blocks += escaped_parts(workout.description)
    steps = [
        f"{i}. " + esc(_join(s.name, _minutes(s.duration_min), s.intensity))
        for i, s in enumerate(workout.steps, 1)
    ]
    if steps:
        blocks.append("\n".join(steps))
    return _fit(blocks + _made_earlier(workout))


def _structured_parts(workout: WorkoutResult) -> list[str]:
    """The described workout: its first line (name, sport, total) in bold, then the steps."""
    first, _, rest = workout.description.partition("\n")
    blocks = [f"Workout for {_day(workout.day)}:\n<b>{esc(first)}</b>"]
    if rest:
        blocks.append(esc(rest))
    return _fit(blocks + _made_earlier(workout))


def _made_earlier(workout: WorkoutResult) -> list[str]:
    if not workout.cached:
        return []
    return ["<i>Made earlier today. /workout new asks for another one.</i>"]


def visible_len(text: str) -> int:
    """Characters Telegram counts in an HTML text: tags dropped, entities as one character."""
    return len(html.unescape(_TAGS.sub("", text)))


def _fit(blocks: list[str]) -> list[str]:
    """Escaped blocks joined into messages that fit (a block over the limit is cut)."""
    parts: list[str] = []
    current = ""
    for block in blocks:
        block = _cut(block)
        joined = f"{current}\n\n{block}" if current else block
        if visible_len(joined) <= MAX_TEXT:
            current = joined
            continue
        if current:
            parts.append(current)
        current = block
    if current:
        parts.append(current)
    return parts


def _cut(block: str) -> str:
    """A single block too long for one message, shortened (model fields are capped in length)."""
    if visible_len(block) <= MAX_TEXT:
        return block
    cut = block[: MAX_TEXT - 1]
    # Never end inside a tag or an entity: whole lines when there are some, else trim the tail.
    cut = cut[: cut.rfind("\n")] if "\n" in cut else _PARTIAL.sub("", cut)
    return cut.rstrip() + "…"
