"""How the coach's answers look: chat text, analyses, plans week by week, workouts.

Everything the model wrote goes through esc(); long texts are split before escaping so no
part breaks an HTML entity and each part fits one message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date, timedelta

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _, ngettext
from bot.i18n.format import day_month, weekday_day_month
from bot.views.common import MAX_TEXT, esc, split_text
from bot.views.workout_steps import outline, workout_lines
from core.coach.plans import PlanResult, PlanSession, PlanWeek, WorkoutResult
from core.coach.service import AnalysisResult
from core.garmin.calendar import CalendarOutcome
from core.training.structured import AthleteThresholds, Workout

_PARTIAL = re.compile(r"(&[#\w]*|<[^<>]*)$")
_TAGS = re.compile(r"<[^<>]*>")
NOT_CONFIGURED = N_("The AI coach is not configured on this server.")
NO_PLAN = N_("You have no active training plan. Send /plan followed by your goal to make one.")
ANALYZE_USAGE = N_("Use /analyze for your latest activity, or /analyze followed by an activity id.")
WORKOUT_USAGE = N_("Use /workout for today's session, or /workout new for a different one.")
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
    return day_month(d)


def _minutes(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, mins = divmod(minutes, 60)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=f"{mins:02d}")
    return _("{minutes} min").format(minutes=mins)


def _join(*bits: str) -> str:
    return " · ".join(b for b in bits if b)


def analysis_parts(result: AnalysisResult) -> list[str]:
    """The analysis under a heading naming the activity."""
    head = _("<b>Analysis: {sport} on {day}</b>").format(
        sport=esc(result.sport), day=_day(result.day)
    )
    if result.cached:
        head += " " + _("<i>(saved earlier)</i>")
    body = escaped_parts(result.text, MAX_TEXT - 200)
    if not body:
        return [head]
    return [f"{head}\n\n{body[0]}", *body[1:]]


def analyze_keyboard(activity_id: int) -> InlineKeyboardMarkup:
    """One button: analyse this activity with the AI coach."""
    button = InlineKeyboardButton(
        text=_("🤖 AI analysis"), callback_data=AnalyzeCb(activity_id=activity_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def _session(s: PlanSession, units: str) -> str:
    line = f"<b>{weekday_day_month(s.day)}</b> · " + esc(
        _join(s.sport, s.title, _minutes(s.duration_min), s.intensity)
    )
    if s.description:
        line += f"\n{esc(s.description)}"
    return f"{line}\n<i>{esc(workout_outline(s.workout, units))}</i>" if s.workout else line


def workout_outline(workout: Workout, units: str = "metric") -> str:
    """A plan session's steps in one line: 'Warm-up 10 min · 3× (Work 8 min @ 88-93% FTP,
    Recovery 3 min) · Cool-down 10 min'; /workout that day shows them in full."""
    text = " · ".join(outline(item, units) for item in workout.steps)
    return text if len(text) <= MAX_OUTLINE else text[: MAX_OUTLINE - 1] + "…"


def week_blocks(plan: PlanResult, week: PlanWeek, units: str = "metric") -> list[str]:
    """One plan week: its dates, focus and sessions (rest days are left out)."""
    end = min(plan.end_date, week.start + timedelta(days=6))
    head = _("<b>Week {week} of {weeks}</b> · {start} – {end}").format(
        week=week.week, weeks=len(plan.weeks), start=_day(week.start), end=_day(end)
    )
    if week.focus:
        head += f"\n<i>{esc(week.focus)}</i>"
    sessions = [_session(s, units) for s in week.sessions]
    return [head, *(sessions or [_("Rest and recover this week.")])]


def current_week(plan: PlanResult, today: date) -> PlanWeek:
    """The week that contains today, the first before the plan starts, the last after it."""
    found = plan.week_of(today)
    if found is not None:
        return found
    return plan.weeks[0] if today < plan.start_date else plan.weeks[-1]


def plan_header(plan: PlanResult, *, created: bool = False) -> str:
    title = f"<b>{esc(plan.title)}</b>"
    head = _("New training plan: {title}") if created else _("Your training plan: {title}")
    lines = [head.format(title=title)]
    if plan.goal:
        lines.append(_("Goal: {goal}").format(goal=esc(plan.goal)))
    n = len(plan.weeks)
    lines.append(
        ngettext("{start} – {end} {year}, {n} week", "{start} – {end} {year}, {n} weeks", n).format(
            start=_day(plan.start_date), end=_day(plan.end_date), year=plan.end_date.year, n=n
        )
    )
    return "\n".join(lines)


def plan_parts(
    plan: PlanResult, week: PlanWeek, *, created: bool = False, units: str = "metric"
) -> list[str]:
    """The plan's header and one week, split to fit."""
    footer = _("Other weeks: the buttons below. /plan cancel archives this plan.")
    return _fit([plan_header(plan, created=created), *week_blocks(plan, week, units), footer])


