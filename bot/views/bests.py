"""New bests on cards, the /curve table and the FTP proposal with its button."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _, ngettext
from bot.i18n import format as fmt
from bot.views import dates
from core.training.best_efforts import BestEffort
from core.training.bests import BestsOverview, FtpAcceptance, FtpOffer
from core.training.curve_chart import CurveChartLabels
from core.training.formatting import format_duration
from core.training.new_bests import BestMark
from core.training.power_curve import DURATIONS_S, PowerCurve

MAX_CARD_BESTS = 6  # a breakthrough ride may beat a dozen durations: the rest are in /curve
# Which power bests a card shows first when there are more than it lists.
POWER_PRIORITY = (1200, 300, 60, 3600, 5, 600, 1800, 120, 30, 5400, 7200, 10, 1)
WINDOW_NAMES = {"90d": N_("90 days"), "all": N_("all history")}
HALF_MARATHON_M = 21097
CURVE_CAPTION = N_("Power curve: best average power for each duration.")
NO_CURVE = N_(
    "No power curve or run bests yet: send me a ride with power or a run (.fit), "
    "or link Garmin with /connect."
)
# The proposal, by its basis and whether an FTP is set: whole sentences for the translators.
OFFER_TEXTS = {
    ("20min", True): N_("Your power curve suggests FTP <b>{watts} W</b> (95% of 20-min best "
                        "{best} W); current {current} W."),
    ("20min", False): N_("Your power curve suggests FTP <b>{watts} W</b> (95% of 20-min best "
                         "{best} W); no FTP set yet."),
    ("60min", True): N_("Your power curve suggests FTP <b>{watts} W</b> (your 60-min best "
                        "{best} W); current {current} W."),
    ("60min", False): N_("Your power curve suggests FTP <b>{watts} W</b> (your 60-min best "
                         "{best} W); no FTP set yet."),
}  # fmt: skip


class FtpCb(CallbackData, prefix="ftp"):
    """Accept the proposed FTP; `watts` is the figure shown, checked, never stored."""

    watts: int


def duration_name(seconds: int) -> str:
    if seconds < 60:
        return _("{n} s").format(n=seconds)
    return _("{n} min").format(n=seconds // 60)


def watts(value: float) -> str:
    """'312 W' ('312 Вт' in Russian)."""
    return _("{watts} W").format(watts=f"{value:.0f}")


def distance_name(metres: int) -> str:
    if metres == HALF_MARATHON_M:
        return _("Half marathon")
    km = metres / 1000
    return _("{value} km").format(value=fmt.number(km, 0 if km.is_integer() else 2))


def best_lines(marks: Sequence[BestMark]) -> list[str]:
    """One line per new best, longest history first: a key beaten in both windows once."""
    shown: dict[tuple[str, int], BestMark] = {}
    for m in sorted(marks, key=lambda m: m.window != "all"):
        shown.setdefault((m.kind, m.key), m)
    picked = sorted(shown.values(), key=_rank)[:MAX_CARD_BESTS]
    lines = [_best_line(m) for m in sorted(picked, key=lambda m: (m.kind != "run", m.key))]
    if len(shown) > MAX_CARD_BESTS:
        n = len(shown) - MAX_CARD_BESTS
        lines.append(ngettext("… and {n} more new best: see /curve",
                              "… and {n} more new bests: see /curve", n).format(n=n))  # fmt: skip
    return lines


def _rank(m: BestMark) -> tuple[int, int]:
    """Runs first (four distances at most), then the durations athletes train for."""
    if m.kind == "run":
        return 0, m.key
    order = POWER_PRIORITY.index(m.key) if m.key in POWER_PRIORITY else len(POWER_PRIORITY)
    return 1, order


def _best_line(m: BestMark) -> str:
    window = _(WINDOW_NAMES[m.window])
    if m.kind == "power":
        figure = f"{duration_name(m.key)} {watts(m.value)}"
        was = watts(m.previous) if m.previous is not None else None
        first = _("🏆 New best: {figure} ({window}; first at this duration)")
    else:
        figure = f"{distance_name(m.key)} {format_duration(m.value)}"
        was = format_duration(m.previous) if m.previous is not None else None
        first = _("🏆 New best: {figure} ({window}; first)")
    if was is None:
        return first.format(figure=figure, window=window)
    return _("🏆 New best: {figure} ({window}; was {was})").format(
        figure=figure, window=window, was=was
    )


def ftp_offer_text(offer: FtpOffer) -> str:
    """The proposal after an import or under /curve."""
    basis = "20min" if offer.basis == "20min" else "60min"
    text = _(OFFER_TEXTS[(basis, bool(offer.current))])
    return text.format(watts=offer.watts, best=f"{offer.best_watts:.0f}", current=offer.current)


def ftp_offer_keyboard(offer: FtpOffer) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("Accept FTP {watts} W").format(watts=offer.watts),
        callback_data=FtpCb(watts=offer.watts).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def acceptance_text(result: FtpAcceptance) -> str:
    if result.status == "accepted":
        if result.previous:
            return _("FTP set to <b>{ftp} W</b> (was {previous} W). New rides' TSS and intensity "
                     "use it; change it any time in /settings.").format(
                ftp=result.ftp, previous=result.previous)  # fmt: skip
        return _("FTP set to <b>{ftp} W</b>. New rides' TSS and intensity use it; change it any "
                 "time in /settings.").format(ftp=result.ftp)  # fmt: skip
    if result.status == "changed" and result.offer is not None:
        return _("Your power curve has changed since: {offer}").format(
            offer=ftp_offer_text(result.offer)
        )
    text = _("There is no FTP proposal right now: your 90-day curve agrees with your FTP.")
    if result.ftp:
        text += " " + _("Your FTP stays {ftp} W.").format(ftp=result.ftp)
    return text


def _history(o: BestsOverview) -> str:
    if o.history_days is None:
        return _("all your history")
    return ngettext("{n} day", "{n} days", o.history_days).format(n=o.history_days)


def curve_text(o: BestsOverview) -> str:
    """The curve table (90 days and all visible history) and run bests."""
    if not (o.power_all.points or o.runs_all):
        return _(NO_CURVE)
    history = _history(o)
    short = _("all") if o.history_days is None else _("{n} d").format(n=o.history_days)
    recent, set_on = _("{n} d").format(n=90), _("set on")
    lines: list[str] = []
    if o.power_all.points:
        title = _("<b>Power curve</b>: best average power, last 90 days and {history}")
        lines += [title.format(history=history), "<pre>",
                  f"{'':>7} {recent:>7} {short:>7}  {set_on}"]  # fmt: skip
        lines += _curve_rows(o.power_recent, o.power_all)
        lines.append("</pre>")
    if o.runs_all:
        lines += [_("<b>Run bests</b>: last 90 days and {history}").format(history=history),
                  "<pre>", f"{'':>13} {recent:>8} {short:>8}  {set_on}"]  # fmt: skip
        lines += _effort_rows(o.runs_recent, o.runs_all)
        lines.append("</pre>")
    return "\n".join(lines)


def _curve_rows(recent: PowerCurve, whole: PowerCurve) -> list[str]:
    rows = []
    for d in DURATIONS_S:
        best = whole.point(d)
        if best is None:
            continue
        near = recent.watts(d)
        near_txt = watts(near) if near is not None else "-"
        when = dates.day(best.day, dates.DAY_YEAR) if best.day else ""
        rows.append(f"{duration_name(d):>7} {near_txt:>7} {watts(best.watts):>7}  {when}")
    return rows


def _effort_rows(recent: Sequence[BestEffort], whole: Sequence[BestEffort]) -> list[str]:
    near = {e.distance_m: e.time_s for e in recent}
    rows = []
    for e in whole:
        r = near.get(e.distance_m)
        near_txt = format_duration(r) if r is not None else "-"
        when = dates.day(e.day, dates.DAY_YEAR) if e.day else ""
        name = distance_name(int(e.distance_m))
        rows.append(f"{name:>13} {near_txt:>8} {format_duration(e.time_s):>8}  {when}")
    return rows


def curve_chart_labels(o: BestsOverview) -> CurveChartLabels:
    """The words drawn into the /curve chart, in the athlete's language."""
    days = o.history_days
    history = _("All history") if days is None else \
        ngettext("Last {n} day", "Last {n} days", days).format(n=days)  # fmt: skip
    return CurveChartLabels(
        title=_("Power curve: best average power"), recent=_("Last 90 days"), history=history,
        watts=_("Watts"), seconds=_("{n} s"), minutes=_("{n} min"),
    )  # fmt: skip
