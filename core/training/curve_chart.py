"""The power curve as a PNG: best average power against duration (log scale), 90 days over the
visible history, drawn off-screen like core.training.charts."""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display anywhere; set before anything may import pyplot

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from core.training.power_curve import PowerCurve  # noqa: E402

_SIZE_IN = (10.0, 6.0)
_DPI = 100
_RECENT, _HISTORY = "#d62728", "#7f7f7f"
_TICKS = (1, 5, 30, 60, 300, 1200, 3600, 7200)  # labelled durations: the rest would overlap


@dataclass(frozen=True)
class CurveChartLabels:
    """The words drawn into the chart; the bot passes them in the athlete's language."""

    title: str = "Power curve: best average power"
    recent: str = "Last 90 days"
    history: str = "All history"
    watts: str = "Watts"
    seconds: str = "{n} s"  # a duration tick under a minute
    minutes: str = "{n} min"


ENGLISH = CurveChartLabels()


def _label(seconds: int, labels: CurveChartLabels) -> str:
    if seconds < 60:
        return labels.seconds.format(n=seconds)
    return labels.minutes.format(n=seconds // 60)


def power_curve_png(
    recent: PowerCurve,
    history: PowerCurve,
    *,
    history_label: str | None = None,
    labels: CurveChartLabels = ENGLISH,
) -> bytes:
    """Both curves on one chart; a window without points draws no line."""
    fig = Figure(figsize=_SIZE_IN, dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(labels.title, fontsize=15)
    for curve, colour, label, width in (
        (history, _HISTORY, labels.history if history_label is None else history_label, 1.8),
        (recent, _RECENT, labels.recent, 2.5),
    ):
        if curve.points:
            xs = [p.duration_s for p in curve.points]
            ax.plot(xs, [p.watts for p in curve.points], color=colour, linewidth=width,
                    marker="o", markersize=4, label=label)  # fmt: skip
    ticks = [t for t in _TICKS if history.point(t) or recent.point(t)]
    ax.set_xscale("log")
    ax.set_xticks(ticks, [_label(t, labels) for t in ticks])
    ax.minorticks_off()
    ax.set_ylabel(labels.watts, fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=10)
    ax.legend(fontsize=11, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
