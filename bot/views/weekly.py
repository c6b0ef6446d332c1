"""The weekly report push: its text (HTML) and its chart (PNG), both from the stored data."""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display anywhere; set before anything may import pyplot

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.views.common import esc  # noqa: E402
from bot.views.training import distance  # noqa: E402
from core.notify.weekly_figures import NewBest, PlannedSession, WeeklyReport  # noqa: E402
from core.training.formatting import format_duration  # noqa: E402

NO_WELLNESS = "no wellness data"
_RUN_NAMES = {1609.0: "1 mile", 21097.0: "Half marathon", 42195.0: "Marathon"}
_SIZE_IN, _DPI = (8.0, 6.0), 100  # 800 x 600 px: readable on a phone, small to send
_DONE, _PLANNED, _CTL, _ATL, _TSB = "#1f77b4", "#c7c7c7", "#1f77b4", "#d62728", "#2ca02c"


def weekly_text(r: WeeklyReport, units: str) -> str:
    """The report the athlete reads on Monday: the week against plan, fitness, readiness,
    new bests and the week ahead."""
    lines = [f"<b>Your week: {_day(r.week_start)} – {_day(r.week_end)}</b>"]
    lines += _against_plan(r)
    extra = f" · {distance(r.distance_m, units)}" if r.distance_m else ""
    lines.append(f"Load: {r.load:.0f}{extra}")
    lines.append(_fitness(r))
    lines.append(readiness_line(r))
    if r.bests:
        lines += ["", "<b>New bests</b>", *(f"• {best_text(b)}" for b in r.bests)]
    if r.coming:
        lines += ["", "<b>This week's plan</b>", *(_planned(s) for s in r.coming)]
    return "\n".join(lines)


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _hours(minutes: float) -> str:
    total = int(round(minutes))
    hours, mins = divmod(total, 60)
    return f"{hours}h {mins:02d}m" if hours else f"{mins} min"


def _against_plan(r: WeeklyReport) -> list[str]:
    done = _hours(r.time_s / 60)
    if not r.has_plan:
        return [f"Sessions: {r.sessions} · time: {done}"]
    return [
        f"Sessions: {r.sessions} of {r.planned_sessions} planned",
        f"Time: {done} of {_hours(r.planned_min)} planned",
    ]


def _fitness(r: WeeklyReport) -> str:
    if r.ctl_start is None or r.ctl_end is None:
        return "Fitness (CTL): no data yet"
    return f"Fitness (CTL): {r.ctl_start:.1f} → {r.ctl_end:.1f} ({r.ctl_end - r.ctl_start:+.1f})"


def readiness_line(r: WeeklyReport) -> str:
    """The week's mean readiness score against the week before's."""
    if r.readiness is None:
        return f"Readiness: {NO_WELLNESS}"
    now = f"Readiness: {r.readiness:.0f}/100 on average"
    if r.readiness_before is None:
        return now
    delta = round(r.readiness) - round(r.readiness_before)
    if delta == 0:
        return f"{now}, as the week before"
    way = "up" if delta > 0 else "down"
    return f"{now}, {way} {abs(delta)} from {r.readiness_before:.0f} the week before"


def best_text(b: NewBest) -> str:
    """'5 min power: 312 W, all-time best (was 298 W)'."""
    when = "all-time best" if b.window == "all" else "best in 90 days"
    if b.kind == "power":
        what, value = f"{_span(b.key)} power", f"{b.value:.0f} W"
        was = f"{b.previous:.0f} W" if b.previous else None
    else:
        what, value = _run_name(b.key), format_duration(b.value)
        was = format_duration(b.previous) if b.previous else None
    return f"{esc(what)}: {value}, {when}" + (f" (was {was})" if was else "")


def _span(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" if s % 60 == 0 else f"{s // 60} min {s % 60} s"
    return f"{s / 3600:g} h"


def _run_name(metres: float) -> str:
    named = _RUN_NAMES.get(float(int(metres)))
    if named:
        return named
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:.0f} m"


def _planned(s: PlannedSession) -> str:
    sport = f" ({esc(s.sport)})" if s.sport else ""
    length = f" · {_hours(s.duration_min)}" if s.duration_min else ""
    return f"{s.day:%a} {_day(s.day)} · {esc(s.title)}{sport}{length}"


def weekly_chart_png(r: WeeklyReport) -> bytes:
    """Minutes done against planned per day (load on top), and fitness, fatigue and form."""
    fig = Figure(figsize=_SIZE_IN, dpi=_DPI)
    FigureCanvasAgg(fig)
    bars, lines = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    xs = list(range(len(r.days)))
    bars.set_title(f"Week of {_day(r.week_start)}", fontsize=14)
    if r.has_plan:
        planned = [d.planned_min for d in r.days]
        bars.bar(xs, planned, width=0.8, color=_PLANNED, label="Planned (min)")
    done = bars.bar(xs, [d.minutes for d in r.days], width=0.5, color=_DONE, label="Done (min)")
    for rect, day in zip(done, r.days, strict=True):
        if day.load:
            at = (rect.get_x() + rect.get_width() / 2, rect.get_height())
            bars.annotate(f"{day.load:.0f}", at, ha="center", va="bottom", fontsize=9,
                          xytext=(0, 2), textcoords="offset points")  # fmt: skip
    top = max([d.minutes for d in r.days] + [d.planned_min for d in r.days] + [10.0])
    bars.set_ylim(0, top * 1.2)  # room for the load labels
    bars.set_ylabel("Minutes (load on top)")
    bars.legend(loc="upper left", fontsize=9, frameon=False)
    bars.grid(True, axis="y", alpha=0.3)
    for values, color, label in (
        ([d.ctl for d in r.days], _CTL, "Fitness (CTL)"),
        ([d.atl for d in r.days], _ATL, "Fatigue (ATL)"),
        ([d.tsb for d in r.days], _TSB, "Form (TSB)"),
    ):
        points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if points:
            lines.plot(*zip(*points, strict=True), color=color, linewidth=2, marker="o",
                       markersize=3, label=label)  # fmt: skip
    lines.axhline(0, color="#999999", linewidth=0.8)
    lines.grid(True, alpha=0.3)
    if lines.get_legend_handles_labels()[0]:
        lines.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=9, frameon=False,
                     ncol=3)  # fmt: skip
    else:
        lines.text(0.5, 0.5, "No fitness data yet", ha="center", va="center",
                   transform=lines.transAxes, color="#555555")  # fmt: skip
    lines.set_xticks(xs, [f"{d.day:%a}\n{d.day.day}" for d in r.days])
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
