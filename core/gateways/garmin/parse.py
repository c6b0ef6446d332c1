"""Pure parsing of the JSON garminconnect returns, shared by the adapter and its test fake.

Field paths are written next to the code that reads them: tests cannot reach Garmin, so these
comments are the record of the response shapes this code was written against.
"""

from __future__ import annotations

import io
import logging
import math
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from core.errors import N_, BadFile, GarminAuthError, GarminRateLimited, GarminUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_FIT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class GarminActivity:
    activity_id: int
    start_time: datetime  # aware, UTC
    sport: str  # Garmin's activityType.typeKey: running, road_biking, lap_swimming, ...
    name: str | None
    duration_s: float | None
    distance_m: float | None
    manual: bool = False  # entered by hand on the website: there is no FIT file to download


@dataclass(frozen=True, slots=True)
class Wellness:
    day: date
    resting_hr: int | None = None
    hrv_ms: float | None = None  # last night's average
    sleep_score: int | None = None
    sleep_seconds: int | None = None
    body_battery_high: int | None = None
    body_battery_low: int | None = None
    stress_avg: int | None = None
    training_readiness: int | None = None
    vo2max: float | None = None

    def is_empty(self) -> bool:
        """True when Garmin had no figure at all for the day."""
        return all(getattr(self, f.name) is None for f in fields(self) if f.name != "day")


def _num(value: Any) -> float | None:
    """A finite number, or None for anything else (bools, strings, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _int_in(value: Any, low: float, high: float) -> int | None:
    """The value rounded, if it lies in [low, high]: Garmin marks 'no data' with -1/-2/0."""
    n = _num(value)
    return round(n) if n is not None and low <= n <= high else None


def _positive(value: Any) -> float | None:
    n = _num(value)
    return n if n is not None and n > 0 else None


def _dig(data: Any, *path: str | int) -> Any:
    """data[path0][path1]... or None as soon as a step is missing."""
    for key in path:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and -len(data) <= key < len(data) else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return data


def _first(*values: T | None) -> T | None:
    return next((v for v in values if v is not None), None)


def _start_time(item: dict[str, Any]) -> datetime:
    # startTimeGMT: "2026-11-20 06:12:00" in UTC without a zone; beginTimestamp: epoch ms.
    raw = item.get("startTimeGMT")
    if isinstance(raw, str) and raw:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    ms = _num(item.get("beginTimestamp"))
    if ms is not None:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    raise ValueError("activity without a start time")


def parse_activity(item: dict[str, Any]) -> GarminActivity:
    """One item of get_activities_by_date; ValueError if it has no id or start time."""
    # Fields: activityId, activityName, startTimeGMT, activityType.typeKey, duration (s),
    # distance (m), manualActivity.
    raw_id = item.get("activityId")
    if isinstance(raw_id, str) and raw_id.isdigit():
        raw_id = int(raw_id)
    if isinstance(raw_id, bool) or not isinstance(raw_id, int):
        raise ValueError("activity without an activityId")
    name = item.get("activityName")
    return GarminActivity(
        activity_id=raw_id,
        start_time=_start_time(item),
        sport=str(_dig(item, "activityType", "typeKey") or "other"),
        name=(name.strip() or None) if isinstance(name, str) else None,
        duration_s=_num(item.get("duration")),
        distance_m=_num(item.get("distance")),
        manual=item.get("manualActivity") is True,
    )


def parse_activities(items: Any) -> list[GarminActivity]:
    """A listing, skipping items Garmin sent without an id or start (logged, not fatal)."""
    parsed: list[GarminActivity] = []
    for item in items if isinstance(items, list) else []:
        try:
            parsed.append(parse_activity(item if isinstance(item, dict) else {}))
        except ValueError as exc:
            logger.warning("Skipping a Garmin activity item: %s", exc)
    return parsed


def _as_entries(payload: Any) -> list[dict[str, Any]]:
    items = payload if isinstance(payload, list) else [payload]
    return [item for item in items if isinstance(item, dict)]


def _rhr_from_day(rhr: Any) -> int | None:
    # get_rhr_day: allMetrics.metricsMap.WELLNESS_RESTING_HEART_RATE[0].value
    values = _dig(rhr, "allMetrics", "metricsMap", "WELLNESS_RESTING_HEART_RATE")
    return _int_in(_dig(values, 0, "value"), 20, 250)


def _level_index(descriptors: Any) -> int:
    """Where the level sits in a body battery row (descriptor list, else column 1)."""
    for d in descriptors if isinstance(descriptors, list) else []:
        index = _dig(d, "bodyBatteryValueDescriptorIndex")
        if _dig(d, "bodyBatteryValueDescriptorKey") == "bodyBatteryLevel" and isinstance(
            index, int
        ):
            return index
    return 1


def _body_battery_levels(payload: Any) -> list[int]:
    # get_body_battery: [{date, charged, drained, bodyBatteryValuesArray: [[ts_ms, level], ...],
    #   bodyBatteryValueDescriptorDTOList: [{bodyBatteryValueDescriptorIndex: 1,
    #   bodyBatteryValueDescriptorKey: "bodyBatteryLevel"}, ...]}]. Other endpoints send rows
    #   [ts_ms, "MEASURED", level, version]: the descriptors say which column is the level.
    levels: list[int] = []
    for entry in _as_entries(payload):
        index = _level_index(entry.get("bodyBatteryValueDescriptorDTOList"))
        for row in entry.get("bodyBatteryValuesArray") or []:
            level = _int_in(_dig(row, index), 0, 100)
            if level is not None:
                levels.append(level)
    return levels


def _body_battery_range(stats: Any, body_battery: Any) -> tuple[int | None, int | None]:
    # get_stats: bodyBatteryHighestValue, bodyBatteryLowestValue
    high = _int_in(_dig(stats, "bodyBatteryHighestValue"), 0, 100)
    low = _int_in(_dig(stats, "bodyBatteryLowestValue"), 0, 100)
    levels = _body_battery_levels(body_battery) if high is None or low is None else []
    if levels:
        high = high if high is not None else max(levels)
        low = low if low is not None else min(levels)
    return high, low


def _readiness_score(payload: Any) -> int | None:
    # get_training_readiness: [{score, inputContext, timestamp, ...}]; the morning score
    # (inputContext AFTER_WAKEUP_RESET) is the one Garmin shows in its morning report.
    entries = [e for e in _as_entries(payload) if _num(e.get("score")) is not None]
    morning = [e for e in entries if e.get("inputContext") == "AFTER_WAKEUP_RESET"]
    chosen = (morning or entries or [{}])[0]
    return _int_in(chosen.get("score"), 0, 100)


def _vo2max(payload: Any) -> float | None:
    # get_max_metrics: [{generic: {vo2MaxPreciseValue, vo2MaxValue}, cycling: {...}}]
    for entry in _as_entries(payload):
        for sport in ("generic", "cycling"):
            value = _first(
                _positive(_dig(entry, sport, "vo2MaxPreciseValue")),
                _positive(_dig(entry, sport, "vo2MaxValue")),
            )
            if value is not None:
                return value
    return None


def parse_wellness(
    day: date,
    *,
    stats: Any = None,
    hrv: Any = None,
    sleep: Any = None,
    readiness: Any = None,
    max_metrics: Any = None,
    rhr: Any = None,
    body_battery: Any = None,
    stress: Any = None,
) -> Wellness:
    """One day's figures from the raw payloads; whatever is missing stays None."""
    # get_stats: restingHeartRate, averageStressLevel, sleepingSeconds; get_hrv_data:
    # hrvSummary.lastNightAvg; get_sleep_data: dailySleepDTO.sleepTimeSeconds,
    # dailySleepDTO.sleepScores.overall.value, restingHeartRate, avgOvernightHrv;
    # get_stress_data: avgStressLevel.
    sleep_dto = _dig(sleep, "dailySleepDTO")
    high, low = _body_battery_range(stats, body_battery)
    return Wellness(
        day=day,
        resting_hr=_first(
            _int_in(_dig(stats, "restingHeartRate"), 20, 250),
            _rhr_from_day(rhr),
            _int_in(_dig(sleep, "restingHeartRate"), 20, 250),
        ),
        hrv_ms=_first(
            _positive(_dig(hrv, "hrvSummary", "lastNightAvg")),
            _positive(_dig(sleep, "avgOvernightHrv")),
        ),
        sleep_score=_int_in(_dig(sleep_dto, "sleepScores", "overall", "value"), 0, 100),
        sleep_seconds=_first(
            _int_in(_dig(sleep_dto, "sleepTimeSeconds"), 1, 86400),
            _int_in(_dig(stats, "sleepingSeconds"), 1, 86400),
        ),
        body_battery_high=high,
        body_battery_low=low,
        stress_avg=_first(
            _int_in(_dig(stats, "averageStressLevel"), 0, 100),
            _int_in(_dig(stress, "avgStressLevel"), 0, 100),
        ),
        training_readiness=_readiness_score(readiness),
        vo2max=_vo2max(max_metrics),
    )


