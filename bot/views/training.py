"""Activity cards, lists and summaries as HTML text, in the athlete's language, units and zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _, current_language, ngettext, use_language
from bot.i18n import format as fmt
from bot.views import dates
from bot.views.bests import best_lines
from bot.views.common import MAX_TEXT, esc
from bot.views.rpe import rpe_line
from bot.views.sports import sport_label
from core.training.activities import ActivityCard
from core.training.charts import FitnessChartLabels
from core.training.formatting import format_duration
from core.training.imports import ImportResult
from core.training.reports import TodayReport, WeekFigures, WeekReport, Wellness

MILE_M = 1609.344
METHOD_NAMES = {"tss": "TSS", "rtss": "rTSS", "hrtss": "hrTSS", "estimate": N_("estimate")}
PACE_SPORTS = ("running", "walking", "hiking", "swimming")
# The thresholds a card may call estimated (core writes them in English, with their figure).
ESTIMATE_NAMES = (N_("HR max"), N_("HR rest"))
# core.training.fitness.form_reading's bands, for /today.
FORM_READINGS = (
    N_("Transition: fitness is fading"),
    N_("Fresh: ready to race"),
    N_("Grey zone: maintaining"),
    N_("Optimal: building fitness"),
    N_("High risk: overreaching"),
)

NOT_FIT = N_(
    "I only read activity files ending in <b>.fit</b>: export the activity as FIT, send that."
)
TOO_BIG = N_("That file is over 20 MB, far more than any activity needs, so I did not download it.")
DOWNLOAD_FAILED = N_("I could not download that file from Telegram, please send it again.")
FITNESS_CAPTION = N_("Fitness (CTL), fatigue (ATL), form (TSB) and daily load, last 90 days.")


class ActCb(CallbackData, prefix="act"):
    id: int


def distance(meters: float | None, units: str) -> str:
    """'12.35 km' / '850 m', or miles (also below one) for imperial athletes; '-' without."""
    if not meters:
        return "-"
    if units == "imperial":
        return _("{value} mi").format(value=fmt.number(meters / MILE_M, 2))
    return fmt.distance(meters, "metric")


def speed_or_pace(card: ActivityCard, units: str) -> str | None:
    """Running-like sports get a pace, others a speed; None without distance."""
    if not card.distance_m or card.timer_s <= 0:
        return None
    if card.sport in PACE_SPORTS:
        if card.sport == "swimming":
            per_100 = format_duration(card.timer_s / card.distance_m * 100)
            return _("Pace {pace} /100 m").format(pace=per_100)
        per_km = card.timer_s / (card.distance_m / 1000.0)
        return _("Pace {pace}").format(pace=fmt.pace(per_km, units))
    kmh = card.distance_m / card.timer_s * 3.6
    if units == "imperial":
        return _("Speed {speed} mph").format(speed=fmt.number(kmh / fmt.KM_PER_MILE, 1))
    return _("Speed {speed} km/h").format(speed=fmt.number(kmh, 1))


def _estimate(text: str) -> str:
    for name in ESTIMATE_NAMES:
        if text == name or text.startswith(name + " "):
            return _(name) + text[len(name) :]
    return text


def load_line(card: ActivityCard) -> str:
    method = METHOD_NAMES.get(card.load_method, card.load_method)
    values = {"load": f"{card.load:.0f}", "method": _(method)}
    if card.load_method == "estimate":
        return _(
            "Load <b>{load}</b> ({method}), estimated from duration: "
            "no heart rate or power to go on"
        ).format(**values)
    if card.estimates:
        estimates = esc(", ".join(_estimate(e) for e in card.estimates))
        return _("Load <b>{load}</b> ({method}), estimated: {estimates} estimated from your data"
                 ).format(estimates=estimates, **values)  # fmt: skip
    return _("Load <b>{load}</b> ({method})").format(**values)


def _heart_and_power(card: ActivityCard) -> list[str]:
    lines = []
    if card.avg_hr and card.max_hr:
        lines.append(_("HR {avg} avg, max {max}").format(avg=f"{card.avg_hr:.0f}",
                                                          max=f"{card.max_hr:.0f}"))  # fmt: skip
    elif card.avg_hr:
        lines.append(_("HR {avg} avg").format(avg=f"{card.avg_hr:.0f}"))
    if card.avg_power and card.normalized_power:
        lines.append(_("Power {avg} W avg, NP {np} W").format(
            avg=f"{card.avg_power:.0f}", np=f"{card.normalized_power:.0f}"))  # fmt: skip
    elif card.avg_power:
        lines.append(_("Power {avg} W avg").format(avg=f"{card.avg_power:.0f}"))
    return lines


def card_text(card: ActivityCard, units: str) -> str:
    """The full card of one activity."""
    local = card.start_time.astimezone(ZoneInfo(card.timezone))
    lines = [
        f"<b>{esc(sport_label(card.sport, card.sub_sport))}</b> · "
        f"{dates.moment(local, dates.CARD_TIME)}",
        _("Distance {distance} · Time {time}").format(
            distance=distance(card.distance_m, units), time=format_duration(card.timer_s)
        ),
    ]
    pace = speed_or_pace(card, units)
    if pace:
        lines.append(pace)
    lines.extend(_heart_and_power(card))
    lines.append(load_line(card))
    lines.extend(best_lines(card.new_bests))
    if (rated := rpe_line(card.rpe, card.srpe_load)) is not None:
        lines.append(rated)
    if card.estimates:
        lines.append(_("Set your thresholds in /settings for exact figures."))
    return "\n".join(lines)


def _import_head(result: ImportResult) -> str:
    count = len(result.activities)
    head = _("Saved.") if count == 1 else \
        ngettext("Saved {n} session.", "Saved {n} sessions.", count).format(n=count)  # fmt: skip
    if result.recovered:
        head += " " + _("The file was damaged; I recovered what it held.")
    if result.duplicates:
        n = result.duplicates
        head += " " + ngettext("{n} session(s) I already had.", "{n} session(s) I already had.",
                               n).format(n=n)  # fmt: skip
    return head


def import_text(result: ImportResult, units: str) -> str:
    """One message per file: the card of its session, or one line per session of several."""
    if result.activities:
        head = _import_head(result)
        cards = result.activities
    else:
        head = _("I already have this activity.")
        cards = result.existing
    if len(cards) <= 1:
        return "\n\n".join([head, *(card_text(c, units) for c in cards)])
    return _summary(head, cards, units)


def queued_text(ahead: int) -> str:
    """The answer to a file that waits behind the athlete's earlier ones."""
    if ahead == 1:
        return _("Still working on your previous file; this one is next.")
    return ngettext(
        "Still working on your previous files; {n} to go before this one.",
        "Still working on your previous files; {n} to go before this one.",
        ahead,
    ).format(n=ahead)


