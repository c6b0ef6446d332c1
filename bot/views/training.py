"""Activity cards, lists and summaries as HTML text, in the athlete's units and zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.bests import best_lines
from bot.views.common import MAX_TEXT, esc
from bot.views.rpe import rpe_line
from core.training.activities import ActivityCard
from core.training.formatting import format_distance, format_duration, sport_name
from core.training.imports import ImportResult
from core.training.reports import TodayReport, WeekFigures, WeekReport, Wellness

MILE_M = 1609.344
METHOD_NAMES = {"tss": "TSS", "rtss": "rTSS", "hrtss": "hrTSS", "estimate": "estimate"}
PACE_SPORTS = ("running", "walking", "hiking", "swimming")


NOT_FIT = "I only read activity files ending in <b>.fit</b>: export the activity as FIT, send that."
TOO_BIG = "That file is over 20 MB, far more than any activity needs, so I did not download it."
DOWNLOAD_FAILED = "I could not download that file from Telegram, please send it again."
FITNESS_CAPTION = "Fitness (CTL), fatigue (ATL), form (TSB) and daily load, last 90 days."


class ActCb(CallbackData, prefix="act"):
    id: int


def distance(meters: float | None, units: str) -> str:
    if not meters:
        return "-"
    if units == "imperial":
        return f"{meters / MILE_M:.2f} mi"
    return format_distance(meters)


def speed_or_pace(card: ActivityCard, units: str) -> str | None:
    """Running-like sports get a pace, others a speed; None without distance."""
    if not card.distance_m or card.timer_s <= 0:
        return None
    unit_m = MILE_M if units == "imperial" else 1000.0
    if card.sport in PACE_SPORTS:
        if card.sport == "swimming":
            return f"Pace {format_duration(card.timer_s / card.distance_m * 100)} /100 m"
        per = card.timer_s / (card.distance_m / unit_m)
        return f"Pace {format_duration(per)} /{'mi' if units == 'imperial' else 'km'}"
    speed = card.distance_m / card.timer_s * 3600 / unit_m
    return f"Speed {speed:.1f} {'mph' if units == 'imperial' else 'km/h'}"


def load_line(card: ActivityCard) -> str:
    text = f"Load <b>{card.load:.0f}</b> ({METHOD_NAMES.get(card.load_method, card.load_method)})"
    if card.load_method == "estimate":
        return text + ", estimated from duration: no heart rate or power to go on"
    if card.estimates:
        return text + f", estimated: {esc(', '.join(card.estimates))} estimated from your data"
    return text


def card_text(card: ActivityCard, units: str) -> str:
    """The full card of one activity."""
    local = card.start_time.astimezone(ZoneInfo(card.timezone))
    lines = [
        f"<b>{esc(sport_name(card.sport, card.sub_sport))}</b> · {local:%a %d %b %Y %H:%M}",
        f"Distance {distance(card.distance_m, units)} · Time {format_duration(card.timer_s)}",
    ]
    pace = speed_or_pace(card, units)
    if pace:
        lines.append(pace)
    if card.avg_hr:
        hr_max = f", max {card.max_hr:.0f}" if card.max_hr else ""
        lines.append(f"HR {card.avg_hr:.0f} avg{hr_max}")
    if card.avg_power:
        np_text = f", NP {card.normalized_power:.0f} W" if card.normalized_power else ""
        lines.append(f"Power {card.avg_power:.0f} W avg{np_text}")
    lines.append(load_line(card))
    lines.extend(best_lines(card.new_bests))
    if (rated := rpe_line(card.rpe, card.srpe_load)) is not None:
        lines.append(rated)
    if card.estimates:
        lines.append("Set your thresholds in /settings for exact figures.")
    return "\n".join(lines)


def import_text(result: ImportResult, units: str) -> str:
    """One message per file: the card of its session, or one line per session of several."""
    if result.activities:
        head = "Saved." if len(result.activities) == 1 else \
            f"Saved {len(result.activities)} sessions."  # fmt: skip
        if result.recovered:
            head += " The file was damaged; I recovered what it held."
        if result.duplicates:
            head += f" {result.duplicates} session(s) I already had."
        cards = result.activities
    else:
        head = "I already have this activity."
        cards = result.existing
    if len(cards) <= 1:
        return "\n\n".join([head, *(card_text(c, units) for c in cards)])
    return _summary(head, cards, units)


def queued_text(ahead: int) -> str:
    """The answer to a file that waits behind the athlete's earlier ones."""
    if ahead == 1:
        return "Still working on your previous file; this one is next."
    return f"Still working on your previous files; {ahead} to go before this one."


def session_line(card: ActivityCard, units: str) -> str:
    """One session of a multi-session file, on one line."""
    local = card.start_time.astimezone(ZoneInfo(card.timezone))
    parts = [f"• {local:%d %b %H:%M} <b>{esc(sport_name(card.sport, card.sub_sport))}</b>",
             distance(card.distance_m, units), format_duration(card.timer_s)]  # fmt: skip
    pace = speed_or_pace(card, units)
    if pace:
        parts.append(pace)
    if card.avg_hr:
        parts.append(f"HR {card.avg_hr:.0f}")
    parts.append(f"load {card.load:.0f}{'*' if card.load_estimated else ''}")
    if card.new_bests:
        parts.append("🏆 new best")
    return " · ".join(parts)


