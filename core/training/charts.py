"""PNG charts for the chat, drawn off-screen with matplotlib's Agg canvas (no pyplot state)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display anywhere; set before anything may import pyplot

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num, num2date  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from core.training.fitness import DayFitness  # noqa: E402

CHART_DAYS = 90
_SIZE_IN = (10.0, 6.0)
_DPI = 100  # 1000 x 600 px: readable on a phone, small to send
_CTL, _ATL, _TSB, _LOAD = "#1f77b4", "#d62728", "#2ca02c", "#b0b0b0"


@dataclass(frozen=True)
class FitnessChartLabels:
    """The words drawn into the chart; the bot passes them in the athlete's language."""

    title: str = "Fitness (CTL), fatigue (ATL) and form (TSB)"
    fitness: str = "Fitness (CTL)"
    fatigue: str = "Fatigue (ATL)"
    form: str = "Form (TSB)"
    daily_load: str = "Daily load"
    axis: str = "Fitness / fatigue / form"
    no_data: str = "No training data yet"
    day: Callable[[date], str] | None = None  # a date tick's text; None: matplotlib's own


ENGLISH = FitnessChartLabels()


def fitness_chart_png(
    days: Sequence[DayFitness], *, title: str | None = None, labels: FitnessChartLabels = ENGLISH
) -> bytes:
    """Fitness, fatigue and form lines with daily load bars over the last 90 days."""
    fig = Figure(figsize=_SIZE_IN, dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(labels.title if title is None else title, fontsize=15, pad=30 if days else 6)
    shown = list(days)[-CHART_DAYS:]
    if shown:
        _draw(ax, shown, labels)
    else:
        ax.text(0.5, 0.5, labels.no_data, ha="center", va="center", fontsize=18,
                transform=ax.transAxes, color="#555555")  # fmt: skip
        ax.set_axis_off()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _draw(ax: Axes, days: list[DayFitness], labels: FitnessChartLabels) -> None:
    dates = date2num([d.date for d in days])
    bars = ax.twinx()
    bars.bar(dates, [d.load for d in days], color=_LOAD, width=0.8, label=labels.daily_load)
    bars.set_ylabel(labels.daily_load, fontsize=12, color="#777777")
    bars.set_ylim(0, max([d.load for d in days] + [1.0]) * 3)  # keep bars low, under the lines
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(dates, [d.ctl for d in days], color=_CTL, linewidth=2.5, label=labels.fitness)
    ax.plot(dates, [d.atl for d in days], color=_ATL, linewidth=1.8, label=labels.fatigue)
    ax.plot(dates, [d.tsb for d in days], color=_TSB, linewidth=1.8, label=labels.form)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=11)
    ax.set_ylabel(labels.axis, fontsize=12)
    locator = AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_date_formatter(locator, labels.day))
    handles = ax.get_legend_handles_labels()[0] + bars.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4,
              fontsize=11, frameon=False)  # fmt: skip


def _date_formatter(
    locator: AutoDateLocator, day: Callable[[date], str] | None
) -> ConciseDateFormatter | FuncFormatter:
    """Ticks in the caller's words for a date ('1. Nov.'), else matplotlib's concise ones."""
    if day is None:
        return ConciseDateFormatter(locator)
    return FuncFormatter(lambda x, _pos: day(num2date(x).date()))