def session_line(card: ActivityCard, units: str) -> str:
    """One session of a multi-session file, on one line."""
    local = card.start_time.astimezone(ZoneInfo(card.timezone))
    parts = [f"• {dates.moment(local)} <b>{esc(sport_label(card.sport, card.sub_sport))}</b>",
             distance(card.distance_m, units), format_duration(card.timer_s)]  # fmt: skip
    pace = speed_or_pace(card, units)
    if pace:
        parts.append(pace)
    if card.avg_hr:
        parts.append(_("HR {hr}").format(hr=f"{card.avg_hr:.0f}"))
    load = f"{card.load:.0f}{'*' if card.load_estimated else ''}"
    parts.append(_("load {load}").format(load=load))
    if card.new_bests:
        parts.append(_("🏆 new best"))
    return " · ".join(parts)


def _summary(head: str, cards: list[ActivityCard], units: str) -> str:
    total_s = sum(c.timer_s for c in cards)
    total_m = sum(c.distance_m or 0.0 for c in cards)
    tail = [_("Total {time} · {distance} · load <b>{load}</b>").format(
        time=format_duration(total_s), distance=distance(total_m, units),
        load=f"{sum(c.load for c in cards):.0f}")]  # fmt: skip
    if any(c.load_estimated for c in cards):
        tail.append(_("* estimated: set your thresholds in /settings for exact figures."))
    lines = [session_line(c, units) for c in cards]
    text = "\n".join([head, "", *lines, "", *tail])
    while len(text) > MAX_TEXT:  # dozens of sessions: the list is in /activities
        lines.pop()
        more = _("… and {n} more: see /activities").format(n=len(cards) - len(lines))
        text = "\n".join([head, "", *lines, more, "", *tail])
    return text


def list_text(cards: list[ActivityCard], units: str) -> str:
    if not cards:
        return _("No activities yet: send me a .fit file, or link Garmin with /connect.")
    return _("<b>Your last activities</b> (tap one for its card)")


