"""Which of an activity's power curve points and run efforts are new bests, and over what.

Two windows: the 90 days up to the activity's day, and the athlete's visible history (their
plan's window; all of it on Pro). Only activities that started before this one count. A window
flags nothing unless it already holds an earlier activity with data of that kind: a first
ride is not 13 "bests", and an old file imported late is compared only with what came before
it. Once the window has such data, a duration or distance nobody reached before in it (a first
two-hour ride) is a best with `previous` None.

Stored in activity_metrics.new_bests as plain dicts (the weekly report reads them too):
{"kind": "power" | "run", "key": seconds | metres, "value": watts | seconds,
 "window": "90d" | "all", "previous": float | None}.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from core.training.best_efforts import (
    BestEffort,
    efforts_of_json,
    merge_efforts,
    new_best_efforts,
)
from core.training.power_curve import PowerCurve, curve_of_json, merge_curves, new_bests

RECENT_DAYS = 90
Kind = Literal["power", "run"]
Window = Literal["90d", "all"]


@dataclass(frozen=True, slots=True)
class BestMark:
    """One new best of an activity: watts over `key` seconds, or seconds over `key` metres."""

    kind: Kind
    key: int
    value: float
    window: Window
    previous: float | None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "value": self.value,
                "window": self.window, "previous": self.previous}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ActivityBests:
    """One activity's curve and efforts, labelled with its id and day."""

    activity_id: int | None
    day: date
    start_time: datetime
    curve: PowerCurve
    efforts: tuple[BestEffort, ...]


def activity_bests(
    *,
    activity_id: int | None,
    day: date,
    start_time: datetime,
    power_curve: dict[str, float] | None,
    best_efforts: dict[str, float] | None,
) -> ActivityBests:
    """From the stored JSON columns (or the parsed session's dicts)."""
    curve = curve_of_json(power_curve, activity_id=activity_id, day=day)
    efforts = efforts_of_json(best_efforts, activity_id=activity_id, day=day)
    return ActivityBests(activity_id, day, start_time, curve, efforts)


def marks_of(data: object) -> tuple[BestMark, ...]:
    """The stored list back as marks; anything malformed is skipped, never fatal."""
    out = []
    for item in data if isinstance(data, list) else ():
        try:
            previous = item.get("previous")
            out.append(BestMark(
                kind=item["kind"], key=int(item["key"]), value=float(item["value"]),
                window=item["window"], previous=None if previous is None else float(previous),
            ))  # fmt: skip
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return tuple(m for m in out if m.kind in ("power", "run") and m.window in ("90d", "all"))


def flag_new_bests(
    activity: ActivityBests, earlier: Sequence[ActivityBests], *, since: date | None
) -> list[BestMark]:
    """The activity's new bests over 90 days and over the visible history (from `since`)."""
    before = [e for e in earlier if e.start_time < activity.start_time]
    recent_from = activity.day - timedelta(days=RECENT_DAYS - 1)
    if since is not None:
        recent_from = max(recent_from, since)
    marks = _marks(activity, [e for e in before if e.day >= recent_from], "90d")
    visible = [e for e in before if since is None or e.day >= since]
    return marks + _marks(activity, visible, "all")


def _marks(activity: ActivityBests, prior: list[ActivityBests], window: Window) -> list[BestMark]:
    out: list[BestMark] = []
    curves = [e.curve for e in prior if e.curve.points]
    if activity.curve.points and curves:
        best = merge_curves(curves)
        for nb in new_bests(activity.curve, best):
            previous = None if nb.previous_watts is None else round(nb.previous_watts, 1)
            out.append(BestMark("power", nb.duration_s, round(nb.watts, 1), window, previous))
    efforts = [x for e in prior for x in e.efforts]
    if activity.efforts and efforts:
        held = {e.distance_m: e.time_s for e in merge_efforts(efforts)}
        for e in new_best_efforts(activity.efforts, efforts):
            previous = held.get(e.distance_m)
            out.append(BestMark("run", int(e.distance_m), round(e.time_s, 1), window,
                                None if previous is None else round(previous, 1)))  # fmt: skip
    return out