PRIMARY_METRICS = ("stats", "hrv", "sleep", "readiness", "max_metrics")
FALLBACK_METRICS = {
    "rhr": "resting_hr",
    "body_battery": "body_battery_high",
    "stress": "stress_avg",
}


def collect_wellness(day: date, fetch: Callable[[str], Any]) -> Wellness:
    """Fetch one day metric by metric; a missing metric is None, 429 and auth errors propagate."""
    payloads: dict[str, Any] = {}
    unreachable: list[GarminUnavailable] = []

    def get(metric: str) -> None:
        try:
            payloads[metric] = fetch(metric)
        except (GarminRateLimited, GarminAuthError):
            raise
        except GarminUnavailable as exc:
            unreachable.append(exc)
        except Exception:
            logger.warning("Garmin %s for %s was unreadable", metric, day, exc_info=True)

    for metric in PRIMARY_METRICS:
        get(metric)
    if len(unreachable) == len(PRIMARY_METRICS):
        raise unreachable[-1]  # Garmin is down, not merely missing a figure
    wellness = parse_wellness(day, **payloads)
    # Each fallback costs one more request: ask only for what the main payloads left empty.
    missing = [m for m, attr in FALLBACK_METRICS.items() if getattr(wellness, attr) is None]
    for metric in missing:
        get(metric)
    return parse_wellness(day, **payloads) if missing else wellness


def is_fit(payload: bytes) -> bool:
    """True if the bytes start with a FIT file header (".FIT" at offset 8)."""
    return len(payload) >= 12 and payload[8:12] == b".FIT"


def extract_fit(payload: bytes) -> bytes:
    """The FIT file inside Garmin's ORIGINAL download (a ZIP), or the payload if already FIT."""
    if is_fit(payload):
        return payload
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = [
                m
                for m in archive.infolist()
                if m.filename.lower().endswith(".fit") and not m.is_dir()
            ]
            if not members:
                raise BadFile(N_("Garmin's download holds no FIT file."))
            if members[0].file_size > MAX_FIT_BYTES:
                raise BadFile(N_("Garmin's FIT file is too large."))
            data = archive.read(members[0])
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise BadFile(N_("Garmin's download is neither a FIT file nor a readable ZIP.")) from exc
    if not is_fit(data):
        raise BadFile(N_("Garmin's download holds a file that is not FIT."))
    return data
