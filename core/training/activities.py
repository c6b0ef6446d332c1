"""Turning FIT bytes into activity rows and cards; `parse_fit` runs in a worker process."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.training.fit import SessionData, decode_activity
from core.training.load import LoadResult, activity_load
from core.training.new_bests import BestMark, marks_of
from core.training.series import chart_series
from core.training.thresholds import Thresholds, best_mean_power, resolve_thresholds

if TYPE_CHECKING:  # the worker process imports this module: keep SQLAlchemy out of it
    from core.db.models import ActivityMetrics, AthleteProfile

BEST_POWER_WINDOW_S = 20 * 60
_LABELS = {"hr_max": "HR max", "hr_rest": "HR rest", "lthr": "LTHR", "ftp": "FTP"}
# The thresholds each load method rests on (which estimates are worth telling).
_METHOD_THRESHOLDS = {"tss": ("ftp",), "hrtss": ("hr_max", "lthr"), "rtss": (), "estimate": ()}


@dataclass(frozen=True, slots=True)
class ThresholdEvidence:
    """The profile's thresholds and what the stored data says, for resolve_thresholds."""

    hr_max: float | None = None
    hr_rest: float | None = None
    lthr: float | None = None
    ftp: float | None = None
    threshold_pace_s_per_km: float | None = None
    sex: str | None = None
    max_hr_seen: float | None = None
    best_20min_power: float | None = None
    garmin_rest_hr: float | None = None

    @classmethod
    def of(
        cls,
        profile: AthleteProfile | None,
        *,
        max_hr_seen: float | None,
        best_20min_power: float | None,
        garmin_rest_hr: float | None,
    ) -> ThresholdEvidence:
        def field(name: str) -> Any:
            return None if profile is None else getattr(profile, name)

        return cls(
            hr_max=field("hr_max"), hr_rest=field("hr_rest"), lthr=field("lthr"),
            ftp=field("ftp"), threshold_pace_s_per_km=field("threshold_pace_s_per_km"),
            sex=field("sex"), max_hr_seen=max_hr_seen, best_20min_power=best_20min_power,
            garmin_rest_hr=garmin_rest_hr,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ParsedSession:
    """A session without its sample series, with its load figures."""

    session: SessionData
    load: LoadResult
    best_20min_power: float | None
    series: dict[str, Any] | None = None  # for charts: core.training.series.chart_series


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """What the worker sends back: small, picklable, everything the database needs."""

    content_hash: str
    device_serial: int | None
    sessions: tuple[ParsedSession, ...]
    recovered: bool
    thresholds: Thresholds


def parse_fit(data: bytes, evidence: ThresholdEvidence) -> ParsedFile:
    """Decode, resolve thresholds with this file's own evidence, and compute every load."""
    decoded = decode_activity(data)
    best = [best_mean_power(s.power, BEST_POWER_WINDOW_S) for s in decoded.sessions]
    hr_seen = [evidence.max_hr_seen, *(s.max_hr for s in decoded.sessions)]
    power_seen = [evidence.best_20min_power, *best]
    th = resolve_thresholds(
        hr_max=evidence.hr_max, hr_rest=evidence.hr_rest, lthr=evidence.lthr, ftp=evidence.ftp,
        threshold_pace_s_per_km=evidence.threshold_pace_s_per_km, sex=evidence.sex,
        max_hr_seen=_max(hr_seen), best_20min_power=_max(power_seen),
        garmin_rest_hr=evidence.garmin_rest_hr,
    )  # fmt: skip
    sessions = tuple(
        ParsedSession(_light(s), activity_load(s, th), b, _chart(s))
        for s, b in zip(decoded.sessions, best, strict=True)
    )
    return ParsedFile(decoded.content_hash, decoded.device_serial, sessions, decoded.recovered, th)


def _max(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _chart(s: SessionData) -> dict[str, Any] | None:
    return chart_series(
        hr=s.hr, power=s.power, speed=s.speed, distance=s.distance, duration_s=s.elapsed_s
    )


def _light(s: SessionData) -> SessionData:
    # The series are only needed for the load; sending them back would cost more than decoding.
    return dataclasses.replace(s, hr=(), power=(), speed=(), altitude=(), distance=())


def activity_row(
    parsed: ParsedFile, ps: ParsedSession, *, tz: str, source: str, garmin_activity_id: int | None
) -> dict[str, Any]:
    """The activity_metrics values of one parsed session."""
    s, ld = ps.session, ps.load
    return {
        "source": source, "garmin_activity_id": garmin_activity_id,
        "device_serial": parsed.device_serial, "content_hash": parsed.content_hash,
        "session_index": s.index, "sport": s.sport[:32], "sub_sport": s.sub_sport[:32],
        "start_time": s.start_time, "local_date": s.start_time.astimezone(ZoneInfo(tz)).date(),
        "timer_s": s.timer_s, "elapsed_s": s.elapsed_s, "distance_m": s.distance_m,
        "ascent_m": s.ascent_m, "calories": None if s.calories is None else int(s.calories),
        "avg_hr": s.avg_hr, "max_hr": s.max_hr, "avg_power": s.avg_power,
        "normalized_power": s.normalized_power, "avg_cadence": s.avg_cadence,
        "lap_count": s.lap_count, "laps": [_lap(lap) for lap in s.laps],
        "hr_zone_seconds": None if ld.hr_zone_seconds is None else list(ld.hr_zone_seconds),
        "best_20min_power": ps.best_20min_power, "trimp": ld.trimp,
        "edwards_trimp": ld.edwards_trimp, "intensity_factor": ld.intensity_factor,
        "tss": ld.tss,
        "load": ld.load, "load_method": ld.method,
    }  # fmt: skip


def _lap(lap: Any) -> dict[str, Any]:
    return {
        "start": lap.start.isoformat(), "timer_s": lap.timer_s, "distance_m": lap.distance_m,
        "avg_hr": lap.avg_hr, "avg_power": lap.avg_power,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ActivityCard:
    """One stored activity as the athlete sees it (units and zone applied by the view)."""

    id: int
    sport: str
    sub_sport: str
    start_time: datetime
    timezone: str
    local_date: date
    timer_s: float
    elapsed_s: float
    distance_m: float | None
    ascent_m: float | None
    calories: int | None
    avg_hr: float | None
    max_hr: float | None
    avg_power: float | None
    normalized_power: float | None
    avg_cadence: float | None
    lap_count: int
    load: float
    load_method: str
    load_estimated: bool
    intensity_factor: float | None
    trimp: float | None
    hr_zone_seconds: tuple[float, ...]
    estimates: tuple[str, ...] = ()  # e.g. "HR max 191": thresholds the load rests on
    rpe: int | None = None  # the athlete's rating 1-10 (core.training.rpe)
    srpe_load: float | None = None  # RPE x moving minutes
    new_bests: tuple[BestMark, ...] = ()  # flagged at import (core.training.new_bests)


def card_of(
    row: ActivityMetrics, *, tz: str, profile: AthleteProfile | None, th: Thresholds | None = None
) -> ActivityCard:
    """A card from a stored row; estimates come from `th` when known, else from the profile."""
    method = row.load_method
    if th is not None:
        names = [n for n in _METHOD_THRESHOLDS.get(method, ()) if n in th.estimated_fields]
        estimates = tuple(f"{_LABELS[n]} {getattr(th, n):.0f}" for n in names)
    else:
        unset = [n for n in _METHOD_THRESHOLDS.get(method, ()) if getattr(profile, n, None) is None]
        estimates = tuple(_LABELS[n] for n in unset)
    return ActivityCard(
        id=row.id, sport=row.sport, sub_sport=row.sub_sport or "generic",
        start_time=row.start_time, timezone=tz, local_date=row.local_date,
        timer_s=row.timer_s or 0.0, elapsed_s=row.elapsed_s or 0.0, distance_m=row.distance_m,
        ascent_m=row.ascent_m, calories=row.calories, avg_hr=row.avg_hr, max_hr=row.max_hr,
        avg_power=row.avg_power, normalized_power=row.normalized_power,
        avg_cadence=row.avg_cadence, lap_count=row.lap_count or 0, load=row.load,
        load_method=method, load_estimated=method == "estimate" or bool(estimates),
        intensity_factor=row.intensity_factor, trimp=row.trimp,
        hr_zone_seconds=tuple(float(x or 0) for x in (row.hr_zone_seconds or ())),
        estimates=estimates, rpe=row.rpe, srpe_load=row.srpe_load,
        new_bests=marks_of(row.new_bests),
    )  # fmt: skip