def list_keyboard(cards: list[ActivityCard], units: str) -> InlineKeyboardMarkup:
    rows = []
    for c in cards:
        local = c.start_time.astimezone(ZoneInfo(c.timezone))
        label = (f"{dates.day(local.date())} {sport_label(c.sport, c.sub_sport)} "
                 f"{format_duration(c.timer_s)} {distance(c.distance_m, units)}")  # fmt: skip
        rows.append([InlineKeyboardButton(text=label[:64], callback_data=ActCb(id=c.id).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def today_text(r: TodayReport) -> str:
    lines = [_("<b>Today, {day}</b>").format(day=fmt.weekday_day_month(r.today))]
    if r.has_data:
        form = _(r.form) if r.form in FORM_READINGS else r.form
        lines.append(_("Yesterday's load: {load}").format(load=f"{r.yesterday_load:.0f}"))
        lines.append(_("Form (TSB) {tsb}: {form}").format(tsb=f"{r.tsb:+.0f}", form=esc(form)))
        lines.append(fitness_line(r))
    else:
        lines.append(_("No training data yet: send me a .fit file or /connect Garmin."))
    wellness = wellness_line(r.wellness)
    if wellness:
        lines.append(wellness)
    if r.workout_title:
        lines.append(_("Planned today: <b>{title}</b>").format(title=esc(r.workout_title)))
    if r.goal_name is not None and r.goal_days is not None:
        lines.append(_race_line(r.goal_name, r.goal_days))
    return "\n".join(lines)


def _race_line(name: str, days: int) -> str:
    if days == 0:
        return _("Next race: {name} today!").format(name=esc(name))
    return ngettext("Next race: {name} in {n} day", "Next race: {name} in {n} days", days
                    ).format(name=esc(name), n=days)  # fmt: skip


def fitness_line(r: TodayReport) -> str:
    """Fitness and fatigue on one line, for /today and the summary."""
    return _("Fitness (CTL) {ctl} · Fatigue (ATL) {atl}").format(
        ctl=f"{r.ctl:.0f}", atl=f"{r.atl:.0f}"
    )


def wellness_line(w: Wellness | None) -> str | None:
    """Sleep, HRV, body battery, readiness, resting HR: one line for /today and the summary."""
    if w is None:
        return None
    parts = [
        _sleep(w),
        _("HRV {ms} ms").format(ms=f"{w.hrv_ms:.0f}") if w.hrv_ms is not None else None,
        _("body battery {value}").format(value=w.body_battery_high)
        if w.body_battery_high is not None else None,
        _("readiness {value}").format(value=w.training_readiness)
        if w.training_readiness is not None else None,
        _("resting HR {value}").format(value=w.resting_hr) if w.resting_hr is not None else None,
    ]  # fmt: skip
    shown = [p for p in parts if p]
    return _("Wellness: {items}").format(items=", ".join(shown)) if shown else None


def _sleep(w: Wellness) -> str | None:
    hours = _("{hours} h").format(hours=fmt.number(w.sleep_seconds / 3600, 1)) \
        if w.sleep_seconds else None  # fmt: skip
    if w.sleep_score is not None and hours:
        return _("sleep {score} ({hours})").format(score=w.sleep_score, hours=hours)
    if w.sleep_score is not None:
        return _("sleep {score}").format(score=w.sleep_score)
    return _("sleep {score}").format(score=hours) if hours else None


def _week_block(title: str, w: WeekFigures, units: str) -> list[str]:
    lines = [_("<b>{title}</b> (from {day}): {time}, {distance}, load {load}").format(
        title=title, day=fmt.day_month(w.start), time=format_duration(w.time_s),
        distance=distance(w.distance_m, units), load=f"{w.load:.0f}")]  # fmt: skip
    for s in w.sports:
        lines.append(_("• {sport}: {count}× {time}, {distance}, load {load}").format(
            sport=esc(sport_label(s.sport)), count=s.count, time=format_duration(s.time_s),
            distance=distance(s.distance_m, units), load=f"{s.load:.0f}"))  # fmt: skip
    if any(w.zone_seconds):
        zones = " · ".join(f"Z{i} {format_duration(s)}" for i, s in enumerate(w.zone_seconds, 1))
        lines.append(_("HR zones: {zones}").format(zones=zones))
    if w.longest is not None:
        lines.append(_("Longest: {sport} {time}").format(
            sport=esc(sport_label(w.longest.sport, w.longest.sub_sport)),
            time=format_duration(w.longest.timer_s)))  # fmt: skip
    return lines


def week_text(r: WeekReport, units: str) -> str:
    this, last = _("This week"), _("Last week")
    return "\n".join([*_week_block(this, r.this, units), "", *_week_block(last, r.last, units)])


def fitness_chart_labels() -> FitnessChartLabels:
    """The words drawn into the /fitness chart, in the athlete's language."""
    return FitnessChartLabels(
        title=_("Fitness (CTL), fatigue (ATL) and form (TSB)"),
        fitness=_("Fitness (CTL)"), fatigue=_("Fatigue (ATL)"), form=_("Form (TSB)"),
        daily_load=_("Daily load"), axis=_("Fitness / fatigue / form"),
        no_data=_("No training data yet"), day=_day_month_in(current_language()),
    )  # fmt: skip


def _day_month_in(language: str) -> Callable[[date], str]:
    """fmt.day_month bound to `language`: the chart is drawn on another thread, later."""

    def day(value: date) -> str:
        with use_language(language):
            return fmt.day_month(value)

    return day


def activities_csv_caption(count: int) -> str:
    return ngettext("{n} activity", "{n} activities", count).format(n=count)


def fitness_csv_caption(days: int) -> str:
    return ngettext("{n} day of fitness, fatigue and form", "{n} days of fitness, fatigue and form",
                    days).format(n=days)  # fmt: skip