def week_parts(plan: PlanResult, week: PlanWeek, *, units: str = "metric") -> list[str]:
    """One week of the plan, split to fit."""
    return _fit([f"<b>{esc(plan.title)}</b>", *week_blocks(plan, week, units)])


def plan_keyboard(plan: PlanResult, shown: int) -> InlineKeyboardMarkup | None:
    """Buttons to the other weeks, in rows of four."""
    buttons = [
        InlineKeyboardButton(
            text=f"· {w.week} ·" if w.week == shown else _("Week {week}").format(week=w.week),
            callback_data=PlanWeekCb(week=w.week).pack(),
        )
        for w in plan.weeks
    ]
    if len(buttons) < 2:
        return None
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def no_week_text(week: int) -> str:
    return _("Your plan has no week {week}.").format(week=week)


def plan_archived_text(plan: PlanResult, removed_from_garmin: int = 0) -> str:
    text = _(
        "Plan <b>{title}</b> archived. Make a new one with /plan &lt;your goal&gt;, "
        "or /plan for your next race goal."
    ).format(title=esc(plan.title))
    if removed_from_garmin:
        left = ngettext(
            "Its workout left your Garmin Connect calendar.",
            "Its {n} workouts left your Garmin Connect calendar.",
            removed_from_garmin,
        ).format(n=removed_from_garmin)
        text += f"\n{left}"
    return text


WORKOUT_FIT_CAPTION = N_(
    "Copy to your watch: Garmin: GARMIN/NewFiles; or import in Garmin Connect / TrainingPeaks"
)
WORKOUT_ZWO_CAPTION = N_("For Zwift: put it in Documents/Zwift/Workouts/&lt;your Zwift id&gt;")


def workout_file_caption(file_name: str) -> str:
    """What to do with one workout file."""
    return _(WORKOUT_ZWO_CAPTION if file_name.endswith(".zwo") else WORKOUT_FIT_CAPTION)


GARMIN_NOT_SCHEDULED = {
    "link_broken": N_("Garmin refused the sign-in: /connect links it again."),
    "garmin_busy": N_("Garmin Connect is limiting requests right now."),
    "garmin_down": N_("Garmin Connect could not be reached."),
    "failed": N_("Something went wrong on the way there."),
}


def garmin_calendar_line(outcome: CalendarOutcome) -> str | None:
    """One line on the workout's place on the Garmin calendar; None without a Garmin link."""
    day = weekday_day_month(outcome.day)
    if outcome.scheduled:
        return _(
            "On your Garmin Connect calendar for {day}; it reaches your watch at its next sync."
        ).format(day=day)
    if outcome.reason is None or outcome.reason == "not_linked":
        return None
    why = _(GARMIN_NOT_SCHEDULED[outcome.reason])
    return _("Not on your Garmin calendar: {why} The file above still works.").format(why=why)


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
        why = _(GARMIN_NOT_SCHEDULED[failed.reason])
        return ngettext(
            "{done} of {n} session of the coming week went to your Garmin calendar. {why} "
            "/workout sends each day's session as a file.",
            "{done} of {n} sessions of the coming week went to your Garmin calendar. {why} "
            "/workout sends each day's session as a file.",
            len(outcomes),
        ).format(done=len(done), n=len(outcomes), why=why)
    if not done:
        return None
    return ngettext(
        "The coming week's {n} session is on your Garmin Connect calendar, reaching your watch "
        "at its next sync; each morning puts that day's session there.",
        "The coming week's {n} sessions are on your Garmin Connect calendar, reaching your watch "
        "at its next sync; each morning puts that day's session there.",
        len(done),
    ).format(n=len(done))


def workout_parts(
    workout: WorkoutResult, *, profile: AthleteThresholds | None = None, units: str = "metric"
) -> list[str]:
    """Today's workout: what, how long, why, and its steps (targets in the athlete's numbers
    from `profile`, paces and distances in their `units`)."""
    if workout.workout is not None:
        return _structured_parts(workout, workout.workout, profile, units)
    head = _("Workout for {day}:").format(day=_day(workout.day)) + f"\n<b>{esc(workout.title)}</b>"
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


def _structured_parts(
    workout: WorkoutResult, steps: Workout, profile: AthleteThresholds | None, units: str
) -> list[str]:
    """The workout's first line (name, sport, total) in bold, then the steps, in the athlete's
    language (core's English description stays for the files and the coach)."""
    first, *rest = workout_lines(steps, profile, units)
    blocks = [_("Workout for {day}:").format(day=_day(workout.day)) + f"\n<b>{esc(first)}</b>"]
    if rest:
        blocks.append(esc("\n".join(rest)))
    return _fit(blocks + _made_earlier(workout))


def _made_earlier(workout: WorkoutResult) -> list[str]:
    if not workout.cached:
        return []
    return [_("<i>Made earlier today. /workout new asks for another one.</i>")]


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
