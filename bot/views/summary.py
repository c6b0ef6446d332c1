"""The morning summary push: yesterday, today's form, wellness, the plan's session of the day
as adapted to readiness, and the next race."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot.i18n import DEFAULT_LANGUAGE, _, current_language, ngettext
from bot.i18n.format import number
from bot.views.common import esc
from bot.views.training import fitness_line, wellness_line
from core.notify.daily_summary import DayNote, MorningSummary
from core.training.formatting import format_duration
from core.training.reasons import Param, Reason


def summary_text(s: MorningSummary) -> str:
    """The summary the athlete reads at their chosen time."""
    r = s.report
    lines = [_("<b>Good morning! {date}</b>").format(date=greeting_date(r.today))]
    if s.yesterday:
        sports = ", ".join(
            f"{esc(t.sport.replace('_', ' '))} {format_duration(t.seconds)}" for t in s.yesterday
        )
        lines.append(
            _("Yesterday: {sports}; load {load}").format(
                sports=sports, load=number(r.yesterday_load)
            )
        )
    else:
        lines.append(_("Yesterday: rest day"))
    # The form reading is core's English phrase, marked for the catalogs in bot.views.training.
    form = esc(_(r.form))
    lines.append(_("Form (TSB): {tsb} ({form})").format(tsb=f"{r.tsb:+.0f}", form=form))
    lines.append(fitness_line(r))
    wellness = wellness_line(r.wellness)
    if wellness:
        lines.append(wellness)
    if s.plan_day is not None:
        lines += plan_day_lines(s.plan_day)
    if r.goal_days == 0:
        lines.append(_("Race day today!"))
    elif r.goal_days is not None:
        lines.append(
            ngettext(
                "{n} day to your next race.", "{n} days to your next race.", r.goal_days
            ).format(n=r.goal_days)
        )
    return "\n".join(lines)


def greeting_date(day: date) -> str:
    """'Wednesday, 25 November' / 'Mittwoch, 25. November' / 'среда, 25 ноября'."""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return f"{day:%A, %d %B}"
    # A CLDR date pattern: each language writes the weekday, day and month its own way.
    return format_date(day, _("EEEE, d MMMM"), locale=language)


def plan_day_lines(note: DayNote) -> list[str]:
    """What became of today's planned session, and why: one or two lines."""
    planned, adapted = f"<b>{esc(note.planned)}</b>", f"<b>{esc(note.adapted)}</b>"
    if note.action == "move" and note.moved == "today":
        return [_("Today's plan: {why}").format(why=esc(_sentence(note.why)))]
    if note.action == "soften":
        head = _("Today's plan: {planned}, softened by {pct}% (lower targets).").format(
            planned=planned, pct=note.cut_pct
        )
    elif note.action == "move":
        head = _("Today's plan: {planned} moves to a later day; today is {adapted}.").format(
            planned=planned, adapted=adapted
        )
    elif note.action == "recovery":
        head = _("Today's plan: {planned} is swapped for {adapted}.").format(
            planned=planned, adapted=adapted
        )
    else:
        head = _("Today's plan: {planned} stands.").format(planned=planned)
    return [head, f"<i>{esc(_sentence(note.why))}</i>"] if note.why else [head]


def reason_text(reason: str) -> str:
    """A rule's explanation in the athlete's language; an old plain sentence as it is."""
    found = Reason.from_json(reason)
    if not found.params:  # a sentence without figures, or one stored before templates
        return _(found.template)
    params = {k: _param(v) for k, v in found.params.items()}
    return _(found.template).format(**params)


def _param(value: Param) -> str:
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        return number(value)
    return number(value, 1)


def _sentence(parts: tuple[str, ...]) -> str:
    return "; ".join(reason_text(p) for p in parts) + "."
