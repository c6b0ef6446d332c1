"""The weekly report push: its text (HTML) and its chart (PNG), both from the stored data."""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display anywhere; set before anything may import pyplot

from babel.dates import format_date  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.i18n import N_, _, current_language  # noqa: E402
from bot.i18n.format import FORMAT_LOCALES, day_month, number, weekday_day_month  # noqa: E402
from bot.views.common import esc  # noqa: E402
from bot.views.training import distance  # noqa: E402
from core.notify.weekly_figures import NewBest, PlannedSession, WeeklyReport  # noqa: E402
from core.training.formatting import format_duration  # noqa: E402

NO_WELLNESS = N_("Readiness: no wellness data")
_RUN_NAMES = {1609.0: N_("1 mile"), 21097.0: N_("Half marathon"), 42195.0: N_("Marathon")}
_UPPER_LEFT, _LOWER_CENTER = 2, 8  # matplotlib's legend location codes
_SIZE_IN, _DPI = (8.0, 6.0), 100  # 800 x 600 px: readable on a phone, small to send
_DONE, _PLANNED, _CTL, _ATL, _TSB = "#1f77b4", "#c7c7c7", "#1f77b4", "#d62728", "#2ca02c"


def weekly_text(r: WeeklyReport, units: str) -> str:
    """The report the athlete reads on Monday: the week against plan, fitness, readiness,
    new bests and the week ahead."""
    lines = [
        _("<b>Your week: {start} – {end}</b>").format(
            start=day_month(r.week_start), end=day_month(r.week_end)
        )
    ]
    lines += _against_plan(r)
    load = number(r.load)
    lines.append(
        _("Load: {load} · {distance}").format(load=load, distance=distance(r.distance_m, units))
        if r.distance_m
        else _("Load: {load}").format(load=load)
    )
    lines.append(_fitness(r))
    lines.append(readiness_line(r))
    if r.bests:
        lines += ["", _("<b>New bests</b>"), *(f"• {best_text(b)}" for b in r.bests)]
    if r.coming:
        lines += ["", _("<b>This week's plan</b>"), *(_planned(s) for s in r.coming)]
    return "\n".join(lines)


def _hours(minutes: float) -> str:
    total = int(round(minutes))
    hours, mins = divmod(total, 60)
    if hours:
        return _("{hours}h {minutes}m").format(hours=hours, minutes=f"{mins:02d}")
    return _("{minutes} min").format(minutes=mins)


def _against_plan(r: WeeklyReport) -> list[str]:
    done = _hours(r.time_s / 60)
    if not r.has_plan:
        return [_("Sessions: {n} · time: {time}").format(n=r.sessions, time=done)]
    return [
        _("Sessions: {n} of {planned} planned").format(n=r.sessions, planned=r.planned_sessions),
        _("Time: {time} of {planned} planned").format(time=done, planned=_hours(r.planned_min)),
    ]


def _signed(value: float, digits: int) -> str:
    return ("+" if value >= 0 else "-") + number(abs(value), digits)


def _fitness(r: WeeklyReport) -> str:
    if r.ctl_start is None or r.ctl_end is None:
        return _("Fitness (CTL): no data yet")
    return _("Fitness (CTL): {start} → {end} ({change})").format(
        start=number(r.ctl_start, 1),
        end=number(r.ctl_end, 1),
        change=_signed(r.ctl_end - r.ctl_start, 1),
    )


def readiness_line(r: WeeklyReport) -> str:
    """The week's mean readiness score against the week before's."""
    if r.readiness is None:
        return _(NO_WELLNESS)
    score = number(r.readiness)
    if r.readiness_before is None:
        return _("Readiness: {score}/100 on average").format(score=score)
    delta = round(r.readiness) - round(r.readiness_before)
    if delta == 0:
        return _("Readiness: {score}/100 on average, as the week before").format(score=score)
    line = (
        _("Readiness: {score}/100 on average, up {delta} from {before} the week before")
        if delta > 0
        else _("Readiness: {score}/100 on average, down {delta} from {before} the week before")
    )
    return line.format(score=score, delta=abs(delta), before=number(r.readiness_before))