def _summary(head: str, cards: list[ActivityCard], units: str) -> str:
    total_s = sum(c.timer_s for c in cards)
    total_m = sum(c.distance_m or 0.0 for c in cards)
    tail = [f"Total {format_duration(total_s)} · {distance(total_m, units)} · "
            f"load <b>{sum(c.load for c in cards):.0f}</b>"]  # fmt: skip
    if any(c.load_estimated for c in cards):
        tail.append("* estimated: set your thresholds in /settings for exact figures.")
    lines = [session_line(c, units) for c in cards]
    text = "\n".join([head, "", *lines, "", *tail])
    while len(text) > MAX_TEXT:  # dozens of sessions: the list is in /activities
        lines.pop()
        more = f"… and {len(cards) - len(lines)} more: see /activities"
        text = "\n".join([head, "", *lines, more, "", *tail])
    return text


def list_text(cards: list[ActivityCard], units: str) -> str:
    if not cards:
        return "No activities yet: send me a .fit file, or link Garmin with /connect."
    return "<b>Your last activities</b> (tap one for its card)"


def list_keyboard(cards: list[ActivityCard], units: str) -> InlineKeyboardMarkup:
    rows = []
    for c in cards:
        local = c.start_time.astimezone(ZoneInfo(c.timezone))
        label = (f"{local:%d %b} {sport_name(c.sport, c.sub_sport)} "
                 f"{format_duration(c.timer_s)} {distance(c.distance_m, units)}")  # fmt: skip
        rows.append([InlineKeyboardButton(text=label[:64], callback_data=ActCb(id=c.id).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def today_text(r: TodayReport) -> str:
    lines = [f"<b>Today, {r.today:%a %d %b}</b>"]
    if r.has_data:
        lines.append(f"Yesterday's load: {r.yesterday_load:.0f}")
        lines.append(f"Form (TSB) {r.tsb:+.0f}: {esc(r.form)}")
        lines.append(fitness_line(r))
    else:
        lines.append("No training data yet: send me a .fit file or /connect Garmin.")
    wellness = wellness_line(r.wellness)
    if wellness:
        lines.append(wellness)
    if r.workout_title:
        lines.append(f"Planned today: <b>{esc(r.workout_title)}</b>")
    if r.goal_name is not None and r.goal_days is not None:
        when = "today!" if r.goal_days == 0 else f"in {r.goal_days} days"
        lines.append(f"Next race: {esc(r.goal_name)} {when}")
    return "\n".join(lines)


def fitness_line(r: TodayReport) -> str:
    """Fitness and fatigue on one line, for /today and the summary."""
    return f"Fitness (CTL) {r.ctl:.0f} · Fatigue (ATL) {r.atl:.0f}"


def wellness_line(w: Wellness | None) -> str | None:
    """Sleep, HRV, body battery, readiness, resting HR: one line for /today and the summary."""
    if w is None:
        return None
    sleep = [str(w.sleep_score)] if w.sleep_score is not None else []
    if w.sleep_seconds:
        hours = f"{w.sleep_seconds / 3600:.1f} h"
        sleep.append(f"({hours})" if sleep else hours)
    parts = [
        "sleep " + " ".join(sleep) if sleep else None,
        f"HRV {w.hrv_ms:.0f} ms" if w.hrv_ms is not None else None,
        f"body battery {w.body_battery_high}" if w.body_battery_high is not None else None,
        f"readiness {w.training_readiness}" if w.training_readiness is not None else None,
        f"resting HR {w.resting_hr}" if w.resting_hr is not None else None,
    ]
    shown = [p for p in parts if p]
    return "Wellness: " + ", ".join(shown) if shown else None


def _week_block(title: str, w: WeekFigures, units: str) -> list[str]:
    lines = [f"<b>{title}</b> (from {w.start:%d %b}): {format_duration(w.time_s)}, "
             f"{distance(w.distance_m, units)}, load {w.load:.0f}"]  # fmt: skip
    for s in w.sports:
        lines.append(f"• {esc(sport_name(s.sport))}: {s.count}× {format_duration(s.time_s)}, "
                     f"{distance(s.distance_m, units)}, load {s.load:.0f}")  # fmt: skip
    if any(w.zone_seconds):
        lines.append("HR zones: " + " · ".join(
            f"Z{i} {format_duration(s)}" for i, s in enumerate(w.zone_seconds, 1)))  # fmt: skip
    if w.longest is not None:
        lines.append(f"Longest: {esc(sport_name(w.longest.sport, w.longest.sub_sport))} "
                     f"{format_duration(w.longest.timer_s)}")  # fmt: skip
    return lines


def week_text(r: WeekReport, units: str) -> str:
    return "\n".join(
        [*_week_block("This week", r.this, units), "", *_week_block("Last week", r.last, units)]
    )


def activities_csv_caption(count: int) -> str:
    return f"{count} activities"


def fitness_csv_caption(days: int) -> str:
    return f"{days} days of fitness, fatigue and form"
