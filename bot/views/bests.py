"""New bests on cards, the /curve table and the FTP proposal with its button."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core.training.best_efforts import BestEffort
from core.training.bests import BestsOverview, FtpAcceptance, FtpOffer
from core.training.formatting import format_duration
from core.training.new_bests import BestMark
from core.training.power_curve import DURATIONS_S, PowerCurve

MAX_CARD_BESTS = 6  # a breakthrough ride may beat a dozen durations: the rest are in /curve
# Which power bests a card shows first when there are more than it lists.
POWER_PRIORITY = (1200, 300, 60, 3600, 5, 600, 1800, 120, 30, 5400, 7200, 10, 1)
WINDOW_NAMES = {"90d": "90 days", "all": "all history"}
DISTANCE_NAMES = {1000: "1 km", 5000: "5 km", 10000: "10 km", 21097: "Half marathon"}
CURVE_CAPTION = "Power curve: best average power for each duration."
NO_CURVE = (
    "No power curve or run bests yet: send me a ride with power or a run (.fit), "
    "or link Garmin with /connect."
)


class FtpCb(CallbackData, prefix="ftp"):
    """Accept the proposed FTP; `watts` is the figure shown, checked, never stored."""

    watts: int


def duration_name(seconds: int) -> str:
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"


def distance_name(metres: int) -> str:
    return DISTANCE_NAMES.get(metres, f"{metres / 1000:g} km")


def best_lines(marks: Sequence[BestMark]) -> list[str]:
    """One line per new best, longest history first: a key beaten in both windows once."""
    shown: dict[tuple[str, int], BestMark] = {}
    for m in sorted(marks, key=lambda m: m.window != "all"):
        shown.setdefault((m.kind, m.key), m)
    picked = sorted(shown.values(), key=_rank)[:MAX_CARD_BESTS]
    lines = [_best_line(m) for m in sorted(picked, key=lambda m: (m.kind != "run", m.key))]
    if len(shown) > MAX_CARD_BESTS:
        lines.append(f"… and {len(shown) - MAX_CARD_BESTS} more new bests: see /curve")
    return lines


def _rank(m: BestMark) -> tuple[int, int]:
    """Runs first (four distances at most), then the durations athletes train for."""
    if m.kind == "run":
        return 0, m.key
    order = POWER_PRIORITY.index(m.key) if m.key in POWER_PRIORITY else len(POWER_PRIORITY)
    return 1, order


def _best_line(m: BestMark) -> str:
    if m.kind == "power":
        figure = f"{duration_name(m.key)} {m.value:.0f} W"
        was = f"was {m.previous:.0f} W" if m.previous is not None else "first at this duration"
    else:
        figure = f"{distance_name(m.key)} {format_duration(m.value)}"
        was = f"was {format_duration(m.previous)}" if m.previous is not None else "first"
    return f"🏆 New best: {figure} ({WINDOW_NAMES[m.window]}; {was})"


def ftp_offer_text(offer: FtpOffer) -> str:
    """The proposal after an import or under /curve."""
    if offer.basis == "20min":
        why = f"95% of 20-min best {offer.best_watts:.0f} W"
    else:
        why = f"your 60-min best {offer.best_watts:.0f} W"
    current = f"current {offer.current} W" if offer.current else "no FTP set yet"
    return f"Your power curve suggests FTP <b>{offer.watts} W</b> ({why}); {current}."


def ftp_offer_keyboard(offer: FtpOffer) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=f"Accept FTP {offer.watts} W", callback_data=FtpCb(watts=offer.watts).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def acceptance_text(result: FtpAcceptance) -> str:
    if result.status == "accepted":
        was = f" (was {result.previous} W)" if result.previous else ""
        return (f"FTP set to <b>{result.ftp} W</b>{was}. New rides' TSS and intensity use it; "
                "change it any time in /settings.")  # fmt: skip
    if result.status == "changed" and result.offer is not None:
        return "Your power curve has changed since: " + ftp_offer_text(result.offer)
    now = f" Your FTP stays {result.ftp} W." if result.ftp else ""
    return "There is no FTP proposal right now: your 90-day curve agrees with your FTP." + now


def curve_text(o: BestsOverview) -> str:
    """The curve table (90 days and all visible history) and run bests."""
    if not (o.power_all.points or o.runs_all):
        return NO_CURVE
    history = "all your history" if o.history_days is None else f"{o.history_days} days"
    short = "all" if o.history_days is None else f"{o.history_days} d"
    lines: list[str] = []
    if o.power_all.points:
        lines += [f"<b>Power curve</b>: best average power, last 90 days and {history}", "<pre>",
                  f"{'':>7} {'90 d':>7} {short:>7}  set on"]  # fmt: skip
        lines += _curve_rows(o.power_recent, o.power_all)
        lines.append("</pre>")
    if o.runs_all:
        lines += [f"<b>Run bests</b>: last 90 days and {history}", "<pre>",
                  f"{'':>13} {'90 d':>8} {short:>8}  set on"]  # fmt: skip
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
        near_txt = f"{near:.0f} W" if near is not None else "-"
        when = f"{best.day:%d %b %Y}" if best.day else ""
        rows.append(f"{duration_name(d):>7} {near_txt:>7} {best.watts:>5.0f} W  {when}")
    return rows


def _effort_rows(recent: Sequence[BestEffort], whole: Sequence[BestEffort]) -> list[str]:
    near = {e.distance_m: e.time_s for e in recent}
    rows = []
    for e in whole:
        r = near.get(e.distance_m)
        near_txt = format_duration(r) if r is not None else "-"
        when = f"{e.day:%d %b %Y}" if e.day else ""
        name = distance_name(int(e.distance_m))
        rows.append(f"{name:>13} {near_txt:>8} {format_duration(e.time_s):>8}  {when}")
    return rows