def best_text(b: NewBest) -> str:
    """'5 min power: 312 W, all-time best (was 298 W)'."""
    if b.kind == "power":
        what = _("{span} power").format(span=_span(b.key))
        value = _("{watts} W").format(watts=number(b.value))
        was = _("{watts} W").format(watts=number(b.previous)) if b.previous else None
    else:
        what, value = _run_name(b.key), format_duration(b.value)
        was = format_duration(b.previous) if b.previous else None
    if b.window == "all":
        line = (
            _("{what}: {value}, all-time best (was {was})")
            if was
            else _("{what}: {value}, all-time best")
        )
    else:
        line = (
            _("{what}: {value}, best in 90 days (was {was})")
            if was
            else _("{what}: {value}, best in 90 days")
        )
    return line.format(what=esc(what), value=value, was=was)


def _span(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return _("{seconds} s").format(seconds=s)
    if s < 3600:
        if s % 60 == 0:
            return _("{minutes} min").format(minutes=s // 60)
        return _("{minutes} min {seconds} s").format(minutes=s // 60, seconds=s % 60)
    return _("{hours} h").format(hours=number(s / 3600, 0 if s % 3600 == 0 else 1))


def _run_name(metres: float) -> str:
    named = _RUN_NAMES.get(float(int(metres)))
    if named:
        return _(named)
    if metres >= 1000:
        km = metres / 1000
        return _("{value} km").format(value=number(km, 0 if km == int(km) else 1))
    return _("{value} m").format(value=number(metres))


def _planned(s: PlannedSession) -> str:
    sport = f" ({esc(s.sport)})" if s.sport else ""
    length = f" · {_hours(s.duration_min)}" if s.duration_min else ""
    return f"{weekday_day_month(s.day)} · {esc(s.title)}{sport}{length}"


def _weekday(day: date) -> str:
    language = current_language()
    return format_date(day, "EEE", locale=FORMAT_LOCALES.get(language, language))


def weekly_chart_png(r: WeeklyReport) -> bytes:
    """Minutes done against planned per day (load on top), and fitness, fatigue and form."""
    fig = Figure(figsize=_SIZE_IN, dpi=_DPI)
    FigureCanvasAgg(fig)
    bars, lines = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    xs = list(range(len(r.days)))
    bars.set_title(_("Week of {day}").format(day=day_month(r.week_start)), fontsize=14)
    if r.has_plan:
        planned = [d.planned_min for d in r.days]
        bars.bar(xs, planned, width=0.8, color=_PLANNED, label=_("Planned (min)"))
    done = bars.bar(xs, [d.minutes for d in r.days], width=0.5, color=_DONE, label=_("Done (min)"))
    # The day's load above its bar, 2 points up.
    bars.bar_label(done, [number(d.load) if d.load else "" for d in r.days], padding=2,
                   fontsize=9)  # fmt: skip
    top = max([d.minutes for d in r.days] + [d.planned_min for d in r.days] + [10.0])
    bars.set_ylim(0, top * 1.2)  # room for the load labels
    bars.set_ylabel(_("Minutes (load on top)"))
    bars.legend(loc=_UPPER_LEFT, fontsize=9, frameon=False)
    bars.grid(True, axis="y", alpha=0.3)
    for values, color, label in (
        ([d.ctl for d in r.days], _CTL, _("Fitness (CTL)")),
        ([d.atl for d in r.days], _ATL, _("Fatigue (ATL)")),
        ([d.tsb for d in r.days], _TSB, _("Form (TSB)")),
    ):
        points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if points:
            lines.plot(*zip(*points, strict=True), color=color, linewidth=2, marker="o",
                       markersize=3, label=label)  # fmt: skip
    lines.axhline(0, color="#999999", linewidth=0.8)
    lines.grid(True, alpha=0.3)
    if lines.get_legend_handles_labels()[0]:
        lines.legend(loc=_LOWER_CENTER, bbox_to_anchor=(0.5, 1.0), fontsize=9, frameon=False,
                     ncol=3)  # fmt: skip
    else:
        lines.text(0.5, 0.5, _("No fitness data yet"), ha="center", va="center",
                   transform=lines.transAxes, color="#555555")  # fmt: skip
    lines.set_xticks(xs, [f"{_weekday(d.day)}\n{d.day.day}" for d in r.days])
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
